"""The LP-rounded start of a new, tight book (issue 16): where the greedy start breaks
capacity, it gives a plan that obeys every rule, close to the LP bound."""

from __future__ import annotations

from pathlib import Path

from allocator.deadline import Deadline
from allocator.facts import Block, Facts
from allocator.facts.blocks import find_blocks
from allocator.io import read_orlib_gap
from allocator.model.mathopt import build_mip
from allocator.model.mip import solve_block_mip
from allocator.schema import effective_date_of
from allocator.search import starting_plan
from allocator.search.lp_start import (
    NEAR_PER_ACCOUNT,
    LpStarted,
    lp_partners,
    lp_start,
    near_csms,
    rank_csms,
)
from benchmarks.gap_tight import generate
from tests.builders import account, csm, make_instance


def _tight_book(
    tmp_path: Path, kind: str, csms: int, accounts: int, seed: int
) -> tuple[Facts, Block]:
    """A generated tight GAP book (Chu & Beasley type `kind`) and its one block."""
    path = tmp_path / f"{kind}{csms}x{accounts}"
    path.write_text(generate(kind, csms, accounts, seed=seed), encoding="utf-8")
    instance = read_orlib_gap(path)
    facts = Facts(instance, effective_date_of(instance))
    (block,) = find_blocks(facts)
    return facts, block


def test_a_tight_type_d_book_starts_near_its_lp_bound(tmp_path: Path) -> None:
    facts, block = _tight_book(tmp_path, "d", 10, 200, seed=3)
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
    facts, block = _tight_book(tmp_path, "d", 20, 400, seed=4)
    heard: list[float] = []
    started = lp_start(
        facts, block, starting_plan(facts, [block]), Deadline.after(30), on_plan=heard.append
    )
    assert started is not None and facts.checker.check(started.plan).feasible
    assert heard
    assert min(heard) >= block.objective(facts, started.plan) - 1e-6


def test_lp_partners_are_csms_near_for_the_same_accounts() -> None:
    """Each account counts its `NEAR_PER_ACCOUNT` CSMs of least reduced cost as near, and
    any CSM the LP gives part of it; a CSM's partners are the CSMs near for its near
    accounts, most shared first."""
    csms = [csm(f"C{k}") for k in range(1, 7)]
    instance = make_instance([account(f"A{i}") for i in range(1, 4)], csms)
    facts = Facts(instance, effective_date_of(instance))
    (block,) = find_blocks(facts)
    form = build_mip(facts, block)
    near = {"A1": ["C1", "C2", "C3", "C4"], "A2": ["C1", "C2", "C5", "C6"], "A3": ["C1", "C3"]}
    reduced = [0.0] * len(form.model.names)
    for (account_id, csm_id), var in form.x.items():
        wanted = near[account_id]
        if account_id == "A3" and csm_id not in wanted:
            reduced[var] = 50.0 if csm_id in ("C5", "C6") else 10.0  # near: C1, C3, C2, C4
        else:
            reduced[var] = float(wanted.index(csm_id)) if csm_id in wanted else 100.0
    values = [0.0] * len(form.model.names)
    values[form.x["A3", "C6"]] = 0.5  # the LP gives part of A3 to C6: it stays in its core
    ranked = near_csms(rank_csms(form, reduced), values, NEAR_PER_ACCOUNT)
    assert ranked == {**near, "A3": ["C1", "C3", "C2", "C4", "C6"]}
    assert near_csms(rank_csms(form, reduced), values, 2)["A2"] == ["C1", "C2"]
    started = LpStarted({}, None, ranked=rank_csms(form, reduced), values=values)
    assert started.near(1) == {"A1": ["C1"], "A2": ["C1"], "A3": ["C1", "C6"]}
    partners = lp_partners(ranked)
    assert NEAR_PER_ACCOUNT == 4
    # C1 and C2 share all three accounts, C1 and C3 two, C1 and C4 two, C5 and C6 one.
    assert partners["C1"] == ["C2", "C3", "C4", "C5", "C6"]
    assert partners["C5"] == ["C1", "C2", "C6"]
    assert all(c not in others for c, others in partners.items())


def test_without_the_race_the_start_is_the_same_every_time(tmp_path: Path) -> None:
    """One worker or the reproducible mode: dual simplex alone, so the same basis, the
    same rounded start."""
    facts, block = _tight_book(tmp_path, "e", 10, 200, seed=8)
    greedy = starting_plan(facts, [block])
    first = lp_start(facts, block, greedy, Deadline.after(30), race=False)
    second = lp_start(facts, block, greedy, Deadline.after(30), race=False)
    assert first is not None and second is not None
    assert first.plan == second.plan and first.partners == second.partners
    assert first.near(3) == second.near(3) and first.near(3)
