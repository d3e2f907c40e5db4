"""`allocate diff`: plans of one book solved in the two modes (weighted, fewest moves) are
plans of the same instance."""

from __future__ import annotations

from allocator.analysis.diff import diff_plans
from allocator.io import load_instance
from allocator.pipeline import solve
from allocator.schema import instance_hash, with_fewest_moves
from tests.builders import INSTANCES


def test_plans_of_both_modes_are_of_the_same_instance() -> None:
    instance = load_instance(INSTANCES / "example.json")
    assert instance_hash(instance) == instance_hash(with_fewest_moves(instance))
    weighted = solve(instance, time_limit=10).solution
    lean = solve(with_fewest_moves(instance), time_limit=10).solution
    assert diff_plans(weighted, lean).same_instance
