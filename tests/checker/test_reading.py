"""The checker's own reading of an instance agrees with the model's facts.

The checker derives segments, effort, eligibility, capacities, balance targets and the
minimum book ARR with its own plain code; if the model's derivation had a bug, the two
would disagree here instead of agreeing on a wrong plan.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from allocator.checker.reading import Reading
from allocator.facts import Facts
from allocator.io import generate_instance
from allocator.schema import Instance
from tests.builders import EFFECTIVE
from tests.strategies import instances, to_instance


def assert_readings_agree(instance: Instance) -> None:
    facts = Facts(instance, EFFECTIVE)
    reading = Reading(instance, EFFECTIVE)
    assert reading.segment == facts.segment_of
    assert {a for a in reading.accounts if not reading.pooled(a)} == set(facts.named_accounts)
    assert reading.target == facts.balance_target
    for csm in instance.csms:
        assert reading.capacity[csm.id] == facts.capacity(csm.id)
        if csm.id in facts.balance_target:
            assert reading.tolerance(csm.id) == facts.balance_tolerance(csm.id)
        assert reading.band(csm.id) == facts.band_slack(csm.id)
        if not csm.leaving:
            assert reading.min_book_arr(csm.id) == facts.min_book_arr(csm.id)
    for account in instance.accounts:
        a = account.id
        assert reading.window(a) == facts.window_of(a)
        eligible = [c.id for c in instance.csms if not reading.barriers(a, c.id)]
        assert eligible == facts.eligibility.structural[a], a
        for csm in instance.csms:
            assert reading.effort(a, csm.id) == facts.effort(a, csm.id)
            segment = reading.segment[a]
            if segment is not None:
                assert reading.cap(csm.id, segment) == facts.account_cap(csm.id, segment)
        if a in facts.named_accounts and account.current_csm is not None:
            assert (a in facts.eligibility.forced_move) == (not reading.current_may_keep(a))


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow],
)
@given(raw=instances())
def test_the_readings_agree_on_random_instances(raw: dict[str, Any]) -> None:
    assert_readings_agree(to_instance(raw))


@pytest.mark.parametrize("seed", [1, 4, 7])
def test_the_readings_agree_on_generated_books(seed: int) -> None:
    assert_readings_agree(generate_instance(400, 24, seed=seed, name=f"agree-{seed}"))
