"""Tight books (issue 16): a new book goes to CP-SAT from its LP start (first on its core
model), a search that ends without a plan obeying every rule hands over to CP-SAT instead
of losing the block, and the time to the first complete plan is reported."""

from __future__ import annotations

from pathlib import Path

import pytest

from allocator.deadline import Deadline
from allocator.facts import Facts
from allocator.facts.blocks import find_blocks
from allocator.io import read_orlib_gap
from allocator.model.mip import solve_block_mip
from allocator.parameters import DEFAULT_WORKERS, SolveParams, available_cpus
from allocator.pipeline import block as block_module
from allocator.pipeline import solve
from allocator.pipeline.settings import Settings
from allocator.schema import effective_date_of
from allocator.search import Searched, SearchStats, starting_plan
from allocator.search.lp_start import LpStarted, lp_start
from benchmarks.gap_tight import generate
from tests.builders import account, csm, make_instance


def test_a_tight_new_book_gets_a_checked_plan_and_its_first_plan_time(tmp_path: Path) -> None:
    path = tmp_path / "d10x200"
    path.write_text(generate("d", 10, 200, seed=4), encoding="utf-8")
    result = solve(read_orlib_gap(path), time_limit=10, workers=1)
    assert result.status in ("OPTIMAL", "FEASIBLE") and result.feasible
    first = result.solution.parameters["first_plan_seconds"]
    assert isinstance(first, float) and 0 <= first <= result.solution.solve_seconds


def test_a_search_without_a_plan_hands_over_to_cpsat(monkeypatch: pytest.MonkeyPatch) -> None:
    """The lost-plan path: a rebalance block too big to model whole, whose search ends
    with a plan that breaks a rule, used to end with no plan at all."""
    instance = make_instance(
        [account(f"A{i}", current_csm="C1", effort=3) for i in range(6)],
        [csm("C1", capacity=9), csm("C2", capacity=9), csm("C3", capacity=9)],
    )

    def stuck(job: object, hint: dict[str, str], deadline: object, repair: bool) -> Searched:
        return Searched(plan=dict(hint), stats=SearchStats())  # no better than the start

    monkeypatch.setattr(block_module, "_search", stuck)
    params = SolveParams(search_threshold=1, full_model_limit=1)
    start_breaks = {f"A{i}": "C1" for i in range(6)}  # 18 effort on a capacity of 9
    result = solve(instance, time_limit=10, workers=1, params=params, start=start_breaks)
    assert result.status in ("OPTIMAL", "FEASIBLE") and result.feasible


def test_every_command_defaults_to_one_worker_per_cpu() -> None:
    assert DEFAULT_WORKERS == available_cpus() >= 1
    assert Settings().workers == DEFAULT_WORKERS


def test_a_book_with_every_account_pooled_solves() -> None:
    """No named account and no staying CSM, so no block: the plan (every account pooled) is
    complete at once. Found by the headcount property test when a release left no CSM."""
    instance = make_instance(
        [account("A1", arr=20_000), account("A2", arr=30_000)],
        [csm("C1", leaving=True)],
        policy={"segments": [{"name": "Scale", "pooled": True}], "strategic_segment": None},
    )
    result = solve(instance, time_limit=5, workers=1)
    assert result.status == "OPTIMAL" and result.feasible
    assert result.solution.parameters["first_plan_seconds"] == 0.0
    assert result.solution.parameters["blocks"] == 0


def test_a_big_tight_new_book_has_the_lp_bound_and_no_companion(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Above the MIP's size the companion would only solve the LP the rounded start
    solves: the block goes without it, and the start's LP bound stands."""
    path = tmp_path / "d10x200"
    path.write_text(generate("d", 10, 200, seed=6), encoding="utf-8")
    instance = read_orlib_gap(path)

    def no_companion(*args: object, **kwargs: object) -> None:
        raise AssertionError("a companion started")

    monkeypatch.setattr(block_module, "Companion", no_companion)
    params = SolveParams(mip_limit=500)  # the 2,000 pairs count as above the MIP's size
    result = solve(instance, time_limit=6, workers=2, params=params)
    assert result.status in ("OPTIMAL", "FEASIBLE") and result.feasible
    facts = Facts(instance, effective_date_of(instance))
    lp = solve_block_mip(facts, facts.checker, None, 30, relax=True).bound
    assert lp is not None
    bound = result.solution.bound
    assert bound is not None and bound >= lp - 1e-6 * lp


def _core_job(tmp_path: Path, seed: int) -> tuple[block_module._Job, dict[str, str], LpStarted]:
    path = tmp_path / "d10x200"
    path.write_text(generate("d", 10, 200, seed=seed), encoding="utf-8")
    instance = read_orlib_gap(path)
    facts = Facts(instance, effective_date_of(instance))
    (block,) = find_blocks(facts)
    started = lp_start(facts, block, starting_plan(facts, [block]), Deadline.after(30))
    assert started is not None
    job = block_module._Job(facts, block, Settings(workers=1), lambda *tick: None)
    return job, dict(started.plan), started


def test_the_core_model_keeps_each_account_near_its_lp_csms(tmp_path: Path) -> None:
    """CP-SAT on the core from the LP-rounded start: a plan that obeys every rule, no worse
    than the start, with every account at one of its near CSMs or where it started."""
    job, start, started = _core_job(tmp_path, seed=7)
    near = started.near(3)
    assert job.obeys_rules(start)
    assert all(len(csms) >= 1 for csms in near.values())
    assert sum(len(csms) for csms in near.values()) < 10 * len(start) / 2
    plan = block_module._core(job, start, near, Deadline.after(3))
    assert job.obeys_rules(plan)
    block, facts = job.block, job.facts
    assert block.objective(facts, plan) <= block.objective(facts, start)
    for account_id in block.accounts:
        assert plan[account_id] in (*near[account_id], start[account_id])


def test_a_new_books_search_moves_accounts_only_to_their_near_csms(tmp_path: Path) -> None:
    """The new-book search with near CSMs: every step keeps the plan within the rules and
    no worse, and every account ends where it started or at one of its near CSMs, where
    the unrestricted search moves some elsewhere."""
    job, start, started = _core_job(tmp_path, seed=9)
    near = started.near(2)
    facts, block = job.facts, job.block
    searched = block_module._search(
        job, start, Deadline.after(3), False, new_book=True, partners=started.partners, near=near
    )
    assert searched.stats.steps > 0 and job.obeys_rules(searched.plan)
    assert block.objective(facts, searched.plan) <= block.objective(facts, start)
    outside = [a for a in block.accounts if searched.plan[a] not in (*near[a], start[a])]
    assert not outside
    free = block_module._search(
        job, start, Deadline.after(3), False, new_book=True, partners=started.partners
    )
    assert any(free.plan[a] not in (*near[a], start[a]) for a in block.accounts)


def test_without_a_core_the_start_stands(tmp_path: Path) -> None:
    """No reduced costs (no core): the phase returns the start unchanged."""
    job, start, _ = _core_job(tmp_path, seed=8)
    assert block_module._core(job, start, {}, Deadline.after(3)) == start
