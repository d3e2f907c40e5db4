"""Tiny instances whose optimum was worked out by hand (reasoning in the comments).

Every test asserts: status OPTIMAL, objective == hand value, bound == objective, no
violations, and the independent checker's terms == the hand values.
"""

from __future__ import annotations

import pytest

from allocator.pipeline.result import SolveResult
from allocator.schema.instance import Instance
from tests.builders import account, check_plan, csm, make_instance, run

ZERO_TERMS = {
    "balance": 0.0,
    "moves": 0.0,
    "renewal_bunching": 0.0,
    "pair_cost": 0.0,
    "specialization": 0.0,
}


def solved(instance: Instance, objective: float, terms: dict[str, float]) -> SolveResult:
    """Solve and assert the hand-computed optimum and terms, via solver and checker."""
    result = run(instance)
    solution = result.solution
    assert solution.status == "OPTIMAL"
    assert solution.violations == []
    assert solution.objective == pytest.approx(objective, abs=1e-9)
    assert solution.bound == pytest.approx(solution.objective, abs=1e-9)
    assert solution.gap == 0.0
    expected = {**ZERO_TERMS, **terms}
    assert solution.terms == pytest.approx(expected, abs=1e-9)
    report = check_plan(instance, result.owners)
    assert report.violations == []
    assert report.terms == pytest.approx(expected, abs=1e-9)
    assert report.objective == pytest.approx(objective, abs=1e-9)
    return result


def test_balance_deviation():
    # Two CSMs of capacity 10; efforts 3, 3, 2 (total 8) -> utilisation 8/20 = 0.4, target
    # 4 each. Splits: {3,3}|{2} -> |6-4|+|2-4| = 4; {3,2}|{3} -> 1+1 = 2; all on one -> 8.
    # Optimum: balance 2, objective 2 (weight 1).
    instance = make_instance(
        [account("A1", effort=3), account("A2", effort=3), account("A3", effort=2)], ["C1", "C2"]
    )
    result = solved(instance, 2.0, {"balance": 2.0})
    owners = result.owners
    assert owners["A1"] != owners["A2"]


def test_balance_targets_scale_with_ramped_capacity():
    # C1 capacity 10, C2 capacity 10 at ramp 0.5 -> effective 10 and 5; efforts 2,2,2
    # (total 6) -> utilisation 6/15 = 0.4, targets 4 and 2. Two accounts on C1 and one on C2
    # hit both targets exactly: balance 0.
    instance = make_instance(
        [account(f"A{i}", effort=2) for i in range(3)], ["C1", csm("C2", ramp=0.5)]
    )
    result = solved(instance, 0.0, {})
    assert sorted(result.owners.values()) == ["C1", "C1", "C2"]
    summary = {row.csm: row for row in result.solution.csm_summary}
    assert summary["C1"].target_effort == 4.0
    assert summary["C2"].target_effort == 2.0
    assert summary["C2"].ramped_capacity == 5.0 and summary["C2"].full_capacity == 10.0


@pytest.mark.parametrize(
    ("policy", "objective", "terms", "moved"),
    [
        # A1, A2 (effort 4 each) are both with C1; C2 has nothing. Targets 4 each (8/20 x 10).
        # keep both: balance |8-4|+|0-4| = 8, moves 0.  move one: balance 0, moves 1.
        # weights 1/1: keep = 8, move = 1 -> move one, objective 1.
        ({}, 1.0, {"moves": 1.0}, 1),
        # weights balance 1, moves 10: keep = 8, move = 10 -> keep, objective 8.
        ({"weights": {"moves": 10}}, 8.0, {"balance": 8.0}, 0),
        # cost_per_move 3, weights balance 0.5, moves 2: keep = 0.5 x 8 = 4, move = 2 x 3 = 6
        # -> keep, objective 4.
        (
            {"continuity": {"cost_per_move": 3}, "weights": {"balance": 0.5, "moves": 2}},
            4.0,
            {"balance": 8.0},
            0,
        ),
        # cost_per_move 3, weights balance 1, moves 2: keep = 8, move = 6 -> move, objective 6;
        # the moves term is in cost units: 3 x 1 move = 3.
        ({"continuity": {"cost_per_move": 3}, "weights": {"moves": 2}}, 6.0, {"moves": 3.0}, 1),
    ],
    ids=["move", "keep-heavy-moves", "keep-cost-per-move", "move-cost-per-move"],
)
def test_moves_versus_balance(policy, objective, terms, moved):
    instance = make_instance(
        [account("A1", effort=4, current_csm="C1"), account("A2", effort=4, current_csm="C1")],
        ["C1", "C2"],
        policy=policy,
    )
    result = solved(instance, objective, terms)
    assert result.solution.moves == moved
    assert result.solution.forced_moves == 0
    assert sum(row.moved for row in result.solution.assignments) == moved


@pytest.mark.parametrize(
    ("weight", "objective", "terms"),
    [
        # A1, A2 renew in 2026-Q3 and are both with C1; A3 (2026-Q1) is with C2. Max 1 renewal
        # per CSM per quarter (soft); balance weight 0 (its term is still reported).
        # keep: bunching 1 (C1 has 2 in Q3), balance |2-1.5|+|1-1.5| = 1 -> objective = w.
        # move A1 or A2 to C2: bunching 0, moves 1, balance still 1 -> objective 1.
        # Moving more only adds moves. w = 3 -> move (1); w = 0.5 -> keep (0.5).
        (3.0, 1.0, {"moves": 1.0, "balance": 1.0}),
        (0.5, 0.5, {"renewal_bunching": 1.0, "balance": 1.0}),
    ],
    ids=["move", "keep"],
)
def test_renewal_bunching_versus_moves(weight, objective, terms):
    instance = make_instance(
        [
            account("A1", current_csm="C1", renewal_date="2026-07-15"),
            account("A2", current_csm="C1", renewal_date="2026-08-15"),
            account("A3", current_csm="C2", renewal_date="2026-02-15"),
        ],
        ["C1", "C2"],
        policy={
            "renewal_spread": {"max_per_window": 1},
            "weights": {"balance": 0, "renewal_bunching": weight},
        },
    )
    solved(instance, objective, terms)


@pytest.mark.parametrize(
    ("window", "bunching"),
    [
        # One CSM, renewals in July, August, September 2026, at most 1 per window.
        # quarter: 3 in 2026-Q3 -> excess 2.  month: 1 per month -> excess 0.
        ("quarter", 2.0),
        ("month", 0.0),
    ],
)
def test_renewal_window(window, bunching):
    instance = make_instance(
        [account(f"A{m}", renewal_date=f"2026-{m:02d}-10") for m in (7, 8, 9)],
        ["C1"],
        policy={"renewal_spread": {"max_per_window": 1, "window": window}},
    )
    result = solved(instance, bunching, {"renewal_bunching": bunching})
    windows = {row.renewal_window for row in result.solution.assignments}
    assert windows == ({"2026-Q3"} if window == "quarter" else {"2026-07", "2026-08", "2026-09"})


def test_pair_cost_gap():
    # A tiny generalised assignment problem (balance weight 0).
    #   cost   A1  A2  A3        efforts A1 3, A2 2, A3 2; capacity 4 each.
    #   C1      1   4   2
    #   C2      3   2   5
    # A1 (3) fits with neither other account (3+2 > 4), so A1 is alone and A2+A3 share:
    #   A1->C1, A2,A3->C2: 1+2+5 = 8      A1->C2, A2,A3->C1: 3+4+2 = 9
    # The unconstrained minimum (A1,A3->C1, A2->C2: 5) overloads C1. Optimum 8.
    # Balance term (weight 0): targets 7/8 x 4 = 3.5 each; loads 3, 4 -> 0.5 + 0.5 = 1.
    costs = {
        ("A1", "C1"): 1,
        ("A2", "C1"): 4,
        ("A3", "C1"): 2,
        ("A1", "C2"): 3,
        ("A2", "C2"): 2,
        ("A3", "C2"): 5,
    }
    instance = make_instance(
        [account("A1", effort=3), account("A2", effort=2), account("A3", effort=2)],
        [csm("C1", capacity=4), csm("C2", capacity=4)],
        pairs=[{"account": a, "csm": c, "cost": v} for (a, c), v in costs.items()],
        policy={"weights": {"balance": 0}},
    )
    result = solved(instance, 8.0, {"pair_cost": 8.0, "balance": 1.0})
    assert result.owners == {"A1": "C1", "A2": "C2", "A3": "C2"}


def test_pair_effort_overrides_account_effort():
    # A1 has effort 5, but only 1 for C2 (a pair effort); C1 and C2 have capacity 2.
    # A1 fits only on C2. Targets: demand uses the default effort 5 over capacity 4 ->
    # utilisation 1.25, targets 2.5 each; loads C1 0, C2 1 -> balance 2.5 + 1.5 = 4.
    instance = make_instance(
        [account("A1", effort=5)],
        [csm("C1", capacity=2), csm("C2", capacity=2)],
        pairs=[{"account": "A1", "csm": "C2", "effort": 1}],
    )
    result = solved(instance, 4.0, {"balance": 4.0})
    assert result.owners == {"A1": "C2"}


def test_soft_specialization_penalty():
    # Finance is a specialised vertical, as a preference (weight 5). C1 is a generalist
    # (capacity 2), C2 a finance specialist (capacity 1). F1, F2 are finance, G1 retail;
    # effort 1 each. G1 can only go to C1 (a specialist takes only its verticals); C2 has
    # room for one finance account, so the other goes to C1: specialization 1 -> 5.
    # Demand 3 = capacity 3 -> targets 2 and 1, met exactly: balance 0. Objective 5.
    instance = make_instance(
        [
            account("F1", vertical="finance"),
            account("F2", vertical="finance"),
            account("G1", vertical="retail"),
        ],
        [csm("C1", capacity=2), csm("C2", capacity=1, verticals=["finance"])],
        policy={"specialization": {"verticals": ["finance"], "hard": False}},
    )
    result = solved(instance, 5.0, {"specialization": 1.0})
    assert result.owners["G1"] == "C1"
    assert sorted([result.owners["F1"], result.owners["F2"]]) == ["C1", "C2"]


def test_hard_specialization_makes_the_same_instance_infeasible():
    # Same as above with specialisation hard: two finance accounts, one finance seat.
    instance = make_instance(
        [
            account("F1", vertical="finance"),
            account("F2", vertical="finance"),
            account("G1", vertical="retail"),
        ],
        [csm("C1", capacity=2), csm("C2", capacity=1, verticals=["finance"])],
        policy={"specialization": {"verticals": ["finance"], "hard": True}},
    )
    assert run(instance).solution.status == "INFEASIBLE"


def test_pooled_accounts_have_no_owner_and_count_as_moved():
    # P1, P2 have ARR 200k: the pooled segment. P1 was with C1, so it moves (forced, since
    # a pooled account has no named owner). S1 (Scale, effort 1) stays with C1.
    # Balance: S1 alone over two CSMs -> targets 0.5 each, deviation 0.5 + 0.5 = 1.
    # Moves: P1 only (cost 1). Objective 1 + 1 = 2.
    policy = {
        "strategic_segment": None,
        "segments": [
            {"name": "Pool", "min_arr": 150_000, "pooled": True},
            {"name": "Scale", "min_arr": 0, "max_arr": 150_000},
        ],
    }
    instance = make_instance(
        [
            account("P1", arr=200_000, current_csm="C1"),
            account("P2", arr=300_000),
            account("S1", current_csm="C1"),
        ],
        ["C1", "C2"],
        policy=policy,
    )
    result = solved(instance, 2.0, {"balance": 1.0, "moves": 1.0})
    rows = {row.account: row for row in result.solution.assignments}
    assert rows["P1"].csm is None and rows["P1"].pooled and rows["P1"].moved
    assert rows["P1"].forced
    assert rows["P2"].csm is None and rows["P2"].pooled and not rows["P2"].moved
    assert rows["S1"].csm == "C1" and not rows["S1"].pooled and not rows["S1"].moved
    assert result.solution.moves == 1
    assert result.solution.forced_moves == 1


@pytest.mark.parametrize("max_moves", [None, 0])
def test_forced_moves_from_a_leaver(max_moves):
    # C1 leaves with A1, A2; A3 is with C2. Active C2, C3 (capacity 10): demand 3 ->
    # targets 1.5 each. A1, A2 must move (2 forced moves, cost 2); the best split is 2|1
    # (balance 0.5 + 0.5 = 1), e.g. C2 {A3, A1}, C3 {A2}; moving A3 too would add a move.
    # Objective 1 + 2 = 3, whether or not voluntary moves are capped at 0.
    instance = make_instance(
        [
            account("A1", current_csm="C1"),
            account("A2", current_csm="C1"),
            account("A3", current_csm="C2"),
        ],
        [csm("C1", leaving=True), "C2", "C3"],
        policy={"continuity": {"max_moves": max_moves}},
    )
    result = solved(instance, 3.0, {"balance": 1.0, "moves": 2.0})
    assert result.solution.moves == 2
    assert result.solution.forced_moves == 2
    assert result.owners["A3"] == "C2"
    rows = {row.account: row for row in result.solution.assignments}
    assert rows["A1"].forced and rows["A2"].forced and not rows["A3"].moved
    report = check_plan(instance, result.owners)
    assert (report.moves, report.forced_moves) == (2, 2)
    leaver = {row.csm: row for row in result.solution.csm_summary}["C1"]
    assert leaver.accounts == 0 and leaver.lost == 2


def test_effort_model_multipliers():
    # Enterprise (base effort 3) account, onboarding (x1.5), health 30 (x1.4), monthly
    # (x0.8): effort 3 x 1.5 x 1.4 x 0.8 = 5.04. One CSM of capacity 10 -> target = demand,
    # balance 0; the account row reports effort 5.04.
    instance = make_instance(
        [
            account(
                "A1",
                arr=200_000,
                effort=None,
                lifecycle_stage="onboarding",
                health=30,
                contract="monthly",
            )
        ],
        [csm("C1", segments=["Enterprise"])],
    )
    result = solved(instance, 0.0, {})
    assert result.solution.assignments[0].effort == pytest.approx(5.04)


# --- model and checker agree on edge cases ------------------------------------------------


def test_weights_are_used_at_a_resolution_of_one_thousandth():
    # Same as test_balance_deviation with balance weight 0.0004, which the policy rounds to
    # 0.000 (weights have a resolution of 0.001): balance no longer counts, so any split
    # is optimal with objective 0 -- and the solver and the checker agree on that.
    instance = make_instance(
        [account("A1", effort=3), account("A2", effort=3), account("A3", effort=2)],
        ["C1", "C2"],
        policy={"weights": {"balance": 0.0004, "moves": 0.0015}},
    )
    assert instance.policy.weights.balance == 0.0
    assert instance.policy.weights.moves == pytest.approx(0.002)
    result = run(instance)
    assert result.solution.status == "OPTIMAL"
    assert result.solution.violations == []
    assert result.solution.objective == 0.0
    assert check_plan(instance, result.owners).objective == 0.0


def test_fractional_weights_and_costs():
    # Efforts 3, 3, 2 (targets 4, 4) with balance weight 0.25; A1 costs 0.37 with C1,
    # pair_cost weight 1.5. Best split {3,2}|{3}: balance 2 -> 0.5; putting A1 with C2
    # avoids its cost, so objective 0.5 (A1 -> C2; then A2 -> C1 and A3 either side).
    instance = make_instance(
        [account("A1", effort=3), account("A2", effort=3), account("A3", effort=2)],
        ["C1", "C2"],
        pairs=[{"account": "A1", "csm": "C1", "cost": 0.37}],
        policy={"weights": {"balance": 0.25, "pair_cost": 1.5}},
    )
    result = solved(instance, 0.5, {"balance": 2.0})
    assert result.owners["A1"] == "C2" and result.owners["A2"] == "C1"


def test_duplicate_pairs_are_rejected():
    # Two records for (A1, C1) would leave the pair's cost ambiguous (model and checker once
    # disagreed: one kept the last cost, the other summed them).
    from allocator.schema.errors import InputError

    with pytest.raises(InputError) as info:
        make_instance(
            ["A1"],
            ["C1", "C2"],
            pairs=[
                {"account": "A1", "csm": "C1", "cost": 1},
                {"account": "A1", "csm": "C1", "cost": 1},
                {"account": "A1", "csm": "C2", "cost": 1.5},
            ],
        )
    expected = "pairs[1](A1, C1).csm: duplicate pair (A1, C1)"
    assert any(expected in line for line in info.value.lines())


@pytest.mark.parametrize("shape", ["pooled-middle", "pooled-root"])
def test_families_through_a_pooled_account(shape):
    # A pooled account has no owner, so it breaks the family chain: R and K are free to
    # take different CSMs. Each costs 1 with one CSM, so the optimum puts R on C2 and K on
    # C1: pair cost 0, balance 0 (targets 1 each), objective 0. (The model once tied R and
    # K together through the pooled link while the checker did not.)
    policy = {
        "strategic_segment": None,
        "segments": [
            {"name": "Scale", "max_arr": 150_000},
            {"name": "Pool", "min_arr": 150_000, "pooled": True},
        ],
    }
    if shape == "pooled-middle":  # R (named) -> M (pooled) -> K (named)
        accounts = [
            account("R"),
            account("M", parent_id="R", segment="Pool"),
            account("K", parent_id="M"),
        ]
    else:  # M (pooled) -> R, K (named siblings, explicit segment)
        accounts = [
            account("M", segment="Pool"),
            account("R", parent_id="M", segment="Scale"),
            account("K", parent_id="M", segment="Scale"),
        ]
    instance = make_instance(
        accounts,
        ["C1", "C2"],
        policy=policy,
        pairs=[{"account": "R", "csm": "C1", "cost": 1}, {"account": "K", "csm": "C2", "cost": 1}],
    )
    result = solved(instance, 0.0, {})
    assert result.owners == {"R": "C2", "M": None, "K": "C1"}


def test_balance_tolerance_makes_small_deviations_free():
    # Two CSMs of capacity 10, accounts of effort 3, 3, 2: target 4 each, so the best split
    # (3+2 | 3) deviates by 1 on each side. A tolerance of 0.1 x capacity = 1.0 makes that
    # free (objective 0); 0.05 leaves 0.5 per CSM (objective 1.0).
    accounts = [account("A1", effort=3), account("A2", effort=3), account("A3", effort=2)]
    for tolerance, expected in ((0.1, 0.0), (0.05, 1.0)):
        instance = make_instance(
            accounts, ["C1", "C2"], policy={"balance": {"tolerance": tolerance}}
        )
        result = run(instance)
        assert result.solution.status == "OPTIMAL"
        assert result.solution.terms["balance"] == pytest.approx(expected)
        assert result.solution.bound == pytest.approx(expected)
