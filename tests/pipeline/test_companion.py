"""The HiGHS companion: per-block MIP and LP agree with CP-SAT and the checker, and its
plan and bound are merged into a block's outcome only when they are sound."""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import replace

import pytest

from allocator.checker import check
from allocator.deadline import Deadline
from allocator.facts import Facts
from allocator.facts.blocks import find_blocks
from allocator.io.loading import load_instance
from allocator.io.orlib_gap import read_orlib_gap
from allocator.model import MipResult, highs_available, solve_block_mip
from allocator.parameters import SolveParams
from allocator.pipeline import solve
from allocator.pipeline.block import _with_companion
from allocator.pipeline.companion import Companion, wanted
from allocator.pipeline.outcome import BlockOutcome
from allocator.schema import Plan
from allocator.search import greedy_plan
from tests.builders import INSTANCES

PARAMS = SolveParams()

GAP = INSTANCES / "gap"

pytestmark = pytest.mark.skipif(not highs_available(), reason="HiGHS not in this OR-Tools")


def _example() -> Facts:
    instance = load_instance(INSTANCES / "example.json")
    assert instance.policy.effective_date is not None
    return Facts(instance, instance.policy.effective_date)


def test_block_mips_add_up_to_the_cp_sat_optimum() -> None:
    facts = _example()
    blocks = find_blocks(facts)
    assert len(blocks) > 1
    total = facts.pooled_move_cost
    owners: dict[str, str | None] = dict.fromkeys(a.id for a in facts.instance.accounts)
    for block in blocks:
        result = solve_block_mip(facts, facts.checker, block, time_limit=20)
        assert result.status == "OPTIMAL"
        assert result.objective is not None and result.bound is not None
        assert result.bound <= result.objective + 1e-9
        assert (
            facts.checker.block_violations(result.owners, list(block.accounts), list(block.csms))
            == []
        )
        relaxed = solve_block_mip(facts, facts.checker, block, time_limit=20, relax=True)
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


def test_companion_only_with_a_spare_thread_and_not_when_reproducible() -> None:
    assert wanted(PARAMS, 1000, workers=2, deterministic=False, pinned=False)
    assert not wanted(PARAMS, 1000, workers=1, deterministic=False, pinned=False)
    assert not wanted(PARAMS, 1000, workers=8, deterministic=True, pinned=False)
    assert not wanted(PARAMS, 1000, workers=8, deterministic=False, pinned=True)
    assert not wanted(PARAMS, 10_000_000, workers=8, deterministic=False, pinned=False)


def test_companion_stops_when_asked() -> None:
    instance = read_orlib_gap(GAP / "chu1997" / "d20200")
    facts = Facts(instance, instance.policy.effective_date or dt.date(2026, 1, 1))
    block = find_blocks(facts)[0]
    helper = Companion(facts, block, Deadline.after(120), PARAMS)
    time.sleep(2)
    started = time.monotonic()
    result = helper.result(stop=True)
    assert time.monotonic() - started < 30  # well short of its 120 s
    assert result is None or result.status != "OPTIMAL"


def _merge_case(outcome: BlockOutcome, mip: MipResult) -> tuple[BlockOutcome, Plan]:
    """Merge `mip` into `outcome` on the example's first block; `outcome`'s plan is the
    constructed one."""
    facts = _example()
    block = find_blocks(facts)[0]
    plan = {a: greedy_plan(facts)[a] for a in block.accounts}
    solved = solve_block_mip(facts, facts.checker, block, time_limit=20)
    mip.owners = mip.owners or solved.owners
    merged = _with_companion(facts, block, replace(outcome, plan=plan), mip)
    return merged, plan


def test_a_better_highs_plan_replaces_cp_sats() -> None:
    outcome = BlockOutcome("FEASIBLE", objective=1e6, bound=0.0)
    mip = MipResult(status="FEASIBLE", objective=5.0, bound=4.0, seconds=1.0, owners={})
    merged, _ = _merge_case(outcome, mip)
    assert merged.status == "FEASIBLE" and merged.objective == 5.0 and merged.bound == 4.0
    assert merged.helped == ("plan", "bound")


def test_highs_proof_makes_the_block_optimal() -> None:
    outcome = BlockOutcome("FEASIBLE", objective=5.0, bound=1.0)
    mip = MipResult(status="OPTIMAL", objective=5.0, bound=5.0, seconds=1.0, owners={})
    merged, _ = _merge_case(outcome, mip)
    assert merged.status == "OPTIMAL" and merged.bound == 5.0
    assert merged.helped == ("bound",)  # equal plans: CP-SAT's is kept


def test_a_highs_bound_above_the_plan_is_not_trusted() -> None:
    outcome = BlockOutcome("FEASIBLE", objective=5.0, bound=1.0)
    mip = MipResult(status="FEASIBLE", objective=None, bound=7.0, seconds=1.0, owners={})
    merged, _ = _merge_case(outcome, mip)
    assert merged.status == "FEASIBLE" and merged.bound == 1.0 and merged.helped == ()


def test_a_plan_without_a_value_is_valued_by_the_checker() -> None:
    outcome = BlockOutcome("FEASIBLE", bound=1.0)
    mip = MipResult(status="UNKNOWN", objective=None, bound=0.5, seconds=1.0, owners={})
    merged, plan = _merge_case(outcome, mip)
    facts = _example()
    value = find_blocks(facts)[0].objective(facts, plan)
    assert merged.objective == pytest.approx(value) and merged.bound == 1.0 and merged.has_plan


def test_solve_with_two_workers_proves_a_gap_instance_and_checks_clean() -> None:
    instance = read_orlib_gap(GAP / "cattrysse1994" / "gap1-0")
    result = solve(instance, time_limit=30, workers=2)
    assert result.status == "OPTIMAL" and result.objective == pytest.approx(261)
    assert result.solution.violations == []
    assert str(result.solution.parameters["solver"]).startswith("CP-SAT")
