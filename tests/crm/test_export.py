"""From CRM exports to an upload-ready move list, a handoff list, and a plan diff."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from allocator.analysis.diff import diff_plans
from allocator.analysis.reasons import LEAVING, NEW_ACCOUNT
from allocator.cli.main import main
from allocator.crm.export import handoff, handoff_counts, plan_moves
from allocator.crm.keys import keys_path
from allocator.io.generate import generate_instance
from allocator.io.loading import load_instance
from allocator.pipeline import solve
from allocator.schema.instance import Instance
from allocator.schema.solution import Solution
from tests.crm.fixtures import PRESETS, Export, build_export, write_export, write_policy

SHAPES = {
    "salesforce": ["Id", "OwnerId"],
    "gainsight": ["GSID", "CSM", "CSM Effective Date"],
    "churnzero": ["accountExternalId", "OwnerUserAccount"],
    "totango": ["account_id", "Success Manager", "Success Manager Effective Date"],
}


@dataclass
class Planned:
    export: Export
    instance_path: Path
    solution_path: Path
    instance: Instance
    solution: Solution


@pytest.fixture(scope="module")
def generated() -> Instance:
    return generate_instance(120, 10, seed=1)


def _plan(generated: Instance, preset: str, folder: Path, *extra: str) -> Planned:
    export = build_export(generated, preset, dirty=True)
    accounts, roster = write_export(export, folder, "csv")
    policy = write_policy(generated, folder / "policy.json")
    instance_path = folder / "instance.json"
    result = CliRunner().invoke(
        main,
        [
            "import",
            str(accounts),
            "--csms",
            str(roster),
            "--preset",
            preset,
            "--policy",
            str(policy),
            "--unknown-owner",
            "new",
            "-o",
            str(instance_path),
            *extra,
        ],
    )
    assert result.exit_code == 0, result.output
    instance = load_instance(instance_path)
    solved = solve(instance, time_limit=5, workers=2, seed=0)
    assert solved.feasible
    solved.write(folder / "plan")
    return Planned(
        export, instance_path, folder / "plan" / "solution.json", instance, solved.solution
    )


@pytest.fixture(scope="module", params=PRESETS)
def planned(
    request: pytest.FixtureRequest, generated: Instance, tmp_path_factory: pytest.TempPathFactory
) -> Planned:
    return _plan(generated, request.param, tmp_path_factory.mktemp(request.param))


def test_move_list_loads_in_the_platforms_shape(planned: Planned, tmp_path: Path) -> None:
    preset = planned.export.preset
    moves_path, handoff_path = tmp_path / "moves.csv", tmp_path / "handoff.csv"
    result = CliRunner().invoke(
        main,
        [
            "moves",
            str(planned.instance_path),
            str(planned.solution_path),
            "--preset",
            preset,
            "-o",
            str(moves_path),
            "--handoff",
            str(handoff_path),
        ],
    )
    assert result.exit_code == 0, result.output
    frame = pd.read_csv(moves_path, dtype=str, keep_default_na=False)
    assert list(frame.columns) == SHAPES[preset]
    account_column, owner_column = SHAPES[preset][:2]
    expected = {
        row.account: planned.export.owner_keys[row.csm]
        for row in planned.solution.assignments
        if row.csm is not None and row.csm != row.previous_csm
    }
    assert expected, "the dirty export should force some moves and new placements"
    assert dict(zip(frame[account_column], frame[owner_column], strict=True)) == expected
    if len(SHAPES[preset]) == 3:
        assert set(frame[SHAPES[preset][2]]) == {planned.solution.effective_date.isoformat()}
    # The handoff lists each change once as gained (new owner) and once as lost (old owner).
    table = pd.read_csv(handoff_path, dtype=str, keep_default_na=False)
    gained = table[table["change"] == "gained"]
    assert set(gained["account"]) == set(expected)
    assert (gained["csm"] == gained["to_csm"]).all()
    lost = table[table["change"] == "lost"]
    assert (lost["csm"] == lost["from_csm"]).all()
    moved = {r.account for r in planned.solution.assignments if r.moved}
    assert set(lost["account"]) == moved
    new_accounts = set(gained[gained["from_csm"] == ""]["account"])
    assert new_accounts and all(
        table[table["account"] == a]["reason"].iloc[0] == NEW_ACCOUNT for a in new_accounts
    )


def test_leavers_books_are_handed_off(planned: Planned) -> None:
    leavers = {c.id for c in planned.instance.csms if c.leaving}
    assert leavers
    moves = plan_moves(planned.instance, planned.solution)
    handed = [m for m in moves if m.from_csm in leavers]
    assert handed and all(m.reason == LEAVING and m.to_csm for m in handed)
    counts = handoff_counts(handoff(planned.instance, planned.solution))
    for leaver in leavers:
        row = counts[counts["csm"] == leaver].iloc[0]
        assert (row["gained"], row["lost"]) == (0, len(handed))


def test_salesforce_csm_lookup_is_written_back(generated: Instance, tmp_path: Path) -> None:
    export = build_export(generated, "salesforce")
    for row in export.accounts:
        row["CSM__c"] = row["OwnerId"]
        row["OwnerId"] = "005000000SALES1"  # the account executive, not the CSM
    accounts, roster = write_export(export, tmp_path, "csv")
    instance_path = tmp_path / "instance.json"
    runner = CliRunner()
    policy = write_policy(generated, tmp_path / "policy.json")
    assert (
        runner.invoke(
            main,
            [
                "import",
                str(accounts),
                "--csms",
                str(roster),
                "--preset",
                "salesforce",
                "--policy",
                str(policy),
                "-o",
                str(instance_path),
            ],
        ).exit_code
        == 0
    )
    solved = solve(load_instance(instance_path), time_limit=5, workers=2)
    solved.write(tmp_path / "plan")
    moves_path = tmp_path / "moves.csv"
    result = runner.invoke(
        main,
        [
            "moves",
            str(instance_path),
            str(tmp_path / "plan" / "solution.json"),
            "--preset",
            "salesforce",
            "-o",
            str(moves_path),
        ],
    )
    assert result.exit_code == 0, result.output
    assert list(pd.read_csv(moves_path).columns) == ["Id", "CSM__c"]


def test_a_plan_for_another_instance_is_refused(planned: Planned, tmp_path: Path) -> None:
    other = tmp_path / "other.json"
    other.write_text(
        planned.instance.model_copy(update={"name": "other"}).model_dump_json(), encoding="utf-8"
    )
    result = CliRunner().invoke(
        main,
        [
            "moves",
            str(other),
            str(planned.solution_path),
            "--preset",
            planned.export.preset,
            "-o",
            str(tmp_path / "m.csv"),
        ],
    )
    assert result.exit_code == 1
    assert "made for another instance" in result.output
    assert "moves refused (--force to go on anyway)" in result.output
    assert not (tmp_path / "m.csv").exists()


def test_emails_are_required_for_email_keyed_platforms(generated: Instance, tmp_path: Path) -> None:
    export = build_export(generated, "churnzero")
    for row in export.roster:
        row["email"] = ""
    for row in export.accounts:
        row["OwnerUserAccount"] = next(
            (
                r["id"]
                for r in export.roster
                if export.owner_keys[r["id"]] == row["OwnerUserAccount"]
            ),
            "",
        )
    accounts, roster = write_export(export, tmp_path, "csv")
    instance_path = tmp_path / "instance.json"
    runner = CliRunner()
    policy = write_policy(generated, tmp_path / "policy.json")
    assert (
        runner.invoke(
            main,
            [
                "import",
                str(accounts),
                "--csms",
                str(roster),
                "--preset",
                "churnzero",
                "--policy",
                str(policy),
                "-o",
                str(instance_path),
            ],
        ).exit_code
        == 0
    )
    solved = solve(load_instance(instance_path), time_limit=5, workers=2)
    solved.write(tmp_path / "plan")
    result = runner.invoke(
        main,
        [
            "moves",
            str(instance_path),
            str(tmp_path / "plan" / "solution.json"),
            "--preset",
            "churnzero",
            "-o",
            str(tmp_path / "m.csv"),
        ],
    )
    assert result.exit_code == 2
    assert f"{keys_path(instance_path)}: csms[id=" in result.output
    assert "email: needed for the OwnerUserAccount column" in result.output


def test_diff_of_two_plans(generated: Instance, tmp_path: Path) -> None:
    free = _plan(generated, "totango", tmp_path / "free")
    capped = _plan(generated, "totango", tmp_path / "capped", "--max-moves", "0")
    diff = diff_plans(capped.solution, free.solution)
    owners_capped, owners_free = capped.solution.owners(), free.solution.owners()
    assert {c.account for c in diff.changes} == {
        a for a in owners_free if owners_free[a] != owners_capped[a]
    }
    assert diff.numbers["objective"].change == pytest.approx(
        (free.solution.objective or 0) - (capped.solution.objective or 0)
    )
    out = tmp_path / "changes.csv"
    result = CliRunner().invoke(
        main, ["diff", str(capped.solution_path), str(free.solution_path), "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert f"{len(diff.changes)} accounts change owner" in result.output
    assert "term balance" in result.output
    assert len(pd.read_csv(out)) == len(diff.changes)


def test_handoff_report_and_why_give_each_move_one_reason() -> None:
    """The family's child is 'family' and its parent 'over cap' in the handoff file, the
    report and `why` alike (issue 14: the handoff file said 'rebalance' for both)."""
    from allocator.analysis.why import why_lines
    from allocator.report import build_report
    from tests.builders import account, csm, make_instance, run

    instance = make_instance(
        [
            account("X", current_csm="C1", locked=True),
            account("Y", current_csm="C1", locked=True),
            account("P", current_csm="C1"),
            account("K", current_csm="C1", parent_id="P"),
        ],
        [csm("C1", max_accounts={"Scale": 2}), "C2"],
    )
    solution = run(instance).solution
    table = handoff(instance, solution)
    gained = table[table["to_csm"] == "C2"].set_index("account")
    assert gained["reason"].to_dict() == {"P": "over cap", "K": "family"}
    page = build_report(instance, solution)
    for account_id, move in gained.iterrows():
        text = str(move["reason_text"])
        assert text.startswith("family of P (P, K) moved together: moved to C2")
        assert text in page
        lines = why_lines(instance, solution, str(account_id), time_limit=5, workers=1)
        assert f"reason ({move['reason']}): {text}" in lines
