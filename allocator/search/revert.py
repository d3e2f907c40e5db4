"""Putting moved accounts back with their previous owners, evaluated one book at a time.

Only the books of the CSMs involved change, so the checker scores those books before and
after (`Checker.book_terms`, `book_breaches`) instead of the whole plan: a few book scans
per evaluation. Move reasons use it to say what a move buys; the solve uses it to undo
moves that buy nothing.
"""

from __future__ import annotations

from collections import ChainMap
from collections.abc import Iterable
from dataclasses import dataclass, field

from allocator.checker import Breach, Terms
from allocator.deadline import Deadline
from allocator.facts import Facts
from allocator.schema.plan import Owners, Plan

# Which broken rule names a move best: the hard limits first, the band last.
RULE_ORDER = [
    "families_together",
    "account_caps",
    "effort_capacity",
    "renewal_spread",
    "min_book_arr",
    "balance",
]


@dataclass(frozen=True)
class BookChange:
    """One CSM's book in the plan and with the accounts put back: effort as a share of its
    capacity, and renewals in the windows the accounts renew in."""

    csm: str
    utilisation: float  # effort / capacity x ramp, in the plan
    utilisation_kept: float  # ... with the accounts put back
    target: float | None  # the balance target, as a share of capacity
    renewals: dict[str, tuple[int, int]]  # window -> (in the plan, with them put back)


@dataclass
class Revert:
    """What putting some accounts back with their previous owners would do to the plan."""

    broken: list[tuple[str, str]]  # (rule, plain-language line) of newly broken hard rules
    terms: dict[str, float]  # change per objective term, natural units
    weighted: dict[str, float]  # the same, times the term's weight: objective units
    objective: float
    books: list[BookChange] = field(default_factory=list)

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
        self.owners: Owners = dict(owners)
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
        changes: list[BookChange] = []
        for csm_id in sorted(c for c in touched if c is not None):
            book = self.books.get(csm_id, set())
            if csm_id not in self._states:
                self._states[csm_id] = self._state(csm_id, book)
            before_terms, before_broken = self._states[csm_id]
            after = (book - {a for a in accounts if owners.get(a) == csm_id}) | {
                a for a in accounts if after_owner[a] == csm_id
            }
            changes.append(self._book_change(csm_id, book, after, accounts))
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
            key=lambda item: RULE_ORDER.index(item[0]) if item[0] in RULE_ORDER else len(RULE_ORDER)
        )
        terms = checker.natural(delta)
        weighted = checker.weighted(terms)
        return Revert(
            broken,
            {t: round(v, 6) for t, v in terms.items()},
            {t: round(v, 6) for t, v in weighted.items()},
            round(sum(weighted.values()), 6),
            changes,
        )

    def _book_change(
        self, csm_id: str, book: set[str], after: set[str], accounts: list[str]
    ) -> BookChange:
        facts = self.facts
        capacity = max(facts.capacity(csm_id), 1)
        target = facts.balance_target.get(csm_id)
        windows = {facts.window_of(a) for a in accounts}
        renewals = {
            w: (
                sum(facts.window_of(a) == w for a in book),
                sum(facts.window_of(a) == w for a in after),
            )
            for w in sorted(windows)
        }
        return BookChange(
            csm_id,
            sum(facts.effort(a, csm_id) for a in book) / capacity,
            sum(facts.effort(a, csm_id) for a in after) / capacity,
            None if target is None else target / capacity,
            renewals,
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

    def apply(self, accounts: list[str]) -> None:
        """Put `accounts` back with their previous owners in this view's plan."""
        for account_id in accounts:
            old = self.owners.get(account_id)
            new = self.facts.accounts[account_id].current_csm
            if old is not None:
                self.books.get(old, set()).discard(account_id)
                self._states.pop(old, None)
            if new is not None:
                self.books.setdefault(new, set()).add(account_id)
                self._states.pop(new, None)
            self.owners[account_id] = new


def voluntary_moves_in(facts: Facts, accounts: Iterable[str], plan: Plan) -> list[str]:
    """The accounts `plan` moves although their current owner could keep them."""
    forced = facts.eligibility.forced_move
    found = []
    for account_id in accounts:
        current = facts.accounts[account_id].current_csm
        if current is not None and account_id not in forced and plan.get(account_id) != current:
            found.append(account_id)
    return found


def undo_free_moves(
    facts: Facts, accounts: Iterable[str], plan: Plan, deadline: Deadline | None = None
) -> Owners:
    """`plan` with every voluntary move among `accounts` undone where putting the account
    back (with its family's moved members) breaks no rule and costs nothing: a move that
    buys nothing is not made. The accounts whose owners should keep them most (renewal
    soonest, then ARR largest: `Facts.keep_priority`) are tried first, until the deadline."""
    view = PlanView(facts, plan)
    moved = voluntary_moves_in(facts, accounts, plan)
    movable = set(moved)
    for account_id in sorted(moved, key=lambda a: (-facts.keep_priority(a), a)):
        if deadline is not None and deadline.expired():
            break
        if view.owners.get(account_id) == facts.accounts[account_id].current_csm:
            continue  # put back already, with its family
        root = view.family_of.get(account_id)
        group = (
            [m for m in facts.families[root] if m in movable] if root is not None else [account_id]
        )
        result = view.revert(group)
        if not result.broken and result.objective <= 1e-9:
            view.apply(group)
    return view.owners
