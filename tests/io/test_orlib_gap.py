"""OR-Library GAP files as allocation instances: import, solve to the known optimum, errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from allocator.checker import check
from allocator.io.orlib_gap import EFFECTIVE_DATE, read_orlib_gap
from allocator.pipeline import solve
from allocator.schema.errors import InputError
from tests.builders import INSTANCES

GAP = INSTANCES / "gap"


def test_gap1_0_imports_as_five_csms_and_fifteen_accounts() -> None:
    inst = read_orlib_gap(GAP / "cattrysse1994" / "gap1-0")
    assert inst.name == "gap1-0"
    assert [c.id for c in inst.csms] == [f"agent-{i}" for i in range(5)]
    assert [a.id for a in inst.accounts] == [f"job-{j}" for j in range(15)]
    assert len(inst.pairs) == 75
    assert [c.capacity for c in inst.csms] == [36, 34, 38, 27, 33]
    first = inst.pairs[0]
    assert (first.account, first.csm, first.cost, first.effort) == ("job-0", "agent-0", 17, 8)


def test_gap1_0_solves_to_its_optimum() -> None:
    inst = read_orlib_gap(GAP / "cattrysse1994" / "gap1-0")
    result = solve(inst, time_limit=20, workers=8)
    assert result.status == "OPTIMAL"
    assert result.objective == 261
    assert result.solution.violations == []
    report = check(inst, result.owners, EFFECTIVE_DATE)
    assert report.feasible
    assert report.terms["pair_cost"] == report.objective == 261


def test_chu_a05100_solves_to_its_optimum() -> None:
    inst = read_orlib_gap(GAP / "chu1997" / "a05100")
    assert (len(inst.csms), len(inst.accounts)) == (5, 100)
    result = solve(inst, time_limit=20, workers=8)
    assert result.status == "OPTIMAL"
    assert result.objective == 1698
    assert result.solution.violations == []


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "file is empty"),
        ("   \n\t\n", "file is empty"),
        ("2 2\n1 2 3 4\n1 1 1 1\n5", "expected 12 numbers"),
        ("2 2\n1 2 3 4\n1 1 1 1\n5 5 5", "expected 12 numbers"),
        ("2 2\n1 2 x 4\n1 1 1 1\n5 5", "not an integer: 'x'"),
        ("2 2\n1 2 3 4\n1 1 1.5 1\n5 5", "not an integer: '1.5'"),
        ("0 3\n", "must be >= 1"),
        ("2 1\n1 2\n1 1\n5 0", "capacity must be > 0"),
        ("1 1\n1\n-1\n5", "resource use must be >= 0"),
    ],
)
def test_malformed_file_raises_input_error_naming_the_file(
    tmp_path: Path, text: str, message: str
) -> None:
    path = tmp_path / "broken.txt"
    path.write_text(text)
    with pytest.raises(InputError) as caught:
        read_orlib_gap(path)
    assert caught.value.source == str(path)
    assert str(path) in str(caught.value)
    assert message in str(caught.value)


def test_missing_file_raises_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        read_orlib_gap(tmp_path / "nope")


def test_non_integer_token_names_its_line() -> None:
    from allocator.io.orlib_gap import parse_orlib_gap

    with pytest.raises(InputError) as caught:
        parse_orlib_gap("1 1\n7\nseven\n3\n", source="inline")
    [problem] = caught.value.problems
    assert (problem.record, problem.field) == ("line 3", "token 1")
