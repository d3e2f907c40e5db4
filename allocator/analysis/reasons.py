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

from collections import ChainMap
from dataclasses import dataclass, field

from allocator.checker import Breach, Terms
from allocator.facts import Facts
from allocator.facts.eligibility import (
    REGION,
    SEGMENT_SERVED,
    VERTICAL_SPECIALIZATION,
    structural_reasons,
)
from allocator.pipeline.result import SolveResult
from allocator.schema.instance import Instance
from allocator.schema.plan import Owners, Plan
from allocator.schema.solution import Solution

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
# Which broken rule names a move best: the hard limits first, the band last.
_RULE_ORDER = [
    "families_together",
    "account_caps",
    "effort_capacity",
    "renewal_spread",
    "min_book_arr",
    "balance",
]
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


@dataclass
class Revert:
    """What putting some accounts back with their previous owners would do to the plan."""

    broken: list[tuple[str, str]]  # (rule, plain-language line) of newly broken hard rules
    terms: dict[str, float]  # change per objective term, natural units
    weighted: dict[str, float]  # the same, times the term's weight: objective units
    objective: float

    def describe_terms(self) -> str:
        """'balance +3.59, moves -2.00': objective contributions, weights applied."""
        parts = [
            f"{name} {value:+,.2f}" for name, value in self.weighted.items() if round(value, 2)
        ]
        return ", ".join(parts)


# --- the plan, evaluated one CSM's book at a time --------------------------------------------
class PlanView:
    """A plan with its books, able to evaluate putting accounts back with their previous
    owners. The checker scores every book (`Checker.book_terms`, `book_breaches`); each
    book's state in the plan itself is computed once."""

    def __init__(self, facts: Facts, owners: Plan):
        self.facts = facts
        self.checker = facts.checker
        self.owners = owners
        self.books: dict[str, set[str]] = {}
        for account_id, owner in owners.items():
            if owner is not None and account_id in facts.accounts:
                self.books.setdefault(owner, set()).add(account_id)
        self.family_of = facts.family_of
        self._states: dict[str, tuple[Terms, dict[tuple[str, str], Breach]]] = {}

    def _state(self, csm_id: str, book: set[str]) -> tuple[Terms, dict[tuple[str, str], Breach]]:
        breaches = {(b.rule, b.scope): b for b in self.checker.book_breaches(csm_id, book)}
        return self.checker.book_terms(csm_id, book), breaches

    def revert(self, accounts: list[str]) -> Revert:
        """Evaluate putting `accounts` back with their previous owners, all else fixed."""
        facts, owners, checker = self.facts, self.owners, self.checker
        after_owner = {a: facts.accounts[a].current_csm for a in accounts}
        touched = {owners.get(a) for a in accounts} | set(after_owner.values())
        broken: list[tuple[str, str]] = []
        delta = Terms()
        for csm_id in sorted(c for c in touched if c is not None):
            book = self.books.get(csm_id, set())
            if csm_id not in self._states:
                self._states[csm_id] = self._state(csm_id, book)
            before_terms, before_broken = self._states[csm_id]
            after = (book - {a for a in accounts if owners.get(a) == csm_id}) | {
                a for a in accounts if after_owner[a] == csm_id
            }
            after_terms, after_broken = self._state(csm_id, after)
            broken += [
                (b.rule, f"{b.subject} would have {b.message}")
                for key, b in sorted(after_broken.items())
                if key not in before_broken
            ]
            delta.add(after_terms)
            delta.add(before_terms, -1)
        for a in accounts:
            delta.add(checker.account_terms(a, after_owner[a]))
            delta.add(checker.account_terms(a, owners.get(a)), -1)
        broken += self._split_families(after_owner)
        broken.sort(
            key=lambda item: (
                _RULE_ORDER.index(item[0]) if item[0] in _RULE_ORDER else len(_RULE_ORDER)
            )
        )
        terms = checker.natural(delta)
        weighted = checker.weighted(terms)
        return Revert(
            broken,
            {t: round(v, 6) for t, v in terms.items()},
            {t: round(v, 6) for t, v in weighted.items()},
            round(sum(weighted.values()), 6),
        )

    def _split_families(self, after_owner: Owners) -> list[tuple[str, str]]:
        """Families the plan keeps together that putting these accounts back would split."""
        lines = []
        after = ChainMap(after_owner, dict(self.owners))
        for root in sorted({self.family_of[a] for a in after_owner if a in self.family_of}):
            members = self.facts.families[root]
            if self.checker.family_breaches(after, members) and not self.checker.family_breaches(
                self.owners, members
            ):
                split = ", ".join(f"{m} with {after.get(m)}" for m in members)
                lines.append(("families_together", f"family of {root} would be split ({split})"))
        return lines


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
            f"{account.vertical} accounts need a specialist; {previous} is a generalist"
            if not csm.verticals
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
def _from_revert(previous: str, new: str | None, result: Revert) -> tuple[str, str]:
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
        return _TERM_CATEGORY.get(main, main), (
            f"moved to {new}; keeping {previous} would cost {result.objective:+,.2f} "
            f"({result.describe_terms()})"
        )
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
            category, text = _from_revert(previous, new, result)
        else:
            if root not in done:
                members = [m for m in facts.families[root] if m in movable]
                done[root] = (view.revert(members), members)
            result, members = done[root]
            category, text = _from_revert(previous, new, result)
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
