"""Deadlines as values: time left never negative, shares and limits only move earlier."""

from __future__ import annotations

import time

from allocator.deadline import Deadline, Stopwatch


def test_a_deadline_counts_down_and_expires() -> None:
    deadline = Deadline.after(0.05)
    assert 0 < deadline.left() <= 0.05 and not deadline.expired()
    time.sleep(0.06)
    assert deadline.expired() and deadline.left() == 0.0
    assert not Deadline.never().expired()


def test_shares_and_limits_are_earlier_deadlines() -> None:
    deadline = Deadline.after(10.0)
    assert deadline.share(0.5).at < deadline.at
    assert 4.9 < deadline.share(0.5).left() <= 5.0
    assert deadline.within(1.0).left() <= 1.0
    assert deadline.within(100.0) == deadline
    assert deadline.before(2.0).at == deadline.at - 2.0


def test_a_stopwatch_measures_seconds() -> None:
    clock = Stopwatch.start()
    time.sleep(0.01)
    assert clock.seconds() >= 0.01
