"""The counts model of interchangeable accounts: its optimum never exceeds the true one,
its plans cost what the model says (up to the terms it leaves out), and a big block takes
its bound and plan through the companion."""

from __future__ import annotations

import time
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings

from allocator.bounds import counts
from allocator.bounds.counts import build_counts_model, counts_plan, modelled, solve_counts
from allocator.bounds.counts_cpsat import solve_with_cpsat
from allocator.checker import check
from allocator.deadline import Deadline
from allocator.facts import Block, Facts
from allocator.facts.blocks import find_blocks
from allocator.io.loading import load_instance
from allocator.model.mathopt import highs_available, solve_highs
from allocator.parameters import SolveParams
from allocator.pipeline import solve
from allocator.schema import Plan
from allocator.search import greedy_plan, improve
from tests.builders import EFFECTIVE, INSTANCES
from tests.strategies import brute_force, instances, to_instance

pytestmark = pytest.mark.skipif(not highs_available(), reason="HiGHS not available")


@settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow],
)
@given(raw=instances())
def test_counts_optimum_never_exceeds_the_optimum(raw: dict[str, Any]) -> None:
    instance = to_instance(raw)
    facts = Facts(instance, EFFECTIVE)
    blocks = find_blocks(facts)
    if not all(modelled(facts, b) for b in blocks):
        event("pair costs or efforts: not modelled")
        return
    best = brute_force(instance)
    total = facts.pooled_move_cost
    solved = True
    for block in blocks:
        built = build_counts_model(facts, block)
        outcome = solve_highs(built.model, built.objective, 10.0)
        if outcome.status == "INFEASIBLE":
            event("counts infeasible")
            assert best is None  # a relaxation: no plan of the book fits either
            return
        if outcome.status != "OPTIMAL" or outcome.objective is None:
            solved = False
            continue
        total += outcome.objective / 100
        assert outcome.values is not None
        plan = counts_plan(facts, block, built, outcome.values)
        # The plan's value is the model's plus what the model leaves out (specialisation
        # as a preference); without families its books obey the per-CSM rules as modelled.
        assert block.objective(facts, plan) >= outcome.objective / 100 - 1e-6
    if solved and best is not None:
        event("compared with brute force")
        assert total <= best + 1e-6


def _bench_m_biggest_block() -> tuple[Facts, Block]:
    """bench-M's 1,826-account Scale block: the counts model applies, with families."""
    instance = load_instance(INSTANCES / "bench-M.json")
    assert instance.policy.effective_date is not None
    facts = Facts(instance, instance.policy.effective_date)
    return facts, max(find_blocks(facts), key=lambda b: len(b.accounts))


def test_counts_plan_on_bench_m_is_what_the_model_says() -> None:
    """On bench-M's biggest block (no families are split: they stay at the start's owner)
    the counts plan obeys the rules and its recomputed objective is at least the bound."""
    facts, block = _bench_m_biggest_block()
    start = {a: facts.accounts[a].current_csm for a in block.accounts}
    result = solve_counts(facts, block, Deadline.after(20.0), start, SolveParams())
    assert result is not None and result.bound is not None
    if result.owners:
        assert result.objective is not None
        assert result.objective == pytest.approx(block.objective(facts, result.owners))
        assert result.bound <= result.objective + 1e-6


def test_a_big_block_takes_the_counts_companion() -> None:
    """bench-M's 98,604-pair Scale block is too big for HiGHS's MIP: it gets the counts
    model beside the search. Measured at 30 s: its bound 385.42 comes from the counts model
    (the plan: 390.03); the whole plan passes the checker."""
    instance = load_instance(INSTANCES / "bench-M.json")
    result = solve(instance, time_limit=30, workers=2)
    solution = result.solution
    assert solution.objective is not None and solution.bound is not None
    assert solution.bound <= solution.objective + 1e-6
    report = check(
        instance, {r.account: r.csm for r in solution.assignments}, solution.effective_date
    )
    assert report.violations == []
    assert report.objective == pytest.approx(solution.objective, abs=0.01)
    biggest = max(solution.block_summary, key=lambda row: row.accounts)
    assert "counts" in biggest.companion or "plan" in biggest.companion


def test_the_bound_arrives_before_the_plan_and_the_search_adopts_a_better_plan() -> None:
    """bench-M's biggest block has families: the counts model's bound is reported first
    (`on_bound`), then the plan with families pinned; the neighbourhood search, offered
    that plan, goes on from it and ends no worse."""
    facts, block = _bench_m_biggest_block()
    start = greedy_plan(facts, keep_current=True)
    first: list[float] = []
    result = solve_counts(
        facts,
        block,
        Deadline.after(12.0),
        start,
        SolveParams(),
        on_bound=lambda r: first.append(r.bound or 0.0),
    )
    assert result is not None and result.objective is not None and result.owners
    assert len(first) == 1 and first[0] <= result.objective + 1e-6
    assert (
        facts.checker.block_violations(result.owners, list(block.accounts), list(block.csms)) == []
    )
    for members in facts.families.values():  # kept together
        if members[0] in result.owners:
            assert len({result.owners[a] for a in members}) == 1
    offered: list[bool] = []

    def adopt(current: Plan) -> Plan | None:
        offered.append(True)
        return result.owners if len(offered) == 1 else None

    plan = improve(facts, block, start, Deadline.after(2.0), seed=0, adopt=adopt).plan
    assert len(offered) > 1
    assert block.objective(facts, plan) <= result.objective + 1e-6


def test_the_plan_keeps_its_time_when_highs_overruns_the_bound(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """HiGHS can run past its limit on the bound's model (bench-L's 1,285-account block:
    13.6 s when asked for 6.5). Even when it overruns by its whole part, the model for
    the plan (families pinned) still gets at least as long as the bound was given."""
    facts, block = _bench_m_biggest_block()
    start = greedy_plan(facts, keep_current=True)
    limits: list[float] = []
    real_highs, real_cpsat = counts.solve_highs, counts.solve_with_cpsat

    def overrunning(model: Any, objective: Any, time_limit: float) -> Any:
        limits.append(time_limit)
        outcome = real_highs(model, objective, time_limit)
        if len(limits) == 1:
            time.sleep(time_limit)
        return outcome

    def cpsat(model: Any, objective: Any, time_limit: float, workers: int) -> Any:
        limits.append(time_limit)
        return real_cpsat(model, objective, time_limit, workers=workers)

    monkeypatch.setattr(counts, "solve_highs", overrunning)
    monkeypatch.setattr(counts, "solve_with_cpsat", cpsat)
    result = solve_counts(facts, block, Deadline.after(12.0), start, SolveParams())
    assert result is not None and result.bound is not None
    assert len(limits) == 2
    assert limits[1] >= limits[0]


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow],
)
@given(raw=instances())
def test_cpsat_on_the_counts_model_agrees_with_highs(raw: dict[str, Any]) -> None:
    """The counts model handed to CP-SAT (`counts_cpsat.py`) has the same optimum as under
    HiGHS, on tiny books both prove in a few seconds."""
    instance = to_instance(raw)
    facts = Facts(instance, EFFECTIVE)
    for block in find_blocks(facts):
        if not modelled(facts, block):
            continue
        built = build_counts_model(facts, block)
        outcome = solve_highs(built.model, built.objective, 10.0)
        values = solve_with_cpsat(built.model, built.objective, 5.0, workers=2)
        if outcome.status == "INFEASIBLE":
            assert values is None
            continue
        if outcome.status != "OPTIMAL" or outcome.objective is None or values is None:
            continue
        event("both solved")
        assert built.objective.value(values) == pytest.approx(outcome.objective, abs=1e-6)
