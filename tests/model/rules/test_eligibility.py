"""eligibility: segment served, vertical specialisation, region, forbidden pairs, leavers.

Both forms of the model against the checker."""

from __future__ import annotations

import pytest

from tests.builders import account, csm, make_instance
from tests.model.rules.harness import Case, assert_case

CASES = [
    Case(
        "eligibility-segment",
        "eligibility",
        "A1",
        lambda: make_instance(
            [account("A1", arr=200_000)], [csm("C1"), csm("C2", segments=["Enterprise"])]
        ),
        bad={"A1": "C1"},
        good={"A1": "C2"},
    ),
    Case(
        "eligibility-generalist-gets-specialised-vertical",
        "eligibility",
        "A1",
        lambda: make_instance(
            [account("A1", vertical="finance")], ["C1", csm("C2", verticals=["finance"])]
        ),
        bad={"A1": "C1"},
        good={"A1": "C2"},
    ),
    Case(
        "eligibility-specialist-gets-other-vertical",
        "eligibility",
        "A1",
        lambda: make_instance(
            [account("A1", vertical="retail")], ["C1", csm("C2", verticals=["finance"])]
        ),
        bad={"A1": "C2"},
        good={"A1": "C1"},
    ),
    Case(
        "eligibility-region",
        "eligibility",
        "A1",
        lambda: make_instance(
            [account("A1", region="EU")],
            [csm("C1", regions=["US"]), csm("C2", regions=["EU", "US"])],
        ),
        bad={"A1": "C1"},
        good={"A1": "C2"},
    ),
    Case(
        "eligibility-forbidden-pair",
        "eligibility",
        "A1",
        lambda: make_instance(
            ["A1"], ["C1", "C2"], pairs=[{"account": "A1", "csm": "C1", "allowed": False}]
        ),
        bad={"A1": "C1"},
        good={"A1": "C2"},
    ),
    Case(
        "eligibility-leaver",
        "eligibility",
        "A1",
        lambda: make_instance(["A1"], [csm("C1", leaving=True), "C2"]),
        bad={"A1": "C1"},
        good={"A1": "C2"},
    ),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_both_forms_and_the_checker_agree(case: Case) -> None:
    assert_case(case)
