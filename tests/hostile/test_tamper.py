"""Tampered plans: each is caught by `check` from the instance and the file alone, and
`report` and `moves` refuse it (exit 1, one line per violation) unless `--force`."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from allocator.io import load_instance
from allocator.pipeline import solve
from tests.builders import INSTANCES
from tests.hostile.cases import run

EXAMPLE = INSTANCES / "example.json"
Raw = dict[str, Any]
PRESET = ["--preset", "totango"]


@pytest.fixture(scope="module")
def plan() -> Raw:
    result = solve(load_instance(EXAMPLE), time_limit=20)
    assert result.status == "OPTIMAL"
    raw: Raw = json.loads(result.solution.model_dump_json())
    return raw


def _row(raw: Raw, account: str) -> dict[str, Any]:
    return next(r for r in raw["assignments"] if r["account"] == account)


def _kept(raw: Raw) -> dict[str, Any]:
    """A row whose account stays with its owner, an owned Scale account of a generalist."""
    return next(
        r
        for r in raw["assignments"]
        if not r["moved"] and r["csm"] in ("C004", "C011", "C014") and r["segment"] == "Scale"
    )


def duplicate_row(raw: Raw) -> None:
    row = _kept(raw)
    raw["assignments"].insert(0, {**row, "csm": "C009"})  # a leaver first, then the real row


def frozen_move_and_later_date(raw: Raw) -> None:
    row = _row(raw, "A00001")  # renews within the 30-day freeze, owner C006
    row.update(csm="C019", moved=True)
    raw["effective_date"] = "2030-01-01"


def to_leaver(raw: Raw) -> None:
    _kept(raw).update(csm="C009", moved=True)


def to_wrong_segment(raw: Raw) -> None:
    _kept(raw).update(csm="C005", moved=True)  # C005 serves Global only


def drop_row(raw: Raw) -> None:
    raw["assignments"].remove(_kept(raw))


def unknown_account(raw: Raw) -> None:
    raw["assignments"].append({**_kept(raw), "account": "A99999"})


def setter(*path: str | int, value: Any) -> Callable[[Raw], None]:
    def change(raw: Raw) -> None:
        node: Any = raw
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value

    return change


def row_field(name: str, value: Any) -> Callable[[Raw], None]:
    def change(raw: Raw) -> None:
        _kept(raw)[name] = value

    return change


TAMPERINGS: dict[str, tuple[Callable[[Raw], None], str]] = {
    "duplicate row": (duplicate_row, "2 rows for one account"),
    "frozen move, date 2030": (frozen_move_and_later_date, "renewal_freeze"),
    "move to a leaver": (to_leaver, "C009 is leaving"),
    "move to a CSM not serving": (to_wrong_segment, "segment"),
    "missing row": (drop_row, "account missing from the plan"),
    "unknown account": (unknown_account, "the instance does not have"),
    "objective 0": (setter("objective", value=0.0), "[objective]: file says 0.0"),
    "a term": (setter("terms", "balance", value=0.0), "terms.balance"),
    "bound above objective": (setter("bound", value=1e6), "bound 1000000.0 is above"),
    "gap": (setter("gap", value=0.5), "[gap]: file says 0.5"),
    "moves": (setter("moves", value=1), "[moves]: file says 1"),
    "forced moves": (setter("forced_moves", value=0), "[forced_moves]: file says 0"),
    "status INFEASIBLE with a plan": (setter("status", value="INFEASIBLE"), "holds a plan"),
    "previous owner": (row_field("previous_csm", "C001"), "previous_csm"),
    "moved flag": (row_field("moved", True), ".moved"),
    "effort": (row_field("effort", 0.01), ".effort"),
    "instance hash": (setter("instance_hash", value="0" * 16), "made for another instance"),
    "optimal with a gap": (
        lambda raw: raw.update(bound=raw["objective"] - 5, gap=5 / raw["objective"]),
        "OPTIMAL but the bound",
    ),
}


@pytest.mark.parametrize("name", list(TAMPERINGS))
def test_tampering_is_caught_and_refused(plan: Raw, tmp_path: Path, name: str) -> None:
    tamper, needle = TAMPERINGS[name]
    raw = copy.deepcopy(plan)
    tamper(raw)
    path = tmp_path / "solution.json"
    path.write_text(json.dumps(raw), encoding="utf-8")
    checked = run(["check", str(EXAMPLE), str(path)])
    assert checked.exit_code == 1, checked.output
    assert needle in checked.output, checked.output
    assert "Traceback" not in checked.output
    report = run(["report", str(EXAMPLE), str(path), "-o", str(tmp_path / "r.html")])
    # a file whose accounts are not the instance's is not its solution at all: exit 2
    not_paired = name in ("unknown account", "missing row")
    assert report.exit_code == (2 if not_paired else 1), report.output
    assert not (tmp_path / "r.html").exists()
    moves = run(["moves", str(EXAMPLE), str(path), *PRESET, "-o", str(tmp_path / "m.csv")])
    assert moves.exit_code == 1, moves.output
    assert "moves refused (--force to go on anyway)" in moves.output
    assert not (tmp_path / "m.csv").exists()


def test_force_goes_on_and_says_so(plan: Raw, tmp_path: Path) -> None:
    raw = copy.deepcopy(plan)
    to_leaver(raw)
    path = tmp_path / "solution.json"
    path.write_text(json.dumps(raw), encoding="utf-8")
    page = tmp_path / "r.html"
    report = run(["report", str(EXAMPLE), str(path), "-o", str(page), "--force"])
    assert report.exit_code == 0, report.output
    assert "report anyway (--force)" in report.output
    text = page.read_text(encoding="utf-8")
    assert 'id="checker-verdict"' in text and "do not act on it" in text
    moves = run(
        ["moves", str(EXAMPLE), str(path), *PRESET, "-o", str(tmp_path / "m.csv"), "--force"]
    )
    assert moves.exit_code == 0 and "moves anyway (--force)" in moves.output


def test_the_untampered_plan_is_clean(plan: Raw, tmp_path: Path) -> None:
    path = tmp_path / "solution.json"
    path.write_text(json.dumps(plan), encoding="utf-8")
    checked = run(["check", str(EXAMPLE), str(path)])
    assert checked.exit_code == 0 and "feasible: no violations" in checked.output
