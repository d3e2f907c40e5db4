"""specialization: with specialisation a preference, each specialised account given to a
non-specialist counts once. Both forms of the model against the checker."""

from __future__ import annotations

from tests.builders import account, csm, make_instance, run
from tests.model.rules.harness import assert_term

SOFT = {"specialization": {"verticals": ["finance"], "hard": False}}


def test_each_off_specialism_account_counts_once_in_both_forms() -> None:
    instance = make_instance(
        [account("A1", vertical="finance"), account("A2", vertical="finance"), "A3"],
        ["C1", csm("C2", verticals=["finance"])],
        policy=SOFT,
    )
    assert_term(instance, {"A1": "C1", "A2": "C1", "A3": "C1"}, "specialization", 2.0)
    assert_term(instance, {"A1": "C2", "A2": "C1", "A3": "C1"}, "specialization", 1.0)


def test_hard_specialisation_adds_no_term() -> None:
    instance = make_instance(
        [account("A1", vertical="finance")], [csm("C1", verticals=["finance"])]
    )
    assert_term(instance, {"A1": "C1"}, "specialization", 0.0)


def test_soft_specialization_makes_generalist_eligible() -> None:
    instance = make_instance(
        [account("A1", vertical="finance")], ["C1"], policy={"specialization": {"hard": False}}
    )
    result = run(instance, pins={"A1": "C1"})
    assert result.solution.status == "OPTIMAL"
    assert result.solution.violations == []
    assert result.solution.terms["specialization"] == 1.0
