"""Bad input through the `allocate` CLI: exit code 2, one line per problem naming the file,
the record and the field, never a traceback. Plus the other commands' exit codes and files.
"""

from __future__ import annotations

import copy
import json
from contextlib import nullcontext
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from click.testing import CliRunner, Result

from allocator.cli import plans
from allocator.cli.main import main
from allocator.io import load_instance
from allocator.pipeline import solve
from allocator.schema.solution import Solution
from tests.builders import account, csm, raw_instance

GOOD = raw_instance(["A1", account("A2", parent_id="A1"), "A3"], ["C1", "C2"])


def invoke(*args: str | Path) -> Result:
    return CliRunner().invoke(main, [str(a) for a in args])


def assert_input_error(result: Result, path: Path, expected: list[str]) -> list[str]:
    """Exit 2, no traceback, every line starts with the file name, each expected text found."""
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert lines
    for line in lines:
        assert line.startswith(f"{path}: "), line
    for text in expected:
        assert any(text in line for line in lines), (text, lines)
    return lines


def with_changes(change) -> dict[str, Any]:
    raw = copy.deepcopy(GOOD)
    change(raw)
    return raw


# Each case: a change to a good instance, and the texts the output must hold.
BAD_INSTANCES = {
    "duplicate-account": (
        lambda r: r["accounts"].append(account("A1")),
        ["accounts[id=A1].id: duplicate id 'A1'"],
    ),
    "duplicate-csm": (lambda r: r["csms"].append(csm("C2")), ["csms[id=C2].id: duplicate id 'C2'"]),
    "unknown-current-csm": (
        lambda r: r["accounts"][0].update(current_csm="C9"),
        ["accounts[id=A1].current_csm: unknown CSM 'C9'"],
    ),
    "unknown-parent": (
        lambda r: r["accounts"][2].update(parent_id="ZZ"),
        ["accounts[id=A3].parent_id: unknown account 'ZZ'"],
    ),
    "unknown-pair-account": (
        lambda r: r["pairs"].append({"account": "ZZ", "csm": "C1", "cost": 1}),
        ["pairs[0](ZZ, C1).account: unknown account 'ZZ'"],
    ),
    "unknown-pair-csm": (
        lambda r: r["pairs"].append({"account": "A1", "csm": "C9", "cost": 1}),
        ["pairs[0](A1, C9).csm: unknown CSM 'C9'"],
    ),
    "parent-cycle": (
        lambda r: r["accounts"][0].update(parent_id="A2"),
        ["accounts[id=A1].parent_id: parent cycle: A1 -> A2 -> A1"],
    ),
    "duplicate-pair": (
        lambda r: r["pairs"].extend(
            [{"account": "A1", "csm": "C1", "cost": 1}, {"account": "A1", "csm": "C1", "cost": 2}]
        ),
        ["pairs[1](A1, C1).csm: duplicate pair (A1, C1)"],
    ),
    "own-parent": (
        lambda r: r["accounts"][2].update(parent_id="A3"),
        ["accounts[id=A3].parent_id: account is its own parent"],
    ),
    "negative-arr": (
        lambda r: r["accounts"][1].update(arr=-5),
        ["accounts[id=A2].arr: Input should be greater than or equal to 0"],
    ),
    "zero-capacity": (
        lambda r: r["csms"][0].update(capacity=0),
        ["csms[id=C1].capacity: capacity must be > 0"],
    ),
    "negative-capacity": (
        lambda r: r["csms"][1].update(capacity=-3),
        ["csms[id=C2].capacity: Input should be greater than or equal to 0"],
    ),
    "homeless-account": (  # an Enterprise account; both CSMs serve Scale only
        lambda r: r["accounts"][2].update(arr=300_000),
        ["accounts[id=A3].segment: no staying CSM can take it"],
    ),
    "homeless-after-leaver": (  # C2 leaves; C1 covers only EU; A3 is in the US
        lambda r: (
            r["csms"][1].update(leaving=True),
            r["csms"][0].update(regions=["EU"]),
            [a.update(region="EU") for a in r["accounts"]],
            r["accounts"][2].update(region="US"),
        ),
        ["accounts[id=A3].segment: no staying CSM can take it"],
    ),
    "homeless-among-specialists": (  # the only staying CSMs take finance only
        lambda r: (
            [c.update(verticals=["finance"]) for c in r["csms"]],
            [a.update(vertical="finance") for a in r["accounts"]],
            r["accounts"][2].update(vertical="retail"),
        ),
        [
            "accounts[id=A3].segment: no staying CSM can take it (segment 'Scale', vertical "
            "'retail', region ''): the staying CSMs who serve Scale in every region are "
            "specialists who take only their own verticals, not retail"
        ],
    ),
    "unknown-csm-segment": (
        lambda r: r["csms"][0].update(segments=["Scale", "Gold"]),
        ["csms[id=C1].segments: unknown segment 'Gold'"],
    ),
    "unknown-account-segment": (
        lambda r: r["accounts"][2].update(segment="Gold"),
        ["accounts[id=A3].segment: unknown segment 'Gold'"],
    ),
    "arr-in-no-segment": (  # segments cover only ARR below 100k
        lambda r: (
            r["policy"].update(
                strategic_segment=None, segments=[{"name": "Scale", "max_arr": 100_000}]
            ),
            r["accounts"][2].update(arr=200_000),
        ),
        ["accounts[id=A3].arr: ARR 200000.0 matches no segment's range"],
    ),
    "unknown-strategic-segment": (
        lambda r: r["policy"].update(segments=[{"name": "Scale"}]),
        ["policy.strategic_segment: unknown segment 'Global'"],
    ),
    "arr-not-a-number": (
        lambda r: r["accounts"][2].update(arr="abc"),
        ["accounts[id=A3].arr: Input should be a valid number"],
    ),
    "bad-date": (
        lambda r: r["accounts"][0].update(renewal_date="next spring"),
        ["accounts[id=A1].renewal_date: "],
    ),
    "missing-required-field": (
        lambda r: r["csms"][0].pop("capacity"),
        ["csms[id=C1].capacity: Field required"],
    ),
    "unknown-record-field": (
        lambda r: r["accounts"][0].update(colour="red"),
        ["accounts[id=A1].colour: "],
    ),
    "unknown-top-level-field": (
        lambda r: r.update(acounts=[]),
        ["instance.acounts: unknown field"],
    ),
    "locked-without-owner": (
        lambda r: r["accounts"][0].update(locked=True),
        ["accounts[id=A1].locked: locked but has no current_csm"],
    ),
    "bad-policy-value": (
        lambda r: r["policy"].update(weights={"balance": -1}),
        ["policy.weights.balance: "],
    ),
    "record-not-an-object": (lambda r: r["accounts"].append(7), ["accounts[3]: "]),
}


@pytest.mark.parametrize("case", BAD_INSTANCES, ids=str)
def test_invalid_instance_exits_2_naming_record_and_field(tmp_json, case):
    change, expected = BAD_INSTANCES[case]
    path = tmp_json(with_changes(change), "bad.json")
    assert_input_error(invoke("validate", path), path, expected)


@pytest.mark.parametrize("command", ["solve", "validate"])
def test_solve_and_validate_report_the_same_problems(tmp_json, tmp_path, command):
    path = tmp_json(with_changes(lambda r: r["accounts"][1].update(arr=-5)), "bad.json")
    args = ["--out", tmp_path / "plan", "--workers", "1"] if command == "solve" else []
    assert_input_error(
        invoke(command, path, *args),
        path,
        ["accounts[id=A2].arr: Input should be greater than or equal to 0"],
    )
    assert not (tmp_path / "plan").exists()


def test_several_problems_reported_at_once(tmp_json):
    def change(r: dict[str, Any]) -> None:
        r["accounts"][0].update(arr=-5)
        r["accounts"][1].update(current_csm="C9")
        r["accounts"][2].update(arr="abc")
        r["csms"].append(csm("C1"))
        r["csms"][1].update(capacity=0)

    path = tmp_json(with_changes(change), "bad.json")
    lines = assert_input_error(
        invoke("validate", path),
        path,
        [
            "accounts[id=A1].arr: Input should be greater than or equal to 0",
            "accounts[id=A2].current_csm: unknown CSM 'C9'",
            "accounts[id=A3].arr: Input should be a valid number",
            "csms[id=C1].id: duplicate id 'C1'",
            "csms[id=C2].capacity: capacity must be > 0",
        ],
    )
    assert len(lines) == 5


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ('{"accounts": [', "malformed JSON"),
        ("{'accounts': []}", "malformed JSON"),
        ("", "file: file is empty"),
        ("  \n ", "file: file is empty"),
        ("[1, 2]", "instance: expected a JSON object at the top"),
        ('"accounts"', "instance: expected a JSON object at the top"),
    ],
    ids=["truncated", "single-quotes", "empty", "blank", "list", "string"],
)
def test_unreadable_files_exit_2(tmp_json, content, expected):
    path = tmp_json(content, "bad.json")
    assert_input_error(invoke("validate", path), path, [expected])


def test_malformed_json_names_line_and_column(tmp_json):
    path = tmp_json('{\n  "accounts": [,]\n}', "bad.json")
    assert_input_error(invoke("validate", path), path, ["line 2, column 16: malformed JSON"])


def test_missing_file_exits_2(tmp_path):
    path = tmp_path / "nowhere.json"
    assert_input_error(invoke("validate", path), path, ["file: no such file"])


@pytest.mark.parametrize(
    "change",
    [
        lambda r: r.pop("accounts"),
        lambda r: r.update(csms={"C1": {}}),
    ],
    ids=["accounts-missing", "csms-not-a-list"],
)
def test_missing_record_list_exits_2(tmp_json, change):
    path = tmp_json(with_changes(change), "bad.json")
    assert_input_error(invoke("validate", path), path, ["expected a list of records"])


def test_validate_good_file(tmp_json):
    path = tmp_json(GOOD, "good.json")
    result = invoke("validate", path)
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())  # rich wraps long lines at 80 columns
    assert f"{path}: valid" in text
    assert "3 accounts (0 pooled), 2 CSMs" in text


def test_schema_is_json():
    result = invoke("schema")
    assert result.exit_code == 0
    schema = json.loads(result.output)
    assert "accounts" in schema["properties"]
    assert "csms" in schema["properties"]
    solution = json.loads(invoke("schema", "--solution").output)
    assert "assignments" in solution["properties"]


# --- solve -----------------------------------------------------------------------------


def solve_cli(path: Path, out: Path, *extra: str) -> Result:
    return invoke("solve", path, "--out", out, "--workers", "1", "--time-limit", "10", *extra)


def test_solve_writes_the_plan(tmp_json, tmp_path):
    path = tmp_json(GOOD, "good.json")
    out = tmp_path / "plan"
    result = solve_cli(path, out)
    assert result.exit_code == 0, result.output
    solution = Solution.model_validate_json((out / "solution.json").read_text())
    assert solution.status == "OPTIMAL"
    assert solution.violations == []
    assert solution.owners()["A1"] == solution.owners()["A2"]
    assignments = pd.read_csv(out / "assignments.csv")
    assert sorted(assignments["account"]) == ["A1", "A2", "A3"]
    summary = pd.read_csv(out / "csm_summary.csv")
    assert sorted(summary["csm"]) == ["C1", "C2"]
    assert list(out.glob(".*tmp")) == []


def test_solve_infeasible_exits_3_and_writes_nothing(tmp_json, tmp_path):
    # A1 needs effort 5; both CSMs have capacity 2.
    path = tmp_json(
        raw_instance([account("A1", effort=5)], [csm("C1", capacity=2), csm("C2", capacity=2)]),
        "inf.json",
    )
    out = tmp_path / "plan"
    result = solve_cli(path, out)
    assert result.exit_code == 3, result.output
    assert "infeasible" in result.output
    assert not (out / "solution.json").exists()


def test_solve_keeps_a_better_plan_unless_overwrite(tmp_json, tmp_path, capsys):
    # Efforts 3, 3, 2 over two CSMs: optimum 2 (see test_optima.test_balance_deviation).
    raw = raw_instance(
        [account("A1", effort=3), account("A2", effort=3), account("A3", effort=2)],
        ["C1", "C2"],
    )
    path = tmp_json(raw, "i.json")
    out = tmp_path / "plan"
    assert solve_cli(path, out).exit_code == 0
    target = out / "solution.json"
    assert json.loads(target.read_text())["objective"] == pytest.approx(2.0)
    # A1 and A2 both on C1: a valid plan, and a worse one
    worse = solve(load_instance(path), pins={"A1": "C1", "A2": "C1"}, time_limit=5)
    assert worse.objective is not None and worse.objective > 2.0
    with pytest.raises(SystemExit) if worse.solution.violations else nullcontext():
        plans._report_and_write(worse, out, overwrite=False)
    assert "--overwrite" in capsys.readouterr().out
    assert json.loads(target.read_text())["objective"] == pytest.approx(2.0)
    plans._report_and_write(worse, out, overwrite=True)
    assert json.loads(target.read_text())["objective"] == pytest.approx(worse.objective)


def test_a_forged_better_objective_does_not_keep_a_plan(tmp_json, tmp_path):
    """An earlier file claiming objective 1.0 (the optimum is 2) is re-checked, not
    believed: the real plan replaces it."""
    raw = raw_instance(
        [account("A1", effort=3), account("A2", effort=3), account("A3", effort=2)],
        ["C1", "C2"],
    )
    path = tmp_json(raw, "i.json")
    out = tmp_path / "plan"
    assert solve_cli(path, out).exit_code == 0
    target = out / "solution.json"
    saved = json.loads(target.read_text())
    saved["objective"] = 1.0
    target.write_text(json.dumps(saved))
    result = solve_cli(path, out)
    assert result.exit_code == 0, result.output
    assert "Kept the better plan" not in result.output
    assert json.loads(target.read_text())["objective"] == pytest.approx(2.0)


def test_solve_replaces_a_plan_for_another_instance(tmp_json, tmp_path):
    out = tmp_path / "plan"
    first = tmp_json(
        raw_instance([account("A1", effort=3), account("A2", effort=3)], ["C1", "C2"]), "first.json"
    )
    assert solve_cli(first, out).exit_code == 0
    target = out / "solution.json"
    saved = json.loads(target.read_text())
    saved["objective"] = -100.0
    target.write_text(json.dumps(saved))
    second = tmp_json(GOOD, "second.json")
    assert solve_cli(second, out).exit_code == 0
    assert Solution.model_validate_json(target.read_text()).instance_hash != saved["instance_hash"]


# --- check -----------------------------------------------------------------------------


@pytest.fixture
def solved_plan(tmp_json, tmp_path) -> tuple[Path, Path]:
    """An instance with a leaver, a region and a family, and its solved solution.json."""
    raw = raw_instance(
        [
            account("A1", current_csm="C3"),
            account("A2", parent_id="A1"),
            account("A3", region="EU"),
        ],
        ["C1", csm("C2", regions=["EU"]), csm("C3", leaving=True)],
    )
    path = tmp_json(raw, "inst.json")
    out = tmp_path / "plan"
    assert solve_cli(path, out).exit_code == 0
    return path, out / "solution.json"


def test_check_clean_plan_exits_0(solved_plan):
    path, solution = solved_plan
    result = invoke("check", path, solution)
    assert result.exit_code == 0, result.output
    assert "no violations" in result.output


@pytest.mark.parametrize(
    ("account_id", "owner", "rule"),
    [
        ("A1", "C3", "eligibility"),  # given back to the leaver
        ("A2", "C9", "one_owner"),  # not a CSM
    ],
    ids=["eligibility", "one_owner"],
)
def test_check_tampered_plan_exits_1_naming_the_rule(solved_plan, account_id, owner, rule):
    path, solution_path = solved_plan
    raw = json.loads(solution_path.read_text())
    for row in raw["assignments"]:
        if row["account"] == account_id:
            row["csm"] = owner
    solution_path.write_text(json.dumps(raw))
    result = invoke("check", path, solution_path)
    assert result.exit_code == 1, result.output
    assert f"{rule} [{account_id}]" in result.output
    assert "Traceback" not in result.output


def test_check_tampered_family_and_objective(solved_plan):
    path, solution_path = solved_plan
    raw = json.loads(solution_path.read_text())
    owners = {row["account"]: row["csm"] for row in raw["assignments"]}
    other = "C1" if owners["A2"] == "C2" else "C2"
    for row in raw["assignments"]:
        if row["account"] == "A2":
            row["csm"] = other  # parent A1 keeps its owner
    solution_path.write_text(json.dumps(raw))
    result = invoke("check", path, solution_path)
    assert result.exit_code == 1
    assert "families_together [A2]" in result.output


def test_check_objective_mismatch_exits_1(solved_plan):
    path, solution_path = solved_plan
    raw = json.loads(solution_path.read_text())
    raw["objective"] += 5
    solution_path.write_text(json.dumps(raw))
    result = invoke("check", path, solution_path)
    assert result.exit_code == 1
    assert "objective" in result.output


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("{", "malformed JSON"),
        ("", "file is empty"),
        ('{"status": "BOGUS"}', "status: "),
        ("[1]", "Input should be a valid dictionary"),
    ],
    ids=["malformed", "empty", "bad-fields", "not-an-object"],
)
def test_check_malformed_solution_exits_2(solved_plan, tmp_json, content, expected):
    path, _ = solved_plan
    bad = tmp_json(content, "solution-bad.json")
    assert_input_error(invoke("check", path, bad), bad, [expected])


def test_check_solution_without_plan_exits_2(solved_plan):
    path, solution_path = solved_plan
    raw = json.loads(solution_path.read_text())
    raw.update(status="INFEASIBLE", assignments=[])
    solution_path.write_text(json.dumps(raw))
    assert_input_error(
        invoke("check", path, solution_path), solution_path, ["solution.assignments: no plan"]
    )


def test_check_invalid_instance_exits_2(solved_plan, tmp_json):
    _, solution_path = solved_plan
    bad = tmp_json(with_changes(lambda r: r["accounts"][0].update(arr=-1)), "bad.json")
    assert_input_error(invoke("check", bad, solution_path), bad, ["greater than or equal to 0"])
