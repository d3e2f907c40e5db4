"""`allocate validate | solve`: problems found up front, and messages that say what
happened."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from allocator.cli import common, plans
from allocator.cli.main import main
from allocator.io import load_instance
from allocator.pipeline import SolveResult, solve
from tests.builders import INSTANCES


def test_validate_runs_the_capacity_precheck(tmp_path: Path) -> None:
    """A file can be valid and still leave no plan possible: `validate` says so (exit 3)
    instead of 'valid' and a solve that fails a moment later."""
    raw = json.loads((INSTANCES / "example.json").read_text(encoding="utf-8"))
    for csm in raw["csms"]:
        if csm["id"] in ("C015", "C017"):  # the two finance specialists on Global accounts
            csm["capacity"] = 1
    path = tmp_path / "tight.json"
    path.write_text(json.dumps(raw), encoding="utf-8")
    result = CliRunner().invoke(main, ["validate", str(path)])
    assert result.exit_code == 3, result.output
    assert "no plan can obey every rule (capacity pre-check)" in result.output
    assert "effort_capacity: Global / finance: effort 48.52 but 2 finance CSMs" in result.output
    clean = CliRunner().invoke(main, ["validate", str(INSTANCES / "example.json")])
    assert clean.exit_code == 0 and ": valid — " in clean.output


def test_a_long_list_of_findings_is_cut_to_the_first_ones_unless_all_is_asked(
    tmp_path: Path,
) -> None:
    raw = json.loads((INSTANCES / "example.json").read_text(encoding="utf-8"))
    for csm in raw["csms"]:
        csm["capacity"] = 1
    path = tmp_path / "starved.json"
    path.write_text(json.dumps(raw), encoding="utf-8")
    cut = CliRunner().invoke(main, ["validate", str(path)])
    every = CliRunner().invoke(main, ["validate", str(path), "--all"])
    assert cut.exit_code == every.exit_code == 3
    findings = [line for line in every.output.splitlines() if line.startswith("  ")]
    assert len(findings) > common.FINDINGS_SHOWN
    shown = cut.output.splitlines()
    assert shown[1 : 1 + common.FINDINGS_SHOWN] == findings[: common.FINDINGS_SHOWN]
    more = len(findings) - common.FINDINGS_SHOWN
    assert shown[-1] == f"  … and {more} more (--all lists every one)"


def test_a_kept_better_plan_is_not_called_the_interrupted_runs_plan(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    instance = load_instance(INSTANCES / "example.json")
    best = solve(instance, time_limit=10)
    assert best.status == "OPTIMAL" and isinstance(best.write(tmp_path), list)
    worse = best.solution.model_copy(
        update={"objective": (best.objective or 0) + 5, "status": "FEASIBLE", "interrupted": True}
    )
    with pytest.raises(SystemExit) if worse.violations else contextlib.nullcontext():
        plans._report_and_write(
            SolveResult(worse, best.report, best.instance), tmp_path, overwrite=False
        )
    printed = capsys.readouterr().out
    assert "Kept the better plan already in" in printed
    assert "the interrupted run's plan" in printed
    assert "Interrupted: this is the best plan found so far" not in printed


def test_a_ctrl_c_the_command_did_not_handle_is_one_line_and_exit_130(
    capsys: pytest.CaptureFixture[str],
) -> None:
    def interrupted() -> None:
        raise KeyboardInterrupt

    with pytest.raises(SystemExit) as done:
        common.guarded(interrupted)()
    assert done.value.code == common.EXIT_INTERRUPTED
    assert capsys.readouterr().err.strip() == "interrupted; nothing written"
