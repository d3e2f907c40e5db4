"""The bound that needs no solver never exceeds the true optimum, and repairing a
constructed plan never breaks a rule a CSM's book obeyed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from conftest import EFFECTIVE
from hypothesis import HealthCheck, event, given, settings
from test_property import _instance, brute_force, instances

from allocator.band_repair import repair_books
from allocator.checker import book_violations, check
from allocator.flow_bound import flow_bound
from allocator.greedy import greedy_plan
from allocator.loading import load_instance
from allocator.prepared import Prepared
from allocator.quick_bound import fewest_to_remove, quick_bound
from allocator.solve import _pooled_move_offset

ROOT = Path(__file__).resolve().parent.parent


def test_fewest_to_remove_takes_the_largest_first() -> None:
    assert fewest_to_remove([1, 5, 2, 2], 0) == 0
    assert fewest_to_remove([1, 5, 2, 2], 5) == 1
    assert fewest_to_remove([1, 5, 2, 2], 6) == 2
    assert fewest_to_remove([1, 5, 2, 2], 10) == 4
    assert fewest_to_remove([1, 5, 2, 2], 11) == 4  # cannot shed enough: all of them


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow])
@given(raw=instances())
def test_quick_bound_never_exceeds_the_optimum(raw: dict[str, Any]) -> None:
    instance = _instance(raw)
    data = Prepared(instance, EFFECTIVE)
    best = brute_force(instance)
    if best is None:
        return
    bound = quick_bound(data, data.named_accounts) + _pooled_move_offset(data)
    assert bound <= best + 1e-6


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow])
@given(raw=instances())
def test_flow_bound_never_exceeds_the_optimum_nor_falls_under_the_quick_bound(
        raw: dict[str, Any]) -> None:
    instance = _instance(raw)
    data = Prepared(instance, EFFECTIVE)
    best = brute_force(instance)
    bound = flow_bound(data, data.named_accounts, data.active_csms)
    if bound is None:
        return
    quick = quick_bound(data, data.named_accounts)
    assert bound >= quick - 1e-6 * max(1.0, abs(quick))
    event("flow bound above the quick bound" if bound > quick + 1e-6 else "equal")
    if best is not None:
        assert bound + _pooled_move_offset(data) <= best + 1e-6


def _broken_csms(data: Prepared, plan: dict[str, str | None]) -> set[str]:
    return {v.subject for v in book_violations(data, plan, list(data.named_accounts),
                                               list(data.active_csms))}


@settings(max_examples=80, deadline=None,
          suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow])
@given(raw=instances())
def test_repair_breaks_no_book_that_was_whole(raw: dict[str, Any]) -> None:
    instance = _instance(raw)
    data = Prepared(instance, EFFECTIVE)
    plan = greedy_plan(data, keep_current=True)
    broken_before = _broken_csms(data, plan)
    before = dict(plan)
    moved = repair_books(data, plan)
    assert _broken_csms(data, plan) <= broken_before
    changed = [a for a in plan if plan[a] != before[a]]
    assert len(changed) <= moved
    for account_id in changed:  # only to an eligible CSM, and never a family member
        assert plan[account_id] in data.eligibility.allowed[account_id]
        assert not any(account_id in members for members in data.families.values())


def test_repair_mends_the_m_tier_hint() -> None:
    instance = load_instance(ROOT / "instances" / "bench-M.json")
    assert instance.policy.effective_date is not None
    data = Prepared(instance, instance.policy.effective_date)
    plan = greedy_plan(data, keep_current=True)
    before = check(instance, plan, data.effective_date, data=data).violations
    assert before  # new hires below the band: the constructed plan breaks it
    moved = repair_books(data, plan)
    after = check(instance, plan, data.effective_date, data=data)
    assert moved > 0 and after.violations == []


def test_quick_bound_on_the_m_tier_is_above_forced_moves_alone() -> None:
    instance = load_instance(ROOT / "instances" / "bench-M.json")
    assert instance.policy.effective_date is not None
    data = Prepared(instance, instance.policy.effective_date)
    forced = sum(1 for a in data.named_accounts if a in data.eligibility.forced_move)
    cost = instance.policy.weights.moves * instance.policy.continuity.cost_per_move
    assert quick_bound(data, data.named_accounts) > cost * forced


def test_flow_bound_is_under_proven_optima_and_above_the_quick_bound() -> None:
    """Measured: example 102.72 (optimum 109.08), bench-S 54.27 (optimum 66.93), against
    quick bounds of 88 and 42 (before the pooled-move offset)."""
    from allocator.blocks import find_blocks
    from allocator.solve import solve

    for name in ("example.json", "bench-S.json"):
        instance = load_instance(ROOT / "instances" / name)
        solved = solve(instance, time_limit=30, workers=1).solution
        assert solved.status == "OPTIMAL" and solved.objective is not None
        data = Prepared(instance, solved.effective_date)
        flow = quick = _pooled_move_offset(data)
        for block in find_blocks(data):
            bound = flow_bound(data, block.accounts, block.csms)
            assert bound is not None
            flow += bound
            quick += quick_bound(data, block.accounts)
        assert quick < flow <= solved.objective + 1e-6
