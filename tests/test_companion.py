"""The HiGHS companion: per-block MIP and LP agree with CP-SAT and the checker, and its
plan and bound are merged into a block's outcome only when they are sound."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import pytest

from allocator.facts.blocks import find_blocks
from allocator.checker.check import book_violations, check
from allocator.pipeline.companion import Companion, wanted
from allocator.search.greedy import greedy_plan
from allocator.io.loading import load_instance
from allocator.model.mip import (
    MipResult,
    build_mip,
    highs_available,
    plan_objective,
    solve_block_mip,
)
from allocator.io.orlib_gap import read_orlib_gap
from allocator.facts.derived import Facts
from allocator.pipeline.solve import _BlockOutcome, _pooled_move_offset, _with_companion, solve
from tests.test_mip_baseline import multi_rule_instance

ROOT = Path(__file__).resolve().parent.parent
GAP = ROOT / "instances" / "gap"

pytestmark = pytest.mark.skipif(not highs_available(), reason="HiGHS not in this OR-Tools")


def _example() -> Facts:
    instance = load_instance(ROOT / "instances" / "example.json")
    assert instance.policy.effective_date is not None
    return Facts(instance, instance.policy.effective_date)


def test_block_mips_add_up_to_the_cp_sat_optimum() -> None:
    facts = _example()
    blocks = find_blocks(facts)
    assert len(blocks) > 1
    total = _pooled_move_offset(facts)
    owners: dict[str, str | None] = {a.id: None for a in facts.instance.accounts}
    for block in blocks:
        result = solve_block_mip(facts, block, time_limit=20)
        assert result.status == "OPTIMAL"
        assert result.objective is not None and result.bound is not None
        assert result.bound <= result.objective + 1e-9
        assert book_violations(facts, result.owners, list(block.accounts),
                               list(block.csms)) == []
        relaxed = solve_block_mip(facts, block, time_limit=20, relax=True)
        assert relaxed.owners == {} and relaxed.bound is not None
        assert relaxed.bound <= result.objective + 1e-9  # the LP never cuts off the optimum
        total += result.objective
        owners.update({a: result.owners[a] for a in block.accounts})
    cp = solve(facts.instance, time_limit=30, workers=1)
    assert cp.status == "OPTIMAL" and cp.objective is not None
    assert total == pytest.approx(cp.objective, abs=1e-6)
    report = check(facts.instance, owners, facts.effective_date)
    assert report.violations == []
    assert report.objective == pytest.approx(total, abs=1e-6)


def test_plan_objective_is_the_checkers() -> None:
    instance = multi_rule_instance()
    assert instance.policy.effective_date is not None
    facts = Facts(instance, instance.policy.effective_date)
    owners = greedy_plan(facts, keep_current=False)
    value, terms = plan_objective(facts, build_mip(facts), owners)
    report = check(instance, owners, facts.effective_date)
    assert value == pytest.approx(report.objective, abs=1e-9)
    assert terms == pytest.approx(report.terms)


def test_companion_only_with_a_spare_thread_and_not_when_reproducible() -> None:
    assert wanted(1000, workers=2, deterministic=False, forced=False)
    assert not wanted(1000, workers=1, deterministic=False, forced=False)
    assert not wanted(1000, workers=8, deterministic=True, forced=False)
    assert not wanted(1000, workers=8, deterministic=False, forced=True)
    assert not wanted(10_000_000, workers=8, deterministic=False, forced=False)


def test_companion_stops_when_asked() -> None:
    instance = read_orlib_gap(GAP / "chu1997" / "d20200")
    facts = Facts(instance, instance.policy.effective_date or dt.date(2026, 1, 1))
    block = find_blocks(facts)[0]
    helper = Companion(facts, block, time_limit=120)
    time.sleep(2)
    started = time.monotonic()
    result = helper.result(stop=True)
    assert time.monotonic() - started < 30  # well short of its 120 s
    assert result is None or result.status != "OPTIMAL"


class _Helper:
    """Stands in for a Companion whose model values a plan at `value`."""

    def __init__(self, value: float | None) -> None:
        self.value = value

    def value_of(self, owners: dict[str, str | None]) -> float | None:
        return self.value


def _merge_case(outcome: _BlockOutcome, mip: MipResult,
                value: float | None = None) -> tuple[_BlockOutcome, dict[str, str | None]]:
    facts = _example()
    block = find_blocks(facts)[0]
    plan = greedy_plan(facts)
    solved = solve_block_mip(facts, block, time_limit=20)
    mip.owners = mip.owners or solved.owners
    merged = _with_companion(facts, block, plan, outcome, mip, _Helper(value))  # type: ignore[arg-type]
    return merged, plan


def test_a_better_highs_plan_replaces_cp_sats() -> None:
    outcome = _BlockOutcome("FEASIBLE", 1e6, 0.0, False)
    mip = MipResult(status="FEASIBLE", objective=5.0, bound=4.0, seconds=1.0, owners={})
    merged, _ = _merge_case(outcome, mip)
    assert merged.status == "FEASIBLE" and merged.objective == 5.0 and merged.bound == 4.0
    assert merged.helped == ["plan", "bound"]


def test_highs_proof_makes_the_block_optimal() -> None:
    outcome = _BlockOutcome("FEASIBLE", 5.0, 1.0, False)
    mip = MipResult(status="OPTIMAL", objective=5.0, bound=5.0, seconds=1.0, owners={})
    merged, _ = _merge_case(outcome, mip)
    assert merged.status == "OPTIMAL" and merged.bound == 5.0
    assert merged.helped == ["bound"]  # equal plans: CP-SAT's is kept


def test_a_highs_bound_above_the_plan_is_not_trusted() -> None:
    outcome = _BlockOutcome("FEASIBLE", 5.0, 1.0, False)
    mip = MipResult(status="FEASIBLE", objective=None, bound=7.0, seconds=1.0, owners={})
    merged, _ = _merge_case(outcome, mip)
    assert merged.status == "FEASIBLE" and merged.bound == 1.0 and merged.helped == []


def test_a_plan_without_a_value_is_valued_by_the_companions_model() -> None:
    outcome = _BlockOutcome("FEASIBLE", None, 1.0, False, has_plan=True)
    mip = MipResult(status="UNKNOWN", objective=None, bound=2.5, seconds=1.0, owners={})
    merged, _ = _merge_case(outcome, mip, value=3.0)
    assert merged.objective == 3.0 and merged.bound == 2.5 and merged.has_plan


def test_solve_with_two_workers_proves_a_gap_instance_and_checks_clean() -> None:
    instance = read_orlib_gap(GAP / "cattrysse1994" / "gap1-0")
    result = solve(instance, time_limit=30, workers=2)
    assert result.status == "OPTIMAL" and result.objective == pytest.approx(261)
    assert result.solution.violations == []
    assert str(result.solution.parameters["solver"]).startswith("CP-SAT")
