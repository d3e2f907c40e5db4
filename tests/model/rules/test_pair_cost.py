"""pair_cost: the chosen pairs' costs, negative ones included. Both forms of the model
against the checker."""

from __future__ import annotations

from tests.builders import make_instance, run
from tests.model.rules.harness import assert_term

PAIRS = [
    {"account": "A1", "csm": "C1", "cost": 2.5},
    {"account": "A1", "csm": "C2", "cost": -1.25},
    {"account": "A2", "csm": "C2", "cost": 0.75},
]


def test_the_chosen_pairs_costs_add_up_in_both_forms() -> None:
    instance = make_instance(["A1", "A2"], ["C1", "C2"], pairs=PAIRS)
    assert_term(instance, {"A1": "C1", "A2": "C2"}, "pair_cost", 3.25)
    assert_term(instance, {"A1": "C2", "A2": "C1"}, "pair_cost", -1.25)


def test_the_solver_prefers_the_cheaper_pairs() -> None:
    instance = make_instance(
        ["A1", "A2"], ["C1", "C2"], pairs=PAIRS, policy={"weights": {"balance": 0}}
    )
    result = run(instance)
    assert result.solution.status == "OPTIMAL"
    assert result.owners == {"A1": "C2", "A2": "C1"}
    assert result.solution.terms["pair_cost"] == -1.25
