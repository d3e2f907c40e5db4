"""balance: the hard band around each CSM's target. Both forms of the model against the checker."""

from __future__ import annotations

import pytest

from tests.builders import account, check_plan, make_instance
from tests.model.rules.harness import Case, assert_case

CASES = [
    Case(
        "balance",
        "balance",
        "C1",
        lambda: make_instance(
            [account("A1", effort=2), account("A2", effort=2)],
            ["C1", "C2"],
            policy={"balance": {"band": 0.1}},
        ),
        bad={"A1": "C1", "A2": "C1"},
        good={"A1": "C2", "A2": "C1"},
    ),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_both_forms_and_the_checker_agree(case: Case) -> None:
    assert_case(case)


def test_balance_without_band_is_not_a_violation():
    instance = make_instance([account("A1", effort=2), account("A2", effort=2)], ["C1", "C2"])
    report = check_plan(instance, {"A1": "C1", "A2": "C1"})
    assert report.violations == []
    assert report.terms["balance"] == 4.0
