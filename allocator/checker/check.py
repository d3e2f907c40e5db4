"""The independent checker: every hard rule re-checked, every objective term recomputed.

It reads only the instance and a plan (account -> CSM or None), through its own reading
of the instance (`reading.py`), and imports no solver code. It is the one judge: the
command line, the tests, the benchmarks and the solve itself go through it, and outside
the solver the objective is computed only here (a block's share included: the search
compares plans with `Checker.block_objective`).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from allocator.checker.reading import (
    FORBIDDEN,
    HUNDREDTHS,
    LEAVING,
    REGION,
    SEGMENT,
    SPECIALIST,
    VERTICAL,
    Reading,
)
from allocator.schema.instance import Instance
from allocator.schema.plan import Plan
from allocator.schema.solution import Violation

TERMS = ("balance", "moves", "renewal_bunching", "pair_cost", "specialization")
"""The objective's terms, as reports and weights name them."""


@dataclass(frozen=True)
class Breach:
    """One broken rule: `scope` tells apart the limits one subject has (a segment's cap,
    a renewal window), so that a change can be judged by which limits it newly breaks."""

    rule: str
    subject: str
    message: str
    scope: str = ""

    def violation(self) -> Violation:
        return Violation(rule=self.rule, subject=self.subject, message=self.message)


@dataclass
class Terms:
    """Objective terms in whole units: hundredths of effort and of cost, counts."""

    balance: int = 0  # hundredths of effort outside target +/- tolerance
    moves: int = 0  # accounts whose owner changes
    forced_moves: int = 0  # ... whose current owner may not keep them
    bunching: int = 0  # renewals over the window limit (penalised form)
    pair_cost: int = 0  # hundredths
    specialization: int = 0  # specialised accounts with a non-specialist

    def add(self, other: Terms, sign: int = 1) -> None:
        self.balance += sign * other.balance
        self.moves += sign * other.moves
        self.forced_moves += sign * other.forced_moves
        self.bunching += sign * other.bunching
        self.pair_cost += sign * other.pair_cost
        self.specialization += sign * other.specialization


@dataclass
class CheckReport:
    violations: list[Violation] = field(default_factory=list)
    terms: dict[str, float] = field(default_factory=dict)
    objective: float = 0.0
    moves: int = 0
    forced_moves: int = 0

    @property
    def feasible(self) -> bool:
        return not self.violations


class Checker:
    """The checker for one instance at one plan date: check whole plans, score blocks."""

    def __init__(self, instance: Instance, effective_date: dt.date):
        self.reading = Reading(instance, effective_date)
        policy = instance.policy
        self.weights = {t: float(getattr(policy.weights, t)) for t in TERMS}
        self.move_units = round(policy.continuity.cost_per_move * HUNDREDTHS)

    # --- the objective -----------------------------------------------------------------
    def natural(self, terms: Terms) -> dict[str, float]:
        """Each term in its natural unit, as reports show it."""
        return {
            "balance": terms.balance / HUNDREDTHS,
            "moves": self.move_units * terms.moves / HUNDREDTHS,
            "renewal_bunching": float(terms.bunching),
            "pair_cost": terms.pair_cost / HUNDREDTHS,
            "specialization": float(terms.specialization),
        }

    def weighted(self, natural: dict[str, float]) -> dict[str, float]:
        return {t: self.weights[t] * natural[t] for t in TERMS}

    def objective(self, terms: Terms) -> float:
        return sum(self.weighted(self.natural(terms)).values())

    @property
    def move_cost(self) -> float:
        """The objective of one move."""
        return self.weights["moves"] * self.move_units / HUNDREDTHS

    def account_terms(self, account_id: str, owner: str | None) -> Terms:
        """What one account adds on its own: its move, its pair's cost, and a specialised
        account with a CSM outside its vertical (when specialisation is a preference)."""
        reading = self.reading
        account = reading.accounts[account_id]
        terms = Terms()
        if account.current_csm is not None and owner != account.current_csm:
            terms.moves = 1
            terms.forced_moves = int(not reading.current_may_keep(account_id))
        if owner is None or owner not in reading.csms:
            return terms
        terms.pair_cost = reading.pair_cost.get(account_id, {}).get(owner, 0)
        spec = reading.policy.specialization
        terms.specialization = int(
            not spec.hard
            and account.vertical in spec.verticals
            and account.vertical not in reading.csms[owner].verticals
        )
        return terms

    def owner_cost(self, account_id: str, csm_id: str) -> float:
        """The objective an owner adds on its own (`account_terms`, weighted)."""
        return self.objective(self.account_terms(account_id, csm_id))

    def book_terms(self, csm_id: str, book: Iterable[str]) -> Terms:
        """What one CSM's book adds: its balance excess and its renewal bunching."""
        reading = self.reading
        terms = Terms()
        target = reading.target.get(csm_id)
        spread = reading.policy.renewal_spread
        counted = spread.max_per_window is not None and not spread.hard
        load = 0
        windows: Counter[str] = Counter()
        for account_id in book:
            load += reading.effort(account_id, csm_id)
            if counted:
                windows[reading.window(account_id)] += 1
        if target is not None:
            terms.balance = max(0, abs(load - target) - reading.tolerance(csm_id))
        if counted and spread.max_per_window is not None:
            terms.bunching = sum(max(0, n - spread.max_per_window) for n in windows.values())
        return terms

    def terms_of(self, owners: Plan, accounts: Iterable[str], csms: Iterable[str]) -> Terms:
        """The terms of `accounts` and of the books `csms` hold among them."""
        total = Terms()
        books: dict[str, list[str]] = defaultdict(list)
        for account_id in accounts:
            owner = owners.get(account_id)
            total.add(self.account_terms(account_id, owner))
            if owner is not None and not self.reading.pooled(account_id):
                books[owner].append(account_id)
        for csm_id in csms:
            total.add(self.book_terms(csm_id, books.get(csm_id, [])))
        return total

    def block_objective(self, owners: Plan, accounts: Iterable[str], csms: Iterable[str]) -> float:
        """The weighted objective of one block (or any accounts and the CSMs holding
        them): the blocks' values and the pooled accounts' moves add up to the plan's."""
        return self.objective(self.terms_of(owners, accounts, csms))

    # --- hard rules ----------------------------------------------------------------------
    def account_breaches(self, account_id: str, owner: str | None) -> list[Breach]:
        """one_owner, pooled_segments, eligibility, locked_accounts and renewal_freeze for
        one account's owner."""
        reading = self.reading
        account = reading.accounts[account_id]
        segment = reading.segment[account_id]
        found: list[Breach] = []

        def breach(rule: str, message: str) -> None:
            found.append(Breach(rule, account_id, message))

        if reading.pooled(account_id):
            if owner is not None:
                breach("pooled_segments", f"segment {segment} is pooled but owner is {owner}")
            return found
        if owner is None:
            breach("one_owner", "no owner")
            return found
        if owner not in reading.csms:
            breach("one_owner", f"owner {owner!r} is not a CSM of the instance")
            return found
        csm = reading.csms[owner]
        words = {
            LEAVING: f"{owner} is leaving and takes no accounts",
            SEGMENT: f"{owner} does not serve segment {segment}",
            VERTICAL: f"{owner} specialises in {', '.join(csm.verticals)}, not {account.vertical}",
            SPECIALIST: f"{account.vertical} accounts need a {account.vertical} specialist; "
            f"{owner} is not one",
            REGION: f"{owner} does not cover region {account.region}",
            FORBIDDEN: f"pair ({account_id}, {owner}) is forbidden",
        }
        for barrier in reading.barriers(account_id, owner):
            breach("eligibility", words[barrier])
        if account.locked and owner != account.current_csm:
            breach("locked_accounts", f"locked to {account.current_csm}, given to {owner}")
        freeze = reading.policy.continuity.freeze_days
        days = reading.renewal_days(account_id)
        if (
            freeze > 0
            and 0 <= days <= freeze
            and owner != account.current_csm
            and reading.current_may_keep(account_id)
        ):
            breach(
                "renewal_freeze",
                f"renews in {days} days (freeze {freeze}); moved from "
                f"{account.current_csm} to {owner}",
            )
        return found

    def book_breaches(self, csm_id: str, book: Iterable[str]) -> list[Breach]:
        """account_caps, effort_capacity, hard renewal_spread, min_book_arr and the hard
        balance band for one CSM's book."""
        reading = self.reading
        book = list(book)
        found: list[Breach] = []
        per_segment = Counter(reading.segment[a] for a in book)
        for segment, count in sorted(per_segment.items(), key=lambda kv: str(kv[0])):
            cap = None if segment is None else reading.cap(csm_id, segment)
            if cap is not None and count > cap:
                found.append(
                    Breach(
                        "account_caps",
                        csm_id,
                        f"{count} {segment} accounts, cap {cap}",
                        scope=str(segment),
                    )
                )
        load = sum(reading.effort(a, csm_id) for a in book)
        capacity = reading.capacity[csm_id]
        if load > capacity:
            found.append(
                Breach(
                    "effort_capacity",
                    csm_id,
                    f"effort {load / HUNDREDTHS:.2f} over capacity {capacity / HUNDREDTHS:.2f} "
                    f"({load / capacity:.1%} of capacity)"
                    if capacity > 0
                    else f"effort {load / HUNDREDTHS:.2f} over capacity 0",
                )
            )
        spread = reading.policy.renewal_spread
        if spread.hard and spread.max_per_window is not None:
            windows = Counter(reading.window(a) for a in book)
            for window, count in sorted(windows.items()):
                if count > spread.max_per_window:
                    found.append(
                        Breach(
                            "renewal_spread",
                            csm_id,
                            f"{count} renewals in {window}, max {spread.max_per_window}",
                            scope=window,
                        )
                    )
        if not reading.csms[csm_id].leaving:
            minimum = reading.min_book_arr(csm_id)
            arr = sum(round(reading.accounts[a].arr) for a in book)
            if minimum is not None and arr < minimum:
                found.append(
                    Breach(
                        "min_book_arr",
                        csm_id,
                        f"book ARR {arr:,} below {minimum:,} (cost/ARR target)",
                    )
                )
        slack = reading.band(csm_id)
        if slack is not None:
            target = reading.target[csm_id]
            if abs(load - target) > slack:
                found.append(
                    Breach(
                        "balance",
                        csm_id,
                        f"effort {load / HUNDREDTHS:.2f} "
                        f"outside {target / HUNDREDTHS:.2f} ± "
                        f"{slack / HUNDREDTHS:.2f}",
                    )
                )
        return found

    def family_breaches(self, owners: Plan, accounts: Iterable[str]) -> list[Breach]:
        """families_together: each of `accounts` with a parent (neither pooled) shares
        its parent's owner."""
        reading = self.reading
        found = []
        for account_id in accounts:
            parent = reading.accounts[account_id].parent_id
            if parent is None or parent not in reading.accounts:
                continue
            if reading.pooled(account_id) or reading.pooled(parent):
                continue
            if owners.get(account_id) != owners.get(parent):
                found.append(
                    Breach(
                        "families_together",
                        account_id,
                        f"owner {owners.get(account_id)} but parent {parent} has "
                        f"{owners.get(parent)}",
                    )
                )
        return found

    def block_violations(
        self, owners: Plan, accounts: Iterable[str], csms: Iterable[str]
    ) -> list[Violation]:
        """The per-CSM rules for `csms`, whose books hold only some of `accounts`: a quick
        check of one block of a plan built to respect the per-account rules."""
        books: dict[str, list[str]] = {c: [] for c in csms}
        for account_id in accounts:
            owner = owners.get(account_id)
            if owner in books:
                books[owner].append(account_id)
        return [
            b.violation()
            for csm_id, book in sorted(books.items())
            for b in self.book_breaches(csm_id, book)
        ]

    # --- the whole plan -----------------------------------------------------------------
    def check(self, owners: Plan) -> CheckReport:
        """Violations of every hard rule, and every objective term, for the plan."""
        reading = self.reading
        report = CheckReport()
        breaches: list[Breach] = [
            Breach("one_owner", a, "plan names an account the instance does not have")
            for a in owners
            if a not in reading.accounts
        ]
        books: dict[str, list[str]] = defaultdict(list)
        for account_id in reading.accounts:
            if account_id not in owners:
                breaches.append(Breach("one_owner", account_id, "account missing from the plan"))
                continue
            owner = owners[account_id]
            breaches += self.account_breaches(account_id, owner)
            if owner in reading.csms and not reading.pooled(account_id):
                books[owner].append(account_id)
        for csm_id in sorted(
            set(books) | {c for c, csm in reading.csms.items() if not csm.leaving}
        ):
            breaches += self.book_breaches(csm_id, books.get(csm_id, []))
        breaches += self.family_breaches(owners, reading.accounts)
        terms = self.terms_of(owners, reading.accounts, reading.csms)
        cap = reading.policy.continuity.max_moves
        voluntary = terms.moves - terms.forced_moves
        if cap is not None and voluntary > cap:
            breaches.append(Breach("move_cap", "plan", f"{voluntary} voluntary moves, cap {cap}"))
        report.violations = [b.violation() for b in breaches]
        report.terms = self.natural(terms)
        report.objective = self.objective(terms)
        report.moves, report.forced_moves = terms.moves, terms.forced_moves
        return report


def check(instance: Instance, owners: Plan, effective_date: dt.date) -> CheckReport:
    """Violations of every hard rule, and every objective term, for the plan `owners`."""
    return Checker(instance, effective_date).check(owners)
