"""one_owner: every account in a named segment has exactly one CSM.

Both forms of the model against the checker."""

from __future__ import annotations

import pytest

from tests.builders import check_plan, make_instance, rule_names, run
from tests.model.rules.harness import Case, assert_case

CASES = [
    Case(
        "one_owner",
        "one_owner",
        "A1",
        lambda: make_instance(["A1", "A2"], ["C1", "C2"]),
        bad={"A1": "C9", "A2": "C1"},
        good={"A1": "C2", "A2": "C1"},
    ),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_both_forms_and_the_checker_agree(case: Case) -> None:
    assert_case(case)


@pytest.mark.parametrize(
    "plan",
    [
        {"A1": "C1"},  # A2 missing
        {"A1": "C1", "A2": None},  # A2 has no owner
        {"A1": "C1", "A2": "C1", "ZZ": "C1"},  # an account that does not exist
    ],
    ids=["missing", "none", "unknown-account"],
)
def test_checker_one_owner_variants(plan):
    instance = make_instance(["A1", "A2"], ["C1", "C2"])
    assert rule_names(check_plan(instance, plan)) == {"one_owner"}


def test_forcing_an_unknown_account_is_refused():
    # Either an error naming the bad id, or INFEASIBLE -- never a plan that ignores it.
    instance = make_instance(["A1"], ["C1"])
    try:
        result = run(instance, pins={"ZZ": "C1"})
    except ValueError as error:
        assert "ZZ" in str(error)
        return
    assert result.solution.status == "INFEASIBLE"


def test_every_named_account_gets_exactly_one_owner():
    instance = make_instance([f"A{i}" for i in range(5)], ["C1", "C2", "C3"])
    result = run(instance)
    assert result.solution.status == "OPTIMAL"
    assert set(result.owners) == {f"A{i}" for i in range(5)}
    assert all(owner in {"C1", "C2", "C3"} for owner in result.owners.values())
