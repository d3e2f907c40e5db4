"""Every rule, both ways: a forced plan that breaks it is INFEASIBLE, one that keeps it is
solved with no violation; and the independent checker names exactly the broken rule.

Each case is a tiny instance with a `bad` plan (breaks the rule and nothing else) and a
`good` plan (breaks nothing). Plans list every account; pooled accounts map to None.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from conftest import account, check_plan, csm, make_instance, rule_names, run

from allocator.schema.instance import Instance

POOLED_POLICY = {
    "strategic_segment": None,
    "segments": [
        {"name": "Pool", "min_arr": 150_000, "pooled": True},
        {"name": "Scale", "min_arr": 0, "max_arr": 150_000},
    ],
}


@dataclass
class Case:
    id: str
    rule: str
    subject: str
    build: Callable[[], Instance]
    bad: dict[str, str | None]
    good: dict[str, str | None]


CASES = [
    # --- one_owner: an owner that is not a CSM of the instance ---------------------------
    Case("one_owner", "one_owner", "A1",
         lambda: make_instance(["A1", "A2"], ["C1", "C2"]),
         bad={"A1": "C9", "A2": "C1"}, good={"A1": "C2", "A2": "C1"}),
    # --- eligibility, one case per structural reason ---------------------------------------
    Case("eligibility-segment", "eligibility", "A1",
         lambda: make_instance([account("A1", arr=200_000)],
                               [csm("C1"), csm("C2", segments=["Enterprise"])]),
         bad={"A1": "C1"}, good={"A1": "C2"}),
    Case("eligibility-generalist-gets-specialised-vertical", "eligibility", "A1",
         lambda: make_instance([account("A1", vertical="finance")],
                               ["C1", csm("C2", verticals=["finance"])]),
         bad={"A1": "C1"}, good={"A1": "C2"}),
    Case("eligibility-specialist-gets-other-vertical", "eligibility", "A1",
         lambda: make_instance([account("A1", vertical="retail")],
                               ["C1", csm("C2", verticals=["finance"])]),
         bad={"A1": "C2"}, good={"A1": "C1"}),
    Case("eligibility-region", "eligibility", "A1",
         lambda: make_instance([account("A1", region="EU")],
                               [csm("C1", regions=["US"]), csm("C2", regions=["EU", "US"])]),
         bad={"A1": "C1"}, good={"A1": "C2"}),
    Case("eligibility-forbidden-pair", "eligibility", "A1",
         lambda: make_instance(["A1"], ["C1", "C2"],
                               pairs=[{"account": "A1", "csm": "C1", "allowed": False}]),
         bad={"A1": "C1"}, good={"A1": "C2"}),
    Case("eligibility-leaver", "eligibility", "A1",
         lambda: make_instance(["A1"], [csm("C1", leaving=True), "C2"]),
         bad={"A1": "C1"}, good={"A1": "C2"}),
    # --- locked_accounts -------------------------------------------------------------------
    Case("locked_accounts", "locked_accounts", "A1",
         lambda: make_instance([account("A1", current_csm="C1", locked=True), "A2"],
                               ["C1", "C2"]),
         bad={"A1": "C2", "A2": "C1"}, good={"A1": "C1", "A2": "C2"}),
    # --- renewal_freeze: A1 renews 9 days after the plan date, freeze is 30 days -----------
    Case("renewal_freeze", "renewal_freeze", "A1",
         lambda: make_instance([account("A1", current_csm="C1", renewal_date="2026-01-10")],
                               ["C1", "C2"], policy={"continuity": {"freeze_days": 30}}),
         bad={"A1": "C2"}, good={"A1": "C1"}),
    # --- pooled_segments: P1 (ARR 200k) is in the pooled segment ---------------------------
    Case("pooled_segments", "pooled_segments", "P1",
         lambda: make_instance([account("P1", arr=200_000), "A1"], ["C1", "C2"],
                               policy=POOLED_POLICY),
         bad={"P1": "C1", "A1": "C2"}, good={"P1": None, "A1": "C2"}),
    # --- account_caps: policy cap and per-CSM override -------------------------------------
    Case("account_caps-policy", "account_caps", "C1",
         lambda: make_instance(["A1", "A2"], ["C1", "C2"], policy={"segments": [
             {"name": "Scale", "max_accounts": 1}], "strategic_segment": None}),
         bad={"A1": "C1", "A2": "C1"}, good={"A1": "C1", "A2": "C2"}),
    Case("account_caps-csm-override", "account_caps", "C1",
         lambda: make_instance(["A1", "A2"], [csm("C1", max_accounts={"Scale": 1}), "C2"]),
         bad={"A1": "C1", "A2": "C1"}, good={"A1": "C2", "A2": "C2"}),
    # --- effort_capacity: capacity 4 at ramp 0.5 holds one account of effort 2 -------------
    Case("effort_capacity", "effort_capacity", "C1",
         lambda: make_instance([account("A1", effort=2), account("A2", effort=2)],
                               [csm("C1", capacity=4, ramp=0.5), "C2"]),
         bad={"A1": "C1", "A2": "C1"}, good={"A1": "C1", "A2": "C2"}),
    # --- renewal_spread (hard): both renew in 2026-Q3, at most one per quarter -------------
    Case("renewal_spread", "renewal_spread", "C1",
         lambda: make_instance(
             [account("A1", renewal_date="2026-07-01"), account("A2", renewal_date="2026-09-30")],
             ["C1", "C2"],
             policy={"renewal_spread": {"max_per_window": 1, "hard": True}}),
         bad={"A1": "C1", "A2": "C1"}, good={"A1": "C1", "A2": "C2"}),
    # --- balance (hard band): targets 2 each, band 0.1 x capacity 10 = 1 -------------------
    Case("balance", "balance", "C1",
         lambda: make_instance([account("A1", effort=2), account("A2", effort=2)],
                               ["C1", "C2"], policy={"balance": {"band": 0.1}}),
         bad={"A1": "C1", "A2": "C1"}, good={"A1": "C2", "A2": "C1"}),
    # --- move_cap: no voluntary move allowed -----------------------------------------------
    Case("move_cap", "move_cap", "plan",
         lambda: make_instance([account("A1", current_csm="C1"), account("A2", current_csm="C2")],
                               ["C1", "C2"], policy={"continuity": {"max_moves": 0}}),
         bad={"A1": "C2", "A2": "C2"}, good={"A1": "C1", "A2": "C2"}),
    # --- families_together: A2's parent is A1 ----------------------------------------------
    Case("families_together", "families_together", "A2",
         lambda: make_instance(["A1", account("A2", parent_id="A1"), "A3"], ["C1", "C2"]),
         bad={"A1": "C1", "A2": "C2", "A3": "C1"}, good={"A1": "C2", "A2": "C2", "A3": "C1"}),
    # --- min_book_arr: C1 costs 15,000 at target 0.15, so its book needs ARR >= 100,000 ----
    Case("min_book_arr", "min_book_arr", "C1",
         lambda: make_instance(
             [account("A1", arr=60_000), account("A2", arr=60_000), account("A3", arr=1_000)],
             [csm("C1", annual_cost=15_000), "C2"],
             policy={"cost_to_arr": {"enforce_per_csm": True}}),
         bad={"A1": "C1", "A2": "C2", "A3": "C2"}, good={"A1": "C1", "A2": "C1", "A3": "C2"}),
]

HARD_RULES = {
    "one_owner", "eligibility", "locked_accounts", "renewal_freeze", "pooled_segments",
    "account_caps", "effort_capacity", "renewal_spread", "balance", "move_cap",
    "families_together", "min_book_arr",
}


def _force(plan: dict[str, str | None]) -> dict[str, str]:
    return {a: c for a, c in plan.items() if c is not None}


def test_every_rule_has_a_case():
    assert {c.rule for c in CASES} == HARD_RULES


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_forcing_a_plan_that_breaks_the_rule_is_infeasible(case: Case):
    result = run(case.build(), force=_force(case.bad), time_limit=5)
    assert result.solution.status == "INFEASIBLE"
    assert result.solution.assignments == []
    assert result.report is None


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_forcing_a_plan_that_keeps_the_rule_is_solved_cleanly(case: Case):
    result = run(case.build(), force=_force(case.good), time_limit=5)
    assert result.solution.status in ("OPTIMAL", "FEASIBLE")
    assert result.solution.violations == []
    assert result.owners == case.good


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_unforced_solve_is_clean(case: Case):
    result = run(case.build(), time_limit=5)
    assert result.solution.status == "OPTIMAL"
    assert result.solution.violations == []
    assert rule_names(check_plan(case.build(), result.owners)) == set()


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_checker_names_exactly_the_broken_rule(case: Case):
    report = check_plan(case.build(), case.bad)
    assert rule_names(report) == {case.rule}
    assert case.subject in {v.subject for v in report.violations}
    assert not report.feasible


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_checker_accepts_the_good_plan(case: Case):
    report = check_plan(case.build(), case.good)
    assert report.violations == []
    assert report.feasible


# --- one_owner: other ways to break it -------------------------------------------------

@pytest.mark.parametrize("plan", [
    {"A1": "C1"},                          # A2 missing
    {"A1": "C1", "A2": None},              # A2 has no owner
    {"A1": "C1", "A2": "C1", "ZZ": "C1"},  # an account that does not exist
], ids=["missing", "none", "unknown-account"])
def test_checker_one_owner_variants(plan):
    instance = make_instance(["A1", "A2"], ["C1", "C2"])
    assert rule_names(check_plan(instance, plan)) == {"one_owner"}


def test_forcing_an_unknown_account_is_refused():
    # Either an error naming the bad id, or INFEASIBLE -- never a plan that ignores it.
    instance = make_instance(["A1"], ["C1"])
    try:
        result = run(instance, force={"ZZ": "C1"})
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


# --- eligibility and continuity details ---------------------------------------------------

def test_soft_specialization_makes_generalist_eligible():
    instance = make_instance([account("A1", vertical="finance")], ["C1"],
                             policy={"specialization": {"hard": False}})
    result = run(instance, force={"A1": "C1"})
    assert result.solution.status == "OPTIMAL"
    assert result.solution.violations == []
    assert result.solution.terms["specialization"] == 1.0


def test_freeze_does_not_keep_an_account_with_a_leaver():
    # A1 renews within the freeze window, but its owner leaves: the move is forced.
    instance = make_instance([account("A1", current_csm="C1", renewal_date="2026-01-10")],
                             [csm("C1", leaving=True), "C2"],
                             policy={"continuity": {"freeze_days": 30}})
    result = run(instance)
    assert result.solution.status == "OPTIMAL"
    assert result.owners == {"A1": "C2"}
    assert result.solution.violations == []


def test_freeze_window_ends_after_freeze_days():
    # A1 renews 31 days after the plan date; the freeze is 30 days, so it may move.
    instance = make_instance([account("A1", current_csm="C1", renewal_date="2026-02-01")],
                             ["C1", "C2"], policy={"continuity": {"freeze_days": 30}})
    result = run(instance, force={"A1": "C2"})
    assert result.solution.status == "OPTIMAL"
    assert result.solution.violations == []


def test_forced_moves_do_not_count_against_move_cap():
    instance = make_instance([account("A1", current_csm="C1"), account("A2", current_csm="C1")],
                             [csm("C1", leaving=True), "C2"],
                             policy={"continuity": {"max_moves": 0}})
    result = run(instance)
    assert result.solution.status == "OPTIMAL"
    assert result.solution.violations == []
    assert result.solution.moves == 2
    assert result.solution.forced_moves == 2


def test_locked_to_a_leaver_is_infeasible():
    instance = make_instance([account("A1", current_csm="C1", locked=True)],
                             [csm("C1", leaving=True), "C2"])
    assert run(instance).solution.status == "INFEASIBLE"


def test_soft_renewal_spread_is_not_a_violation():
    instance = make_instance(
        [account("A1", renewal_date="2026-07-01"), account("A2", renewal_date="2026-09-30")],
        ["C1"], policy={"renewal_spread": {"max_per_window": 1, "hard": False}})
    report = check_plan(instance, {"A1": "C1", "A2": "C1"})
    assert report.violations == []
    assert report.terms["renewal_bunching"] == 1.0


def test_balance_without_band_is_not_a_violation():
    instance = make_instance([account("A1", effort=2), account("A2", effort=2)], ["C1", "C2"])
    report = check_plan(instance, {"A1": "C1", "A2": "C1"})
    assert report.violations == []
    assert report.terms["balance"] == 4.0


def test_min_book_arr_off_by_default():
    instance = make_instance([account("A1", arr=1_000)], [csm("C1", annual_cost=1e6), "C2"])
    assert check_plan(instance, {"A1": "C2"}).violations == []


def test_checker_flags_min_book_arr_for_an_empty_book():
    instance = make_instance([account("A1", arr=200_000)],
                             [csm("C1", annual_cost=15_000, segments=["Enterprise"]),
                              csm("C2", segments=["Enterprise"])],
                             policy={"cost_to_arr": {"enforce_per_csm": True}})
    # The model agrees C1 needs a book: C1 must take A1.
    assert run(instance).owners == {"A1": "C1"}
    assert rule_names(check_plan(instance, {"A1": "C2"})) == {"min_book_arr"}
