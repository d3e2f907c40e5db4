"""A reason for every move: why each account left its previous owner (or was placed).

Forced moves are named by the rule that forced them (leaver, segment change, lost
eligibility). For a voluntary move, the account is put back with its previous owner and
the plan re-evaluated locally — only the two CSMs' books change, so this costs a few book
scans instead of a full check: if a hard rule would break, that rule is the reason;
otherwise the objective terms that would grow say what the move buys, and by how much.
Families are put back together. The checker scores the books before and after
(`tests/analysis/test_reasons.py` holds the local evaluation to `check` on the whole
reverted plan).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from allocator.facts import Facts
from allocator.facts.eligibility import (
    REGION,
    SEGMENT_SERVED,
    VERTICAL_SPECIALIZATION,
    structural_reasons,
)
from allocator.pipeline.result import SolveResult
from allocator.schema.instance import Instance
from allocator.schema.solution import Solution
from allocator.search.revert import PlanView, Revert

LEAVING = "current owner leaving"
SEGMENT_CHANGE = "segment change"
LOST_ELIGIBILITY = "lost eligibility"
OVER_CAP = "over cap"
OVER_CAPACITY = "over capacity"
RENEWAL_BUNCHING = "renewal bunching"
BALANCE = "balance"
SPECIALIZATION = "specialization"
FAMILY = "family"
NEW_ACCOUNT = "new account placed"
MIN_BOOK_ARR = "min book ARR"
PAIR_PREFERENCE = "pair preference"
JOINT = "joint rebalancing"

CATEGORIES = (
    LEAVING,
    SEGMENT_CHANGE,
    LOST_ELIGIBILITY,
    OVER_CAP,
    OVER_CAPACITY,
    RENEWAL_BUNCHING,
    BALANCE,
    SPECIALIZATION,
    FAMILY,
    NEW_ACCOUNT,
    MIN_BOOK_ARR,
    PAIR_PREFERENCE,
    JOINT,
)

_RULE_CATEGORY = {
    "account_caps": OVER_CAP,
    "effort_capacity": OVER_CAPACITY,
    "renewal_spread": RENEWAL_BUNCHING,
    "balance": BALANCE,
    "min_book_arr": MIN_BOOK_ARR,
    "families_together": FAMILY,
}
_TERM_CATEGORY = {
    "balance": BALANCE,
    "renewal_bunching": RENEWAL_BUNCHING,
    "specialization": SPECIALIZATION,
    "pair_cost": PAIR_PREFERENCE,
}


@dataclass(frozen=True)
class MoveReason:
    """Why one account changed hands.

    `keep_cost` is the objective change if this account (with its family) stayed with its
    previous owner and nothing else changed; None when the move was forced or staying
    would break a hard rule (`broken_rules`, one plain line each). `term_changes` splits
    that change by objective term, weights applied.
    """

    account: str
    previous_csm: str | None
    new_csm: str | None
    category: str
    text: str
    forced: bool = False
    keep_cost: float | None = None
    term_changes: dict[str, float] = field(default_factory=dict)
    broken_rules: tuple[str, ...] = ()


# --- forced moves ---------------------------------------------------------------------------
def forced_reason(facts: Facts, account_id: str, new: str | None) -> tuple[str, str] | None:
    """(category, text) when the previous owner may not keep the account; else None."""
    account = facts.accounts[account_id]
    previous = account.current_csm
    if previous is None:
        return None
    csm = facts.csms[previous]
    segment = facts.segment_of[account_id]
    if csm.leaving:
        return LEAVING, f"{previous} is leaving; {account_id} goes to {new}"
    if facts.is_pooled(account_id):
        return SEGMENT_CHANGE, (
            f"now in pooled segment {segment}: served by the pool, no named CSM"
        )
    policy = facts.instance.policy
    reasons = structural_reasons(
        csm,
        segment,
        account.vertical,
        account.region,
        frozenset(policy.specialization.verticals),
        policy.specialization.hard,
    )
    if SEGMENT_SERVED in reasons:
        return SEGMENT_CHANGE, (
            f"now in segment {segment}, which {previous} does not serve "
            f"({', '.join(csm.segments)}); goes to {new}"
        )
    if VERTICAL_SPECIALIZATION in reasons:
        why = (
            f"{account.vertical} accounts need a {account.vertical} specialist; {previous} "
            "is not one"
            if csm.takes_any_vertical()
            else f"{previous} specialises in {', '.join(csm.verticals)}, not {account.vertical}"
        )
        return LOST_ELIGIBILITY, f"{why}; goes to {new}"
    if REGION in reasons:
        return LOST_ELIGIBILITY, (
            f"{previous} does not cover region {account.region}; goes to {new}"
        )
    if previous not in facts.eligibility.structural[account_id]:
        return LOST_ELIGIBILITY, (
            f"the pair ({account_id}, {previous}) is not allowed "
            f"(pairs: allowed false); goes to {new}"
        )
    return None


# --- entry point ----------------------------------------------------------------------------
def _percent(share: float) -> str:
    return f"{share:.0%}"


def _load_words(result: Revert, previous: str, new: str | None) -> str:
    """'without the move, C14 would carry 128% of its capacity instead of 112% (target
    100%), and C4 71% instead of 85% (target 100%)': the previous owner first."""
    parts: list[str] = []
    books = sorted(
        (c for c in result.books if c.csm in (previous, new)), key=lambda c: c.csm != previous
    )
    for change in books:
        target = f" (target {_percent(change.target)})" if change.target is not None else ""
        kept, planned = _percent(change.utilisation_kept), _percent(change.utilisation)
        if not parts:
            parts.append(
                f"without the move, {change.csm} would carry {kept} of its capacity instead "
                f"of {planned}{target}"
            )
        else:
            parts.append(f"{change.csm} {kept} instead of {planned}{target}")
    return ", and ".join(parts)


def _renewal_words(result: Revert, previous: str, limit: int | None) -> str:
    for change in result.books:
        if change.csm != previous:
            continue
        for window, (now, kept) in change.renewals.items():
            if kept > now:
                cap = f" (spread limit {limit})" if limit is not None else ""
                return f"{previous} would have {kept} renewals in {window} instead of {now}{cap}"
    return f"{previous}'s renewals would bunch"


def _from_revert(facts: Facts, previous: str, new: str | None, result: Revert) -> tuple[str, str]:
    """The category and the sentence: what keeping the previous owner would do, in terms a
    CS leader reads (capacity used, caps, renewals), then the objective change."""
    cost = (
        f"keeping {previous} alone, the rest as planned, would cost {result.objective:+,.2f} "
        f"({result.describe_terms()})"
    )
    if result.broken:
        rule, line = result.broken[0]
        more = f" (and {len(result.broken) - 1} more)" if len(result.broken) > 1 else ""
        return (
            _RULE_CATEGORY.get(rule, rule),
            f"moved to {new}; keeping {previous} would break {rule}: {line}{more}",
        )
    costs = {t: v for t, v in result.weighted.items() if t != "moves" and v > 0}
    if result.objective > 0 and costs:
        main = max(costs, key=lambda t: costs[t])
        category = _TERM_CATEGORY.get(main, main)
        if main == "balance":
            why = f" to even out effort: {_load_words(result, previous, new)}"
        elif main == "renewal_bunching":
            why = f" to spread renewals: {_renewal_words(result, previous, facts.renewal_limit)}"
        elif main == "specialization":
            why = f", a specialist in its vertical ({previous} is not one)"
        else:
            why = ", a preferred pairing (pair cost)"
        return category, f"moved to {new}{why}; {cost}"
    return JOINT, (
        f"moved to {new} as part of a joint rebalancing: keeping {previous} alone "
        f"would change the objective by {result.objective:+,.2f} "
        f"({result.describe_terms() or 'no term changes'})"
    )


def move_reasons(
    instance: Instance, solution: Solution | SolveResult, facts: Facts | None = None
) -> dict[str, MoveReason]:
    """A reason for every moved account, and for every new account placed with a CSM."""
    plan = solution.solution if isinstance(solution, SolveResult) else solution
    facts = facts or Facts(instance, plan.effective_date)
    owners = plan.owners()
    view = PlanView(facts, owners)
    reasons: dict[str, MoveReason] = {}
    voluntary: list[str] = []  # in instance order, so a family's lead is stable
    for account in instance.accounts:
        a, previous, new = account.id, account.current_csm, owners.get(account.id)
        if previous is None:
            if new is not None:
                reasons[a] = MoveReason(
                    a, None, new, NEW_ACCOUNT, f"new account (no previous owner) placed with {new}"
                )
            continue
        if new == previous or a not in owners:
            continue
        forced = forced_reason(facts, a, new)
        if forced is not None:
            reasons[a] = MoveReason(a, previous, new, forced[0], forced[1], forced=True)
        else:
            voluntary.append(a)
    movable = set(voluntary)
    done: dict[str, tuple[Revert, list[str]]] = {}  # family root -> revert, members put back
    for a in voluntary:
        previous = facts.accounts[a].current_csm or ""
        new = owners.get(a)
        root = view.family_of.get(a)
        if root is None:
            result = view.revert([a])
            category, text = _from_revert(facts, previous, new, result)
        else:
            if root not in done:
                members = [m for m in facts.families[root] if m in movable]
                done[root] = (view.revert(members), members)
            result, members = done[root]
            category, text = _from_revert(facts, previous, new, result)
            if len(members) > 1:
                text = f"family of {root} ({', '.join(members)}) moved together: {text}"
                if a != members[0] and category != FAMILY:
                    category = FAMILY  # the family's lead carries the underlying reason
        hard = [f"{rule}: {line}" for rule, line in result.broken]
        reasons[a] = MoveReason(
            a,
            previous,
            new,
            category,
            text,
            False,
            None if hard else result.objective,
            dict(result.weighted),
            tuple(hard),
        )
    return reasons
