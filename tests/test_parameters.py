"""`SolveParams`: every tuning constant in one frozen value, loadable from a file, recorded
in the solution when it differs from the defaults."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from click.testing import CliRunner

from allocator import SolveParams, solve
from allocator.cli.main import main
from allocator.io import load_instance
from tests.builders import INSTANCES


def test_defaults_are_frozen_and_loadable_from_json_and_toml(tmp_path: Path) -> None:
    params = SolveParams()
    with pytest.raises(dataclasses.FrozenInstanceError):
        params.group_size = 6  # type: ignore[misc]
    (tmp_path / "p.json").write_text('{"group_size": 6, "step_seconds": 1}')
    (tmp_path / "p.toml").write_text("group_size = 6\nstep_seconds = 1.0\n")
    for name in ("p.json", "p.toml"):
        loaded = SolveParams.from_file(tmp_path / name)
        assert (loaded.group_size, loaded.step_seconds) == (6, 1.0)
        assert loaded.changed() == {"group_size": 6, "step_seconds": 1.0}
    assert SolveParams().changed() == {}


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"group_sizes": 6}, "unknown parameter 'group_sizes'"),
        ({"group_size": 2.5}, "group_size must be a whole number"),
        ({"step_seconds": "fast"}, "step_seconds must be a number"),
        ({"step_seconds": -1}, "step_seconds must be finite and >= 0"),
    ],
)
def test_bad_values_are_refused_by_name(values: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        SolveParams.from_dict(values)


def test_changed_parameters_are_recorded_and_bad_files_are_input_errors(tmp_path: Path) -> None:
    instance = load_instance(INSTANCES / "example.json")
    solution = solve(instance, time_limit=10, params=SolveParams(group_size=6)).solution
    assert solution.parameters["param.group_size"] == 6
    bad = tmp_path / "bad.json"
    bad.write_text('{"group_size": "six"}')
    result = CliRunner().invoke(
        main,
        [
            "solve",
            str(INSTANCES / "example.json"),
            "--params",
            str(bad),
            "--out",
            str(tmp_path / "plan"),
        ],
    )
    assert result.exit_code == 2
    assert f"{bad}: parameters: group_size must be a number" in result.output
    assert "Traceback" not in result.output
