"""The balanced start: a complete plan within the rules' domains, valued as the checker
values it, never chosen over a better constructive plan, and better on skewed books."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings

from allocator.facts import Facts
from allocator.facts.blocks import find_blocks
from allocator.io.loading import load_instance
from allocator.pipeline import solve
from allocator.search.balanced_start import balanced_plan, better_start
from allocator.search.greedy import greedy_plan
from allocator.search.repair import repair_books
from tests.builders import EFFECTIVE, INSTANCES, account, csm, make_instance
from tests.strategies import instances, to_instance


def _whole_value(facts: Facts, plan: dict[str, str | None]) -> float:
    return facts.pooled_move_cost + sum(b.objective(facts, plan) for b in find_blocks(facts))


@settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow],
)
@given(raw=instances())
def test_balanced_start_is_complete_valued_like_the_checker_and_never_worse(
    raw: dict[str, Any],
) -> None:
    instance = to_instance(raw)
    facts = Facts(instance, EFFECTIVE)
    constructed = repair_books(facts, greedy_plan(facts, keep_current=True))
    balanced = balanced_plan(facts, constructed)
    families = {a for members in facts.families.values() for a in members}
    for account_id in facts.named_accounts:
        owner = balanced[account_id]
        assert owner in facts.eligibility.allowed[account_id] or owner == constructed[account_id]
        if account_id in families or len(facts.eligibility.allowed[account_id]) == 1:
            assert owner == constructed[account_id]
    for account_id in instance.accounts:
        if facts.is_pooled(account_id.id):
            assert balanced[account_id.id] is None
    # The start's value is the checker's objective (when the rules' only soft terms are
    # counted the same way), so choosing by it chooses what the checker would.
    for plan in (constructed, balanced):
        report = facts.checker.check(plan)
        if not instance.policy.renewal_spread.hard:
            assert abs(_whole_value(facts, plan) - report.objective) < 1e-6
    chosen = better_start(facts, find_blocks(facts), constructed)
    for block in find_blocks(facts):
        accounts, csms = list(block.accounts), list(block.csms)
        if not facts.checker.block_violations(constructed, accounts, csms):
            assert not facts.checker.block_violations(chosen, accounts, csms)
            assert block.objective(facts, chosen) <= block.objective(facts, constructed) + 1e-9


def test_a_skewed_book_sheds_its_largest_accounts_to_the_new_hire() -> None:
    """C1 holds every account (16 effort), C2 is a new hire of the same capacity: target 8
    each. Shedding 4 and 3 leaves 9; then the smallest account that brings C1 to 8."""
    efforts = [4, 3, 3, 2, 2, 1, 1]
    instance = make_instance(
        [account(f"A{i}", effort=e, current_csm="C1") for i, e in enumerate(efforts)],
        [csm("C1", capacity=20), csm("C2", capacity=20)],
    )
    facts = Facts(instance, EFFECTIVE)
    constructed = greedy_plan(facts, keep_current=True)
    balanced = balanced_plan(facts, constructed)
    on_c2 = [a for a, c in balanced.items() if c == "C2"]
    assert sorted(facts.effort(a, "C2") for a in on_c2) == [100, 300, 400]
    report = facts.checker.check(balanced)
    assert report.violations == [] and report.terms["balance"] == 0 and report.moves == 3
    block = find_blocks(facts)[0]
    assert block.objective(facts, balanced) < block.objective(facts, constructed)


def test_the_m_tier_starts_better_balanced() -> None:
    """bench-M: every block's start is at least as good, the whole start better."""
    instance = load_instance(INSTANCES / "bench-M.json")
    assert instance.policy.effective_date is not None
    facts = Facts(instance, instance.policy.effective_date)
    constructed = repair_books(facts, greedy_plan(facts, keep_current=True))
    chosen = better_start(facts, find_blocks(facts), constructed)
    assert facts.checker.check(chosen).violations == []
    assert _whole_value(facts, chosen) < _whole_value(facts, constructed)


def test_solve_still_proves_the_example_optimal() -> None:
    result = solve(load_instance(INSTANCES / "example.json"), time_limit=30)
    assert result.solution.status == "OPTIMAL"
    assert result.report is not None and result.report.violations == []
