"""Scenario files: edits applied as written, and every mistake reported at once, one line
each, naming the file, the scenario and the field (exit 2)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from allocator.cli.main import main
from allocator.planning.scenarios import read_scenarios
from allocator.schema import InputError
from tests.builders import INSTANCES


def _file(tmp_path: Path, body: str, name: str = "scenarios.yaml") -> Path:
    shutil.copy(INSTANCES / "example.json", tmp_path / "example.json")
    path = tmp_path / name
    path.write_text("base: example.json\ntime_limit: 5\n" + body, encoding="utf-8")
    return path


def test_the_bundled_scenarios_read_and_change_what_they_say() -> None:
    _, built = read_scenarios(INSTANCES / "scenarios-example.yaml")
    assert len(built) >= 4
    by_name = {s.name: i for s, i in built}
    base = by_name["today"]
    lower = by_name["enterprise-from-100k"]
    enterprise = lower.policy.segment("Enterprise")
    assert enterprise.min_arr == 100_000 and enterprise.max_accounts == 18
    left = by_name["c004-leaves-two-ramping-hires"]
    csms = {c.id: c for c in left.csms}
    assert csms["C004"].leaving and not csms["C011"].leaving  # C011 leaves after the plan date
    assert csms["C011-HIRE-1"].ramp == 0.6 and csms["C011-HIRE-2"].segments == ["Scale"]
    grown = by_name["growth-with-hires"]
    assert len(grown.accounts) == len(base.accounts) + 30
    assert sum(a.arr for a in grown.accounts[: len(base.accounts)]) == pytest.approx(
        1.05 * sum(a.arr for a in base.accounts), rel=1e-6
    )
    assert by_name["move-budget-10"].policy.continuity.max_moves == 10


BAD = """scenarios:
  - name: ok
  - name: typo
    policy: {tresholds: [100k, 750k]}
  - name: ghost
    roster:
      - leave: {csm: C999}
  - name: words
    policy: {thresholds: [100k, lots]}
"""


def test_bad_scenarios_get_one_line_each_and_exit_2(tmp_path: Path) -> None:
    path = _file(tmp_path, BAD)
    with pytest.raises(InputError) as caught:
        read_scenarios(path)
    lines = caught.value.lines()
    assert any("scenarios[typo].policy.tresholds: unknown field" in line for line in lines)
    assert any("scenarios[ghost].roster[0].leave.csm: unknown CSM 'C999'" in line for line in lines)
    assert any("scenarios[words].policy.thresholds[1]" in line and "lots" in line for line in lines)
    assert all(line.startswith(str(path)) for line in lines)
    run = CliRunner().invoke(main, ["sweep", str(path), "-o", str(tmp_path / "out")])
    assert run.exit_code == 2 and "Traceback" not in run.output
    assert len([x for x in run.output.splitlines() if x.startswith(str(path))]) == 3
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("scenarios: []\n", "scenarios: List should have at least 1 item"),
        ("scenarios:\n  - name: a\n  - name: a\n", "scenarios[a].name: used by more than one"),
        ("x: &a [1]\ny: *a\nscenarios: [{name: a}]\n", "aliases (*name) are not allowed"),
        ("scenarios: [{name: '../up'}]\n", "scenarios[../up].name: String should match"),
        (
            "scenarios: [{name: a, accounts: [{arr_uplift: 0.1, new_accounts: {count: 1}}]}]\n",
            "give exactly one of arr_uplift, new_accounts",
        ),
        ("scenarios: [{name: a, policy: {caps: {Nowhere: 3}}}]\n", "caps.Nowhere: no such segment"),
    ],
)
def test_more_bad_scenario_files(tmp_path: Path, body: str, expected: str) -> None:
    with pytest.raises(InputError) as caught:
        read_scenarios(_file(tmp_path, body))
    assert any(expected in line for line in caught.value.lines()), caught.value.lines()
