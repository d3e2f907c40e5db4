"""renewal_freeze: no voluntary move close to renewal.

Both forms of the model against the checker."""

from __future__ import annotations

import pytest

from tests.builders import account, csm, make_instance, run
from tests.model.rules.harness import Case, assert_case

CASES = [
    Case(
        "renewal_freeze",
        "renewal_freeze",
        "A1",
        lambda: make_instance(
            [account("A1", current_csm="C1", renewal_date="2026-01-10")],
            ["C1", "C2"],
            policy={"continuity": {"freeze_days": 30}},
        ),
        bad={"A1": "C2"},
        good={"A1": "C1"},
    ),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_both_forms_and_the_checker_agree(case: Case) -> None:
    assert_case(case)


def test_freeze_does_not_keep_an_account_with_a_leaver():
    # A1 renews within the freeze window, but its owner leaves: the move is forced.
    instance = make_instance(
        [account("A1", current_csm="C1", renewal_date="2026-01-10")],
        [csm("C1", leaving=True), "C2"],
        policy={"continuity": {"freeze_days": 30}},
    )
    result = run(instance)
    assert result.solution.status == "OPTIMAL"
    assert result.owners == {"A1": "C2"}
    assert result.solution.violations == []


def test_freeze_window_ends_after_freeze_days():
    # A1 renews 31 days after the plan date; the freeze is 30 days, so it may move.
    instance = make_instance(
        [account("A1", current_csm="C1", renewal_date="2026-02-01")],
        ["C1", "C2"],
        policy={"continuity": {"freeze_days": 30}},
    )
    result = run(instance, pins={"A1": "C2"})
    assert result.solution.status == "OPTIMAL"
    assert result.solution.violations == []
