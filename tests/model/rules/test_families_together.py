"""families_together: a family shares one owner. Both forms of the model against the checker."""

from __future__ import annotations

import pytest

from tests.builders import account, make_instance
from tests.model.rules.harness import Case, assert_case

CASES = [
    Case(
        "families_together",
        "families_together",
        "A2",
        lambda: make_instance(["A1", account("A2", parent_id="A1"), "A3"], ["C1", "C2"]),
        bad={"A1": "C1", "A2": "C2", "A3": "C1"},
        good={"A1": "C2", "A2": "C2", "A3": "C1"},
    ),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_both_forms_and_the_checker_agree(case: Case) -> None:
    assert_case(case)
