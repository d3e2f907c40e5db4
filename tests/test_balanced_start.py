"""The balanced start: a complete plan within the rules' domains, valued as the checker
values it, never chosen over a better constructive plan, and better on skewed books."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from conftest import EFFECTIVE, account, csm, make_instance
from hypothesis import HealthCheck, given, settings
from test_property import _instance, instances

from allocator.balanced_start import balanced_plan, better_start
from allocator.band_repair import repair_books
from allocator.block_objective import block_objective
from allocator.blocks import find_blocks
from allocator.checker import book_violations, check
from allocator.greedy import greedy_plan
from allocator.loading import load_instance
from allocator.prepared import Prepared
from allocator.solve import _pooled_move_offset, solve

ROOT = Path(__file__).resolve().parent.parent


def _whole_value(data: Prepared, plan: dict[str, str | None]) -> float:
    return _pooled_move_offset(data) + sum(block_objective(data, b, plan)
                                           for b in find_blocks(data))


@settings(max_examples=120, deadline=None,
          suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow])
@given(raw=instances())
def test_balanced_start_is_complete_valued_like_the_checker_and_never_worse(
        raw: dict[str, Any]) -> None:
    instance = _instance(raw)
    data = Prepared(instance, EFFECTIVE)
    constructed = greedy_plan(data, keep_current=True)
    repair_books(data, constructed)
    balanced = balanced_plan(data, constructed)
    families = {a for members in data.families.values() for a in members}
    for account_id in data.named_accounts:
        owner = balanced[account_id]
        assert (owner in data.eligibility.allowed[account_id]
                or owner == constructed[account_id])
        if account_id in families or len(data.eligibility.allowed[account_id]) == 1:
            assert owner == constructed[account_id]
    for account_id in instance.accounts:
        if data.is_pooled(account_id.id):
            assert balanced[account_id.id] is None
    # The start's value is the checker's objective (when the rules' only soft terms are
    # counted the same way), so choosing by it chooses what the checker would.
    for plan in (constructed, balanced):
        report = check(instance, plan, EFFECTIVE, data=data)
        if not instance.policy.renewal_spread.hard:
            assert abs(_whole_value(data, plan) - report.objective) < 1e-6
    chosen = better_start(data, find_blocks(data), constructed)
    for block in find_blocks(data):
        accounts, csms = list(block.accounts), list(block.csms)
        if not book_violations(data, constructed, accounts, csms):
            assert not book_violations(data, chosen, accounts, csms)
            assert (block_objective(data, block, chosen)
                    <= block_objective(data, block, constructed) + 1e-9)


def test_a_skewed_book_sheds_its_largest_accounts_to_the_new_hire() -> None:
    """C1 holds every account (16 effort), C2 is a new hire of the same capacity: target 8
    each. Shedding 4 and 3 leaves 9; then the smallest account that brings C1 to 8."""
    efforts = [4, 3, 3, 2, 2, 1, 1]
    instance = make_instance(
        [account(f"A{i}", effort=e, current_csm="C1") for i, e in enumerate(efforts)],
        [csm("C1", capacity=20), csm("C2", capacity=20)])
    data = Prepared(instance, EFFECTIVE)
    constructed = greedy_plan(data, keep_current=True)
    balanced = balanced_plan(data, constructed)
    on_c2 = [a for a, c in balanced.items() if c == "C2"]
    assert sorted(data.effort(a, "C2") for a in on_c2) == [100, 300, 400]
    report = check(instance, balanced, EFFECTIVE, data=data)
    assert report.violations == [] and report.terms["balance"] == 0 and report.moves == 3
    block = find_blocks(data)[0]
    assert block_objective(data, block, balanced) < block_objective(data, block, constructed)


def test_the_m_tier_starts_better_balanced() -> None:
    """bench-M: every block's start is at least as good, the whole start better."""
    instance = load_instance(ROOT / "instances" / "bench-M.json")
    assert instance.policy.effective_date is not None
    data = Prepared(instance, instance.policy.effective_date)
    constructed = greedy_plan(data, keep_current=True)
    repair_books(data, constructed)
    chosen = better_start(data, find_blocks(data), constructed)
    assert check(instance, chosen, data.effective_date, data=data).violations == []
    assert _whole_value(data, chosen) < _whole_value(data, constructed)


def test_solve_still_proves_the_example_optimal() -> None:
    result = solve(load_instance(ROOT / "instances" / "example.json"), time_limit=30)
    assert result.solution.status == "OPTIMAL"
    assert result.report is not None and result.report.violations == []
