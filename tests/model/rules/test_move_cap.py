"""move_cap: at most N voluntary moves. Both forms of the model against the checker."""

from __future__ import annotations

import pytest

from tests.builders import account, csm, make_instance, run
from tests.model.rules.harness import Case, assert_case

CASES = [
    Case(
        "move_cap",
        "move_cap",
        "plan",
        lambda: make_instance(
            [account("A1", current_csm="C1"), account("A2", current_csm="C2")],
            ["C1", "C2"],
            policy={"continuity": {"max_moves": 0}},
        ),
        bad={"A1": "C2", "A2": "C2"},
        good={"A1": "C1", "A2": "C2"},
    ),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_both_forms_and_the_checker_agree(case: Case) -> None:
    assert_case(case)


def test_forced_moves_do_not_count_against_move_cap():
    instance = make_instance(
        [account("A1", current_csm="C1"), account("A2", current_csm="C1")],
        [csm("C1", leaving=True), "C2"],
        policy={"continuity": {"max_moves": 0}},
    )
    result = run(instance)
    assert result.solution.status == "OPTIMAL"
    assert result.solution.violations == []
    assert result.solution.moves == 2
    assert result.solution.forced_moves == 2
