"""Every number in an instance spoiled every way a careless export or an attacker can:
`validate` and `solve` refuse it before any solving, one line naming file, record and
field, exit 2, no traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.hostile.cases import assert_clean_failure, base, numeric_paths, run, spoiled

TOKENS = {
    "NaN": "NaN",
    "Infinity": "Infinity",
    "-Infinity": "-Infinity",
    "string NaN": '"NaN"',
    "string Infinity": '"Infinity"',
    "1e308": "1e308",
    "-1e308": "-1e308",
    "1e400 (overflows a float)": "1e400",
    "5001 digits": "9" * 5001,
}

PATHS = numeric_paths(base())


def _name(path: tuple[str | int, ...]) -> str:
    return ".".join(str(p) for p in path)


def test_the_base_instance_is_valid(tmp_path: Path) -> None:
    path = tmp_path / "base.json"
    path.write_text(spoiled(("name",), '"hostile"'), encoding="utf-8")
    result = run(["validate", str(path)])
    assert result.exit_code == 0, result.output
    assert len(PATHS) >= 30  # every numeric field of the format


@pytest.mark.parametrize("token", TOKENS.values(), ids=list(TOKENS))
@pytest.mark.parametrize("path", PATHS, ids=[_name(p) for p in PATHS])
def test_a_spoiled_number_is_refused_up_front(
    tmp_path: Path, path: tuple[str | int, ...], token: str
) -> None:
    instance = tmp_path / "spoiled.json"
    instance.write_text(spoiled(path, token), encoding="utf-8")
    lines = assert_clean_failure(run(["validate", str(instance)]), 2, instance)
    assert len(lines) == 1, lines
    field = str(path[-1])
    assert field in lines[0] or "JSON" in lines[0], lines[0]
    solved = run(["solve", str(instance), "--out", str(tmp_path / "plan"), "--time-limit", "1"])
    assert_clean_failure(solved, 2, instance)
    assert not (tmp_path / "plan").exists()


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("policy", "effort", "lifecycle", "steady"), "-0.5"),
        (("policy", "effort", "contract", "annual"), "-1"),
        (("policy", "effort", "health_bands", 0, "multiplier"), "-1.4"),
        (("accounts", 0, "arr"), "-5"),
        (("csms", 0, "annual_cost"), "-1"),
    ],
    ids=["lifecycle", "contract", "health band", "arr", "annual_cost"],
)
def test_negative_multipliers_and_amounts_are_refused(
    tmp_path: Path, path: tuple[str | int, ...], value: str
) -> None:
    instance = tmp_path / "negative.json"
    instance.write_text(spoiled(path, value), encoding="utf-8")
    lines = assert_clean_failure(run(["validate", str(instance)]), 2, instance)
    assert "greater than or equal to 0" in lines[0] or "greater than 0" in lines[0], lines
