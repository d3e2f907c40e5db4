"""Headcount: the fewest hires by profile (proven by the staffing model and shown by a
checked plan), releases when the book has room, and the options that limit hiring."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from click.testing import CliRunner
from hypothesis import HealthCheck, given, reject, settings

from allocator.cli.main import main
from allocator.io import instance_from_dict
from allocator.pipeline import solve
from allocator.planning import HeadcountOptions, plan_headcount
from allocator.planning.profiles import hire_ramp
from allocator.schema import InputError, Instance
from tests.builders import account, csm, make_instance
from tests.strategies import instances

FAST = HeadcountOptions(time_limit=20, workers=1)


def _short_book(accounts: int = 45, csms: int = 3, cap: int = 10) -> Instance:
    """`accounts` Scale accounts, `csms` CSMs with a cap of `cap` accounts each."""
    return make_instance(
        [account(f"A{i:02d}", current_csm="C0") for i in range(accounts)],
        [csm(f"C{i}", capacity=100, annual_cost=100_000) for i in range(csms)],
        policy={
            "segments": [{"name": "Scale", "max_accounts": cap, "cost_to_arr_target": 10.0}],
            "strategic_segment": None,
        },
    )


def test_a_book_short_of_slots_gets_the_fewest_hires_proven() -> None:
    book = _short_book()  # 45 accounts, 3 x 10 slots: 2 more CSMs like them
    result = plan_headcount(book, FAST)
    assert result.total_hires == 2 and result.hires_bound == 2 and result.proven
    assert result.has_plan and result.plan is not None and result.plan.report is not None
    assert result.plan.report.feasible
    hired = {c.id for c in result.instance.csms} - {c.id for c in book.csms}
    assert hired == {"NEW-Scale-generalist-any-region-1", "NEW-Scale-generalist-any-region-2"}
    owners = result.plan.owners
    assert all(sum(1 for o in owners.values() if o == c) <= 10 for c in hired)
    assert "account_caps" in result.hires[0].why and "45" in result.hires[0].why
    # One hire fewer is not enough: the solver proves it.
    one_short = result.instance.model_copy(
        update={"csms": [c for c in result.instance.csms if not c.id.endswith("-2")]}
    )
    assert solve(one_short, time_limit=10, workers=1).status == "INFEASIBLE"


def test_max_hires_below_the_need_gives_no_hiring_plan() -> None:
    result = plan_headcount(_short_book(), HeadcountOptions(time_limit=10, workers=1, max_hires=1))
    assert not result.hires and not result.has_plan
    assert result.staffing_status == "INFEASIBLE"
    assert any("--max-hires 1" in note for note in result.notes)


def test_a_budget_counts_annual_cost() -> None:
    enough = plan_headcount(
        _short_book(), HeadcountOptions(time_limit=10, workers=1, budget=200_000)
    )
    short = plan_headcount(
        _short_book(), HeadcountOptions(time_limit=10, workers=1, budget=150_000)
    )
    assert enough.total_hires == 2 and enough.has_plan
    assert not short.has_plan and short.staffing_status == "INFEASIBLE"


def test_cost_targets_that_hiring_cannot_meet_are_said() -> None:
    book = _short_book()
    policy = book.policy
    tight = policy.model_copy(
        update={"segments": [policy.segments[0].model_copy(update={"cost_to_arr_target": 0.01})]}
    )
    result = plan_headcount(book.model_copy(update={"policy": tight}), FAST)
    assert result.total_hires == 2 and result.has_plan
    assert any("cost/ARR" in note for note in result.notes)


def test_a_book_with_room_needs_no_hire_and_shows_what_it_could_spare() -> None:
    book = _short_book(accounts=12, csms=4)  # 40 slots for 12 accounts
    result = plan_headcount(book, FAST)
    assert result.total_hires == 0 and result.has_plan
    assert len(result.released) == 2 and result.release_bound == 2
    assert {s.csm for s in result.spare if s.releasable} == set(result.released)
    kept = [c for c in book.csms if c.id not in result.released]
    assert solve(book.model_copy(update={"csms": kept}), time_limit=10, workers=1).feasible


def test_hires_ramp_to_the_horizon() -> None:
    start = dt.date(2026, 1, 1)
    assert hire_ramp(start, None, 3) == 1.0
    assert hire_ramp(start, dt.date(2026, 2, 15), 3) == 0.4928
    assert hire_ramp(start, dt.date(2026, 12, 31), 3) == 1.0
    # Half-ramped hires: twice as many are needed for the same effort.
    book = make_instance(
        [account(f"A{i:02d}", current_csm="C0", effort=5) for i in range(30)],
        [csm("C0", capacity=50)],
        policy={"segments": [{"name": "Scale"}], "strategic_segment": None},
    )
    full = plan_headcount(book, FAST)
    half = plan_headcount(
        book, HeadcountOptions(time_limit=20, workers=1, horizon=dt.date(2026, 2, 15))
    )
    assert full.total_hires == 2  # 150 effort, 50 per CSM
    assert half.total_hires == 5 and half.hires[0].profile.ramp == 0.4928  # 100 / 24.64


def test_a_team_losing_a_quarter_of_its_csms_gets_a_checked_hiring_plan(tmp_path: Path) -> None:
    """The issue's case, scaled down: a generated book with a quarter of its CSMs leaving
    leaves accounts nobody may take (validate refuses it); headcount's hires give a plan
    the checker accepts; the CLI writes instance.json, hiring_plan.csv and the plan."""
    path = tmp_path / "book.json"
    made = CliRunner().invoke(
        main,
        [
            *[
                "generate",
                "--accounts",
                "600",
                "--csms",
                "24",
                "--seed",
                "21",
                "--leaving-share",
                "0.25",
                "-o",
            ],
            str(path),
        ],
    )
    assert made.exit_code == 0, made.output
    assert CliRunner().invoke(main, ["validate", str(path)]).exit_code == 2
    out = tmp_path / "hc"
    run = CliRunner().invoke(
        main, ["headcount", str(path), "-o", str(out), "--time-limit", "60", "--workers", "1"]
    )
    assert run.exit_code == 0, run.output
    assert "hire 4 CSMs (the proven minimum)" in run.output
    assert "eligibility: no staying CSM may take" in run.output
    hiring = (out / "hiring_plan.csv").read_text(encoding="utf-8").splitlines()
    assert len(hiring) == 4 and hiring[0].startswith("profile,segment,specialism")
    check = CliRunner().invoke(
        main, ["check", str(out / "instance.json"), str(out / "plan" / "solution.json")]
    )
    assert check.exit_code == 0, check.output


def test_under_a_move_cap_hires_only_help_when_the_cap_is_ignored() -> None:
    """Over-full books must shed accounts; with a cap of 2 voluntary moves a hire cannot
    take enough, which the staffing model proves; ignoring the cap gives the hires."""
    book = make_instance(
        [account(f"A{i:02d}", current_csm="C0") for i in range(16)],
        [csm("C0", capacity=100)],
        policy={
            "segments": [{"name": "Scale", "max_accounts": 10}],
            "strategic_segment": None,
            "continuity": {"max_moves": 2},
        },
    )
    capped = plan_headcount(book, FAST)
    assert not capped.has_plan and capped.staffing_status == "INFEASIBLE"
    free = plan_headcount(book, HeadcountOptions(time_limit=20, workers=1, keep_move_cap=False))
    assert free.total_hires == 1 and free.has_plan and free.proven
    assert free.instance.policy.continuity.max_moves is None


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(raw=instances())
def test_a_proven_hiring_plan_is_checked_and_one_hire_fewer_has_no_plan(
    raw: dict[str, Any],
) -> None:
    """On random tiny books: every plan headcount returns passes the checker; when the
    count is proven minimal, the book with any one hire removed has no plan (CP-SAT proves
    it), so the staffing model's bound is a real lower bound there."""
    try:
        instance = instance_from_dict(raw)
    except InputError:
        reject()
    result = plan_headcount(instance, HeadcountOptions(time_limit=5, workers=1))
    if result.plan is not None and result.plan.solution.assignments:
        assert result.plan.report is not None and result.plan.report.feasible
    if not result.proven or not result.hires:
        return
    base_ids = {c.id for c in instance.csms}
    for line in result.hires:
        dropped = line.placeholders[-1]
        fewer = result.instance.model_copy(
            update={"csms": [c for c in result.instance.csms if c.id != dropped]}
        )
        assert dropped not in base_ids
        assert solve(fewer, time_limit=10, workers=1).status == "INFEASIBLE", line.profile.name
