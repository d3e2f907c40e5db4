"""The LP-rounded start of a new, tight book (issue 16): where the greedy start breaks
capacity, it gives a plan that obeys every rule, close to the LP bound."""

from __future__ import annotations

from pathlib import Path

from allocator.deadline import Deadline
from allocator.facts import Facts
from allocator.facts.blocks import find_blocks
from allocator.io import read_orlib_gap
from allocator.model.mip import solve_block_mip
from allocator.schema import effective_date_of
from allocator.search import starting_plan
from allocator.search.lp_start import lp_start
from benchmarks.gap_tight import generate


def test_a_tight_type_d_book_starts_near_its_lp_bound(tmp_path: Path) -> None:
    path = tmp_path / "d10x200"
    path.write_text(generate("d", 10, 200, seed=3), encoding="utf-8")
    instance = read_orlib_gap(path)
    facts = Facts(instance, effective_date_of(instance))
    (block,) = find_blocks(facts)
    greedy = starting_plan(facts, [block])
    assert not facts.checker.check(greedy).feasible  # capacity at 80%: greedy fails
    started = lp_start(facts, block, greedy, Deadline.after(30))
    assert started is not None
    report = facts.checker.check(started.plan)
    assert report.feasible, report.violations[:3]
    lp = solve_block_mip(facts, facts.checker, None, 30, relax=True).bound
    assert lp is not None and lp <= report.objective <= 1.05 * lp
    # The start's own bound is the same LP's, whichever algorithm answered first.
    assert started.bound is not None and abs(started.bound - lp) <= 1e-6 * lp


def test_the_rounded_start_reports_its_plans_as_they_come(tmp_path: Path) -> None:
    """Progress shows a first plan while CP-SAT still places the LP's split accounts; no
    value heard is better than the plan returned."""
    path = tmp_path / "d20x400"
    path.write_text(generate("d", 20, 400, seed=4), encoding="utf-8")
    instance = read_orlib_gap(path)
    facts = Facts(instance, effective_date_of(instance))
    (block,) = find_blocks(facts)
    heard: list[float] = []
    started = lp_start(
        facts, block, starting_plan(facts, [block]), Deadline.after(30), on_plan=heard.append
    )
    assert started is not None and facts.checker.check(started.plan).feasible
    assert heard
    assert min(heard) >= block.objective(facts, started.plan) - 1e-6
