"""Stopping a run early without losing its plan: Ctrl-C (SIGINT) and a scheduler's or
`timeout`'s SIGTERM.

While `handling_stops()` is active, the first signal raises nothing: it marks the run as
stopped, every `Deadline` then reads as expired, and each part of the pipeline ends its
step the way it ends at a time limit, keeping the best plan so far. An exception raised
at an arbitrary line could not promise that. A second signal raises `KeyboardInterrupt`
at once: the user wants out now, and the output folder, written as one set, is the old
plan or the new one either way.

Only the main thread can install signal handlers; elsewhere `handling_stops()` does
nothing and Ctrl-C behaves as Python's default.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

_stopped = threading.Event()
_state: dict[str, int] = {"depth": 0, "signal": 0}

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def stop_requested() -> bool:
    """Whether a stop signal arrived during the current `handling_stops()`."""
    return _stopped.is_set()


def stop_signal() -> int | None:
    """The signal that stopped the run (SIGINT or SIGTERM), if one did."""
    return _state["signal"] or None


def request_stop(signum: int = signal.SIGINT) -> None:
    """Stop the run as the first signal would (for tests, and for embedding callers)."""
    _state["signal"] = signum
    _stopped.set()


def _on_signal(signum: int, frame: FrameType | None) -> None:
    if _stopped.is_set():
        raise KeyboardInterrupt  # the second signal: leave now
    request_stop(signum)


@contextmanager
def handling_stops() -> Iterator[None]:
    """Turn SIGINT and SIGTERM into a stop request for the enclosed run (nested uses
    share the outermost one); on exit the previous handlers come back and the request is
    cleared."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    if _state["depth"] > 0:
        _state["depth"] += 1
        try:
            yield
        finally:
            _state["depth"] -= 1
        return
    previous = {s: signal.getsignal(s) for s in STOP_SIGNALS}
    _stopped.clear()
    _state["signal"] = 0
    _state["depth"] = 1
    for s in STOP_SIGNALS:
        signal.signal(s, _on_signal)
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
        _state["depth"] = 0
        _stopped.clear()
