"""locked_accounts: a locked account stays with its owner.

Both forms of the model against the checker."""

from __future__ import annotations

import pytest

from tests.builders import account, csm, make_instance, run
from tests.model.rules.harness import Case, assert_case

CASES = [
    Case(
        "locked_accounts",
        "locked_accounts",
        "A1",
        lambda: make_instance([account("A1", current_csm="C1", locked=True), "A2"], ["C1", "C2"]),
        bad={"A1": "C2", "A2": "C1"},
        good={"A1": "C1", "A2": "C2"},
    ),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_both_forms_and_the_checker_agree(case: Case) -> None:
    assert_case(case)


def test_locked_to_a_leaver_is_infeasible():
    instance = make_instance(
        [account("A1", current_csm="C1", locked=True)], [csm("C1", leaving=True), "C2"]
    )
    assert run(instance).solution.status == "INFEASIBLE"
