"""The bound that needs no solver never exceeds the true optimum, and repairing a
constructed plan never breaks a rule a CSM's book obeyed."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, event, given, settings

from allocator.bounds.flow import flow_bound
from allocator.bounds.quick import fewest_to_remove, quick_bound
from allocator.facts import Facts
from allocator.io.loading import load_instance
from allocator.search.greedy import greedy_plan
from allocator.search.repair import repair_books
from tests.builders import EFFECTIVE, INSTANCES
from tests.strategies import brute_force, instances, to_instance


def test_fewest_to_remove_takes_the_largest_first() -> None:
    assert fewest_to_remove([1, 5, 2, 2], 0) == 0
    assert fewest_to_remove([1, 5, 2, 2], 5) == 1
    assert fewest_to_remove([1, 5, 2, 2], 6) == 2
    assert fewest_to_remove([1, 5, 2, 2], 10) == 4
    assert fewest_to_remove([1, 5, 2, 2], 11) == 4  # cannot shed enough: all of them


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow],
)
@given(raw=instances())
def test_quick_bound_never_exceeds_the_optimum(raw: dict[str, Any]) -> None:
    instance = to_instance(raw)
    facts = Facts(instance, EFFECTIVE)
    best = brute_force(instance)
    if best is None:
        return
    bound = quick_bound(facts, facts.named_accounts) + facts.pooled_move_cost
    assert bound <= best + 1e-6


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow],
)
@given(raw=instances())
def test_flow_bound_never_exceeds_the_optimum_nor_falls_under_the_quick_bound(
    raw: dict[str, Any],
) -> None:
    instance = to_instance(raw)
    facts = Facts(instance, EFFECTIVE)
    best = brute_force(instance)
    bound = flow_bound(facts, facts.named_accounts, facts.active_csms)
    if bound is None:
        return
    quick = quick_bound(facts, facts.named_accounts)
    assert bound >= quick - 1e-6 * max(1.0, abs(quick))
    event("flow bound above the quick bound" if bound > quick + 1e-6 else "equal")
    if best is not None:
        assert bound + facts.pooled_move_cost <= best + 1e-6


def _broken_csms(facts: Facts, plan: dict[str, str | None]) -> set[str]:
    return {
        v.subject
        for v in facts.checker.block_violations(
            plan, list(facts.named_accounts), list(facts.active_csms)
        )
    }


@settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow],
)
@given(raw=instances())
def test_repair_breaks_no_book_that_was_whole(raw: dict[str, Any]) -> None:
    instance = to_instance(raw)
    facts = Facts(instance, EFFECTIVE)
    plan = greedy_plan(facts, keep_current=True)
    broken_before = _broken_csms(facts, plan)
    repaired = repair_books(facts, plan)
    assert _broken_csms(facts, repaired) <= broken_before
    changed = [a for a in plan if plan[a] != repaired[a]]
    for account_id in changed:  # only to an eligible CSM, and never a family member
        assert plan[account_id] in facts.eligibility.allowed[account_id]
        assert not any(account_id in members for members in facts.families.values())


def test_repair_mends_the_m_tier_hint() -> None:
    instance = load_instance(INSTANCES / "bench-M.json")
    assert instance.policy.effective_date is not None
    facts = Facts(instance, instance.policy.effective_date)
    plan = greedy_plan(facts, keep_current=True)
    before = facts.checker.check(plan).violations
    assert before  # new hires below the band: the constructed plan breaks it
    repaired = repair_books(facts, plan)
    after = facts.checker.check(repaired)
    assert repaired != plan and after.violations == []


def test_quick_bound_on_the_m_tier_is_above_forced_moves_alone() -> None:
    instance = load_instance(INSTANCES / "bench-M.json")
    assert instance.policy.effective_date is not None
    facts = Facts(instance, instance.policy.effective_date)
    forced = sum(1 for a in facts.named_accounts if a in facts.eligibility.forced_move)
    cost = instance.policy.weights.moves * instance.policy.continuity.cost_per_move
    assert quick_bound(facts, facts.named_accounts) > cost * forced


def test_flow_bound_is_under_proven_optima_and_above_the_quick_bound() -> None:
    """Measured: example 102.72 (optimum 109.08), bench-S 54.27 (optimum 66.93), against
    quick bounds of 88 and 42 (before the pooled-move offset)."""
    from allocator.facts.blocks import find_blocks
    from allocator.pipeline import solve

    for name in ("example.json", "bench-S.json"):
        instance = load_instance(INSTANCES / name)
        solved = solve(instance, time_limit=30, workers=1).solution
        assert solved.status == "OPTIMAL" and solved.objective is not None
        facts = Facts(instance, solved.effective_date)
        flow = quick = facts.pooled_move_cost
        for block in find_blocks(facts):
            bound = flow_bound(facts, block.accounts, block.csms)
            assert bound is not None
            flow += bound
            quick += quick_bound(facts, block.accounts)
        assert quick < flow <= solved.objective + 1e-6
