"""A reason for every move, the local evaluation against the checker, and `allocate why`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from allocator.analysis.reasons import CATEGORIES, PlanView, move_reasons
from allocator.cli.main import main
from allocator.facts import Facts
from allocator.io.generate import generate_instance
from allocator.io.loading import load_instance
from allocator.pipeline import solve
from allocator.pipeline.result import SolveResult
from allocator.schema.instance import Instance
from tests.builders import account, csm, make_instance, run

NO_BALANCE: dict[str, Any] = {"weights": {"balance": 0}}


@pytest.fixture(scope="module")
def example() -> tuple[Instance, SolveResult]:
    instance = load_instance("instances/example.json")
    return instance, solve(instance, time_limit=30, workers=2, seed=0)


def changed(result: SolveResult) -> set[str]:
    return {
        r.account
        for r in result.solution.assignments
        if r.moved or (r.previous_csm is None and r.csm is not None)
    }


def test_every_move_in_the_example_has_a_reason(example: tuple[Instance, SolveResult]) -> None:
    instance, result = example
    assert result.status == "OPTIMAL"
    reasons = move_reasons(instance, result.solution)
    assert set(reasons) == changed(result)
    assert all(r.category in CATEGORIES and r.text for r in reasons.values())
    voluntary = [r for r in reasons.values() if not r.forced and r.previous_csm]
    assert voluntary, "the example should have voluntary moves"
    # In a proven-optimal plan no single move can be undone for free.
    assert all(r.keep_cost is None or r.keep_cost >= -1e-9 for r in voluntary)


@pytest.mark.parametrize("seed", [1, 2])
def test_every_move_in_a_generated_rebalancing_has_a_reason(seed: int) -> None:
    instance = generate_instance(120, 10, seed)
    result = solve(instance, time_limit=20, workers=2, seed=0)
    reasons = move_reasons(instance, result)
    assert set(reasons) == changed(result)
    forced = {r.account for r in result.solution.assignments if r.forced}
    assert {a for a, r in reasons.items() if r.forced} == forced


def test_local_evaluation_matches_the_checker(example: tuple[Instance, SolveResult]) -> None:
    """Undoing each voluntary move locally gives the checker's verdict on the whole plan."""
    instance, result = example
    solution = result.solution
    facts = Facts(instance, solution.effective_date)
    owners = solution.owners()
    view = PlanView(facts, owners)
    base = facts.checker.check(owners)
    for a, reason in move_reasons(instance, solution, facts).items():
        if reason.forced or reason.previous_csm is None:
            continue
        local = view.revert([a])
        reverted = {**owners, a: reason.previous_csm}
        full = facts.checker.check(reverted)
        new_rules = {v.rule for v in full.violations} - {v.rule for v in base.violations}
        assert {rule for rule, _ in local.broken} == new_rules, a
        if not new_rules:
            assert local.objective == pytest.approx(full.objective - base.objective, abs=1e-6)


CASES: list[tuple[str, Instance, str, str]] = [
    (
        "current owner leaving",
        make_instance([account("A1", current_csm="C1")], [csm("C1", leaving=True), "C2"]),
        "A1",
        "C1 is leaving",
    ),
    (
        "segment change",
        make_instance(
            [account("A1", arr=900_000, current_csm="C1")], ["C1", csm("C2", segments=["Global"])]
        ),
        "A1",
        "now in segment Global, which C1 does not serve",
    ),
    (
        "lost eligibility",
        make_instance(
            [account("A1", region="EMEA", current_csm="C1")], [csm("C1", regions=["NA"]), "C2"]
        ),
        "A1",
        "C1 does not cover region EMEA",
    ),
    (
        "over cap",
        make_instance(
            [account(f"A{i}", current_csm="C1") for i in range(3)],
            [csm("C1", max_accounts={"Scale": 2}), "C2"],
            policy=NO_BALANCE,
        ),
        "A0",
        "C1 would have 3 Scale accounts, cap 2",
    ),
    (
        "over capacity",
        make_instance(
            [account(f"A{i}", effort=4, current_csm="C1") for i in range(3)],
            ["C1", "C2"],
            policy=NO_BALANCE,
        ),
        "A0",
        "C1 would have effort 12.00 over capacity 10.00 (120.0% of capacity)",
    ),
    (
        "balance",
        make_instance([account(f"A{i}", current_csm="C1") for i in range(4)], ["C1", "C2"]),
        "A0",
        "keeping C1 alone, the rest as planned, would cost +",
    ),
    (
        "renewal bunching",
        make_instance(
            [account(f"A{i}", current_csm="C1", renewal_date="2026-02-01") for i in range(2)]
            + [account("B", current_csm="C1")],
            ["C1", "C2"],
            policy={
                "renewal_spread": {"max_per_window": 1},
                "weights": {"balance": 0, "renewal_bunching": 5},
            },
        ),
        "A0",
        "renewal_bunching +5.00",
    ),
    (
        "specialization",
        make_instance(
            [account("A1", vertical="finance", current_csm="C1")],
            ["C1", csm("C2", verticals=["finance"])],
            policy={"specialization": {"hard": False}, **NO_BALANCE},
        ),
        "A1",
        "specialization +5.00",
    ),
    (
        "family",
        make_instance(
            [
                account("P1", region="EMEA", current_csm="C1"),
                account("P1-a", parent_id="P1", region="NA", current_csm="C2"),
            ],
            [csm("C1", leaving=True), csm("C2", regions=["NA"]), csm("C3", regions=["NA", "EMEA"])],
            policy=NO_BALANCE,
        ),
        "P1-a",
        "family of P1 would be split",
    ),
    ("new account placed", make_instance(["A1"], ["C1"]), "A1", "placed with C1"),
]


@pytest.mark.parametrize(
    ("category", "instance", "account_id", "needle"), CASES, ids=[c[0] for c in CASES]
)
def test_each_category(category: str, instance: Instance, account_id: str, needle: str) -> None:
    result = run(instance)
    assert result.status == "OPTIMAL"
    reasons = move_reasons(instance, result.solution)
    assert set(reasons) == changed(result)
    reason = reasons[account_id]
    assert reason.category == category
    assert needle in reason.text


def test_pooled_segment_change() -> None:
    instance = make_instance(
        [account("A1", arr=5_000, current_csm="C1"), "A2"],
        ["C1"],
        policy={
            "segments": [
                {"name": "Digital", "max_arr": 10_000, "pooled": True},
                {"name": "Scale", "min_arr": 10_000},
            ],
            "strategic_segment": None,
        },
    )
    reason = move_reasons(instance, run(instance).solution)["A1"]
    assert reason.category == "segment change" and reason.new_csm is None
    assert "pooled segment Digital" in reason.text


# --- allocate why ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def example_plan(
    example: tuple[Instance, SolveResult], tmp_path_factory: pytest.TempPathFactory
) -> Path:
    out = tmp_path_factory.mktemp("plan")
    example[1].write(out)
    return out / "solution.json"


def test_why_a_voluntary_move(example: tuple[Instance, SolveResult], example_plan: Path) -> None:
    instance, result = example
    reasons = move_reasons(instance, result.solution)
    account_id = next(
        a
        for a, r in sorted(reasons.items())
        if not r.forced and r.previous_csm and r.keep_cost is not None
    )
    previous = reasons[account_id].previous_csm
    output = CliRunner().invoke(
        main,
        [
            "why",
            "instances/example.json",
            str(example_plan),
            account_id,
            "--time-limit",
            "10",
            "--workers",
            "2",
        ],
    )
    assert output.exit_code == 0, output.output
    text = output.output
    assert f"account {account_id}" in text and "eligible CSMs" in text
    assert f"previous owner {previous}" in text
    assert f"re-solve with {account_id} pinned to {previous}" in text
    assert "re-solve OPTIMAL" in text and "keeping costs +" in text


def test_why_a_forced_move(example: tuple[Instance, SolveResult], example_plan: Path) -> None:
    instance, result = example
    reasons = move_reasons(instance, result.solution)
    account_id = next(
        a for a, r in sorted(reasons.items()) if r.category == "current owner leaving"
    )
    output = CliRunner().invoke(
        main, ["why", "instances/example.json", str(example_plan), account_id]
    )
    assert output.exit_code == 0, output.output
    assert "is leaving" in output.output and "the rules forbid it" in output.output


def test_why_exact_cost_of_an_over_cap_move(tmp_path: Path) -> None:
    instance = CASES[3][1]
    path = tmp_path / "instance.json"
    path.write_text(instance.model_dump_json(), encoding="utf-8")
    run(instance).write(tmp_path / "plan")
    output = CliRunner().invoke(
        main, ["why", str(path), str(tmp_path / "plan/solution.json"), "A0", "--workers", "1"]
    )
    assert output.exit_code == 0, output.output
    assert "keeping C1 alone, the rest as planned, would break account_caps" in output.output
    # Keeping A0 is possible if another account moves instead: same cost, both optimal.
    assert "keeping costs +0.00" in output.output and "exact" in output.output


def test_why_rejects_unknown_account_and_empty_plan(example_plan: Path, tmp_path: Path) -> None:
    output = CliRunner().invoke(main, ["why", "instances/example.json", str(example_plan), "NOPE"])
    assert output.exit_code == 2
    assert "accounts[id=NOPE]: no such account id or name in the instance" in output.output
    empty = tmp_path / "solution.json"
    empty.write_text(
        '{"instance": "x", "status": "INFEASIBLE", "objective": null, '
        '"bound": null, "gap": null, "solve_seconds": 0, '
        '"effective_date": "2027-01-01"}',
        encoding="utf-8",
    )
    output = CliRunner().invoke(main, ["why", "instances/example.json", str(empty), "A00001"])
    assert output.exit_code == 2 and "no plan in this solution" in output.output
    assert "Traceback" not in output.output


def test_why_names_the_rules_when_keeping_is_impossible() -> None:
    from allocator.analysis.why import why_lines

    instance = make_instance(
        [account(f"L{i}", current_csm="C1", locked=True) for i in range(2)]
        + [account("A0", current_csm="C1")],
        [csm("C1", max_accounts={"Scale": 2}), "C2"],
    )
    lines = why_lines(instance, run(instance).solution, "A0", time_limit=10, workers=1)
    text = "\n".join(lines)
    assert (
        "keeping C1, the rest re-planned (re-solve with A0 pinned to C1): no plan exists "
        "(proven), because:" in text
    )
    for needle in (
        "pin: A0 pinned to C1",
        "locked_accounts: L0 is locked to C1",
        "locked_accounts: L1 is locked to C1",
        "account_caps: C1 may hold at most 2 Scale accounts",
    ):
        assert needle in text


def test_why_takes_an_account_name(
    example: tuple[Instance, SolveResult], example_plan: Path
) -> None:
    instance, result = example
    reasons = move_reasons(instance, result.solution)
    names = [a.name for a in instance.accounts]
    account_id, name = next(
        (a.id, a.name)
        for a in instance.accounts
        if a.id in reasons and reasons[a.id].forced and names.count(a.name) == 1
    )
    output = CliRunner().invoke(
        main, ["why", "instances/example.json", str(example_plan), f"  {name.upper()} "]
    )
    assert output.exit_code == 0, output.output
    assert f"account {account_id} ({name})" in output.output


def test_a_balance_move_says_what_each_book_would_carry_without_it() -> None:
    """Utilisation in % of capacity, the previous owner first, as a leader reads it."""
    instance = next(c[1] for c in CASES if c[0] == "balance")
    reason = move_reasons(instance, run(instance).solution)["A0"]
    assert reason.text.startswith(
        "moved to C2 to even out effort: without the move, C1 would carry 30% of its capacity "
        "instead of 20% (target 20%), and C2 10% instead of 20% (target 20%); keeping C1 "
        "alone, the rest as planned, would cost +1.00 (balance +2.00, moves -1.00)"
    ), reason.text
