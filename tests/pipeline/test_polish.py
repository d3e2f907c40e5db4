"""Among plans as good on the objective, the solve returns the one with the fewest moves,
and the moves it must make are of accounts far from renewal and with smaller ARR."""

from __future__ import annotations

from allocator.analysis.reasons import move_reasons
from allocator.crm import ImportOptions, import_files, read_policy
from allocator.facts import Facts
from allocator.pipeline import solve
from allocator.schema import effective_date_of
from allocator.search.revert import voluntary_moves_in
from tests.builders import ROOT, account, csm, make_instance, run

SALESFORCE = ROOT / "tests" / "data" / "rebalance" / "salesforce"


def test_moves_that_buy_nothing_are_not_made() -> None:
    """With moves free (weight 0) and balance inside the tolerance either way, any number of
    moves scores the same: the plan makes none."""
    instance = make_instance(
        [account(f"A{i}", current_csm="C1" if i < 3 else "C2") for i in range(5)],
        ["C1", "C2"],
        policy={"weights": {"moves": 0}, "balance": {"tolerance": 0.5}},
    )
    result = run(instance)
    assert result.status == "OPTIMAL"
    assert result.solution.moves == 0


def test_a_pinned_move_stays_although_it_buys_nothing() -> None:
    """The user pins A1 to C1; moves are free and nothing else scores, so putting A1 back
    with C0 would cost nothing, but the pin holds (found by the forced-solve property
    test: the undo pass used to put it back)."""
    instance = make_instance(
        [account("A0"), account("A1", current_csm="C0")],
        ["C0", "C1"],
        policy={
            "weights": {
                "moves": 0,
                "balance": 0,
                "renewal_bunching": 0,
                "pair_cost": 0,
                "specialization": 0,
            }
        },
    )
    result = solve(instance, time_limit=5, workers=1, pins={"A1": "C1"})
    assert result.status == "OPTIMAL" and result.feasible
    assert result.owners["A1"] == "C1"


def test_a_forced_choice_moves_the_account_far_from_renewal_and_smaller() -> None:
    """C1 holds three Scale accounts and may keep two: the one to go is the small account
    renewing next year, not the large one renewing next month."""
    instance = make_instance(
        [
            account("SOON", current_csm="C1", arr=140_000, renewal_date="2026-02-01"),
            account("LATE", current_csm="C1", arr=20_000, renewal_date="2026-12-01"),
            account("MID", current_csm="C1", arr=80_000, renewal_date="2026-05-01"),
        ],
        [csm("C1", max_accounts={"Scale": 2}), "C2"],
        policy={"balance": {"tolerance": 1.0}},
    )
    result = run(instance)
    assert result.status == "OPTIMAL"
    assert result.owners == {"SOON": "C1", "LATE": "C2", "MID": "C1"}


def test_every_voluntary_move_of_a_real_rebalance_buys_something() -> None:
    """On the Salesforce-shaped export: putting back any voluntarily moved account alone
    either breaks a rule or costs more than it saves."""
    options = ImportOptions(policy=read_policy(SALESFORCE / "policy.json"), day_first=True)
    instance = import_files(
        SALESFORCE / "accounts.csv", SALESFORCE / "roster.csv", "salesforce", options=options
    ).instance
    result = solve(instance, time_limit=10)
    assert result.status in ("OPTIMAL", "FEASIBLE")
    reasons = move_reasons(instance, result)
    facts = Facts(instance, effective_date_of(instance))
    voluntary = voluntary_moves_in(facts, facts.named_accounts, result.owners)
    assert voluntary
    for account_id in voluntary:
        reason = reasons[account_id]
        assert reason.broken_rules or (reason.keep_cost or 0) > 1e-9, reason
