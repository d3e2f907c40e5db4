"""min_book_arr: a CSM's book carries its cost / target.

Both forms of the model against the checker."""

from __future__ import annotations

import pytest

from tests.builders import account, check_plan, csm, make_instance, rule_names, run
from tests.model.rules.harness import Case, assert_case

CASES = [
    Case(
        "min_book_arr",
        "min_book_arr",
        "C1",
        lambda: make_instance(
            [account("A1", arr=60_000), account("A2", arr=60_000), account("A3", arr=1_000)],
            [csm("C1", annual_cost=15_000), "C2"],
            policy={"cost_to_arr": {"enforce_per_csm": True}},
        ),
        bad={"A1": "C1", "A2": "C2", "A3": "C2"},
        good={"A1": "C1", "A2": "C1", "A3": "C2"},
    ),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_both_forms_and_the_checker_agree(case: Case) -> None:
    assert_case(case)


def test_min_book_arr_off_by_default():
    instance = make_instance([account("A1", arr=1_000)], [csm("C1", annual_cost=1e6), "C2"])
    assert check_plan(instance, {"A1": "C2"}).violations == []


def test_checker_flags_min_book_arr_for_an_empty_book():
    instance = make_instance(
        [account("A1", arr=200_000)],
        [
            csm("C1", annual_cost=15_000, segments=["Enterprise"]),
            csm("C2", segments=["Enterprise"]),
        ],
        policy={"cost_to_arr": {"enforce_per_csm": True}},
    )
    # The model agrees C1 needs a book: C1 must take A1.
    assert run(instance).owners == {"A1": "C1"}
    assert rule_names(check_plan(instance, {"A1": "C2"})) == {"min_book_arr"}
