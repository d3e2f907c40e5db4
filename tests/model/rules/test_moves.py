"""moves: each account whose owner changes costs `cost_per_move`, forced moves included.
Both forms of the model against the checker."""

from __future__ import annotations

from allocator.io import instance_from_dict
from tests.builders import account, csm, make_instance, raw_instance
from tests.model.rules.harness import assert_term


def test_voluntary_and_forced_moves_cost_the_same_in_both_forms() -> None:
    instance = make_instance(
        [
            account("A1", current_csm="C1"),
            account("A2", current_csm="C1"),
            account("A3", current_csm="C3"),  # forced: C3 is leaving
            "A4",  # new: no move
        ],
        ["C1", "C2", csm("C3", leaving=True)],
        policy={"continuity": {"cost_per_move": 2.5}},
    )
    plan = {"A1": "C1", "A2": "C2", "A3": "C2", "A4": "C1"}
    assert_term(instance, plan, "moves", 5.0)
    assert_term(instance, {**plan, "A2": "C1"}, "moves", 2.5)


def test_pooled_accounts_that_had_an_owner_are_moves_of_the_whole_book() -> None:
    raw = raw_instance(
        [account("P1", arr=200_000, current_csm="C1"), account("A1", current_csm="C1")],
        ["C1", "C2"],
        policy={
            "strategic_segment": None,
            "segments": [
                {"name": "Pool", "min_arr": 150_000, "pooled": True},
                {"name": "Scale", "min_arr": 0, "max_arr": 150_000},
            ],
        },
    )
    assert_term(instance_from_dict(raw), {"P1": None, "A1": "C1"}, "moves", 1.0)
