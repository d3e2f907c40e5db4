"""pooled_segments: pooled accounts get no named CSM.

Both forms of the model against the checker."""

from __future__ import annotations

import pytest

from tests.builders import account, make_instance
from tests.model.rules.harness import Case, assert_case

POOLED_POLICY = {
    "strategic_segment": None,
    "segments": [
        {"name": "Pool", "min_arr": 150_000, "pooled": True},
        {"name": "Scale", "min_arr": 0, "max_arr": 150_000},
    ],
}

CASES = [
    Case(
        "pooled_segments",
        "pooled_segments",
        "P1",
        lambda: make_instance(
            [account("P1", arr=200_000), "A1"], ["C1", "C2"], policy=POOLED_POLICY
        ),
        bad={"P1": "C1", "A1": "C2"},
        good={"P1": None, "A1": "C2"},
    ),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_both_forms_and_the_checker_agree(case: Case) -> None:
    assert_case(case)
