"""renewal_spread: at most N renewals per CSM and window.

Both forms of the model against the checker."""

from __future__ import annotations

import pytest

from tests.builders import account, check_plan, make_instance
from tests.model.rules.harness import Case, assert_case

CASES = [
    Case(
        "renewal_spread",
        "renewal_spread",
        "C1",
        lambda: make_instance(
            [account("A1", renewal_date="2026-07-01"), account("A2", renewal_date="2026-09-30")],
            ["C1", "C2"],
            policy={"renewal_spread": {"max_per_window": 1, "hard": True}},
        ),
        bad={"A1": "C1", "A2": "C1"},
        good={"A1": "C1", "A2": "C2"},
    ),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_both_forms_and_the_checker_agree(case: Case) -> None:
    assert_case(case)


def test_soft_renewal_spread_is_not_a_violation():
    instance = make_instance(
        [account("A1", renewal_date="2026-07-01"), account("A2", renewal_date="2026-09-30")],
        ["C1"],
        policy={"renewal_spread": {"max_per_window": 1, "hard": False}},
    )
    report = check_plan(instance, {"A1": "C1", "A2": "C1"})
    assert report.violations == []
    assert report.terms["renewal_bunching"] == 1.0
