"""effort_capacity: effort within capacity x ramp. Both forms of the model against the checker."""

from __future__ import annotations

import pytest

from tests.builders import account, csm, make_instance
from tests.model.rules.harness import Case, assert_case

CASES = [
    Case(
        "effort_capacity",
        "effort_capacity",
        "C1",
        lambda: make_instance(
            [account("A1", effort=2), account("A2", effort=2)],
            [csm("C1", capacity=4, ramp=0.5), "C2"],
        ),
        bad={"A1": "C1", "A2": "C1"},
        good={"A1": "C1", "A2": "C2"},
    ),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_both_forms_and_the_checker_agree(case: Case) -> None:
    assert_case(case)
