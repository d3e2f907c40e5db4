"""account_caps: at most N accounts of a segment per CSM.

Both forms of the model against the checker."""

from __future__ import annotations

import pytest

from tests.builders import csm, make_instance
from tests.model.rules.harness import Case, assert_case

CASES = [
    Case(
        "account_caps-policy",
        "account_caps",
        "C1",
        lambda: make_instance(
            ["A1", "A2"],
            ["C1", "C2"],
            policy={"segments": [{"name": "Scale", "max_accounts": 1}], "strategic_segment": None},
        ),
        bad={"A1": "C1", "A2": "C1"},
        good={"A1": "C1", "A2": "C2"},
    ),
    Case(
        "account_caps-csm-override",
        "account_caps",
        "C1",
        lambda: make_instance(["A1", "A2"], [csm("C1", max_accounts={"Scale": 1}), "C2"]),
        bad={"A1": "C1", "A2": "C1"},
        good={"A1": "C2", "A2": "C2"},
    ),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_both_forms_and_the_checker_agree(case: Case) -> None:
    assert_case(case)
