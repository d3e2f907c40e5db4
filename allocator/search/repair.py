"""Repairing a constructed plan's books: over-full CSMs hand accounts on, CSMs under the
balance band's floor take accounts from the fullest eligible CSMs.

Keeping current owners where they fit leaves new hires far below the band and a few CSMs
over a cap, which the neighbourhood search mends only slowly. These single-account moves
fix most of it in a second, before any search. Moves prefer accounts that change owner
anyway (new, or leaving a leaver), then accounts of the CSMs furthest above target. A move
never breaks a rule the two CSMs' books obeyed (caps, hard renewal windows, the band's
floor, minimum book ARR). Families and locked or frozen accounts are never moved here
(their units are left to the search).
"""

from __future__ import annotations

import math
from collections import defaultdict

from allocator.facts import Facts
from allocator.schema.plan import Owners, Plan


class _Books:
    """Loads, per-segment counts and band limits of the plan being repaired."""

    def __init__(self, facts: Facts, plan: Owners):
        self.facts = facts
        self.plan = plan
        self.load: dict[str, int] = defaultdict(int)
        self.arr: dict[str, int] = defaultdict(int)
        self.count: dict[tuple[str, str], int] = defaultdict(int)
        self.renewals: dict[tuple[str, str], int] = defaultdict(int)
        self.book: dict[str, set[str]] = defaultdict(set)
        for account_id in facts.named_accounts:
            owner = plan.get(account_id)
            if owner is not None:
                self._add(account_id, owner)
        self.floor: dict[str, float] = {}
        self.ceiling: dict[str, int] = {}
        for csm_id in facts.active_csms:
            slack = facts.band_slack(csm_id)
            self.ceiling[csm_id] = facts.effort_ceiling(csm_id)
            self.floor[csm_id] = (
                -math.inf if slack is None else facts.balance_target[csm_id] - slack
            )

    def _add(self, account_id: str, csm_id: str, sign: int = 1) -> None:
        self.load[csm_id] += sign * self.facts.effort(account_id, csm_id)
        self.arr[csm_id] += sign * round(self.facts.accounts[account_id].arr)
        self.count[(csm_id, str(self.facts.segment_of[account_id]))] += sign
        self.renewals[(csm_id, self.facts.window_of(account_id))] += sign
        if sign > 0:
            self.book[csm_id].add(account_id)
        else:
            self.book[csm_id].discard(account_id)

    def _remove(self, account_id: str, csm_id: str) -> None:
        self._add(account_id, csm_id, sign=-1)

    def move(self, account_id: str, to: str) -> None:
        owner = self.plan[account_id]
        if owner is not None:
            self._remove(account_id, owner)
        self._add(account_id, to)
        self.plan[account_id] = to

    def over_segments(self, csm_id: str) -> list[str]:
        return [seg for seg, cap in self._caps(csm_id) if self.count[(csm_id, seg)] > cap]

    def _caps(self, csm_id: str) -> list[tuple[str, int]]:
        caps = []
        for seg in self.facts.csms[csm_id].segments:
            cap = self.facts.account_cap(csm_id, seg)
            if cap is not None:
                caps.append((seg, cap))
        return caps

    def fits(self, account_id: str, csm_id: str) -> bool:
        """Taking the account breaks none of the CSM's caps (effort, accounts, renewals)."""
        if self.load[csm_id] + self.facts.effort(account_id, csm_id) > self.ceiling[csm_id]:
            return False
        segment = str(self.facts.segment_of[account_id])
        cap = self.facts.account_cap(csm_id, segment)
        if cap is not None and self.count[(csm_id, segment)] >= cap:
            return False
        limit = self.facts.renewal_limit
        return not (
            self.facts.renewal_limit_hard
            and limit is not None
            and self.renewals[(csm_id, self.facts.window_of(account_id))] >= limit
        )

    def can_spare(self, account_id: str, csm_id: str) -> bool:
        """Giving the account up leaves the CSM above the band's floor and minimum ARR."""
        if self.load[csm_id] - self.facts.effort(account_id, csm_id) < self.floor[csm_id]:
            return False
        minimum = self.facts.min_book_arr(csm_id)
        return (
            minimum is None
            or self.arr[csm_id] - round(self.facts.accounts[account_id].arr) >= minimum
        )

    def surplus(self, csm_id: str) -> int:
        return self.load[csm_id] - self.facts.balance_target.get(csm_id, self.load[csm_id])


def repair_books(facts: Facts, start: Plan, csms: list[str] | None = None) -> Owners:
    """`start` with single accounts moved until no CSM in `csms` (default: all) is over its
    effort ceiling or an account cap, or below the band's floor, where such moves exist."""
    plan = dict(start)
    books = _Books(facts, plan)
    scope = list(csms) if csms is not None else list(facts.active_csms)
    movable = _movable(facts)
    movable_set = set(movable)
    for csm_id in sorted(scope):  # over-full: hand on, cheapest first
        while books.load[csm_id] > books.ceiling[csm_id] or books.over_segments(csm_id):
            if _hand_on(facts, books, csm_id, movable_set) is None:
                break
    # Under the floor: take from the CSMs with most surplus that can spare the account.
    by_options: dict[tuple[str, ...], list[str]] = defaultdict(list)
    for account_id in movable:
        by_options[tuple(facts.eligibility.allowed[account_id])].append(account_id)
    options_of: dict[str, list[tuple[str, ...]]] = defaultdict(list)
    for options in by_options:
        for csm_id in options:
            options_of[csm_id].append(options)
    short = sorted(
        (c for c in scope if books.load[c] < books.floor[c]),
        key=lambda c: (books.load[c] - books.floor[c], c),
    )
    for csm_id in short:
        offers = [
            a
            for options in options_of[csm_id]
            for a in by_options[options]
            if plan.get(a) not in (None, csm_id)
        ]
        offers.sort(key=lambda a: (_keeps_owner(facts, plan, a), -books.surplus(str(plan[a])), a))
        for account_id in offers:
            if books.load[csm_id] >= books.floor[csm_id]:
                break
            owner = str(plan[account_id])
            if books.can_spare(account_id, owner) and books.fits(account_id, csm_id):
                books.move(account_id, csm_id)
    return plan


def _movable(facts: Facts) -> list[str]:
    """Accounts that move alone and have a choice of CSM."""
    in_family = {a for members in facts.families.values() for a in members}
    return [
        a
        for a in facts.named_accounts
        if a not in in_family and len(facts.eligibility.allowed[a]) > 1
    ]


def _keeps_owner(facts: Facts, plan: Plan, account_id: str) -> bool:
    return plan.get(account_id) == facts.accounts[account_id].current_csm


def _hand_on(facts: Facts, books: _Books, csm_id: str, movable: set[str]) -> str | None:
    """Move one account off an over-full CSM (from an over-cap segment when only a cap is
    broken) to the least-utilised eligible CSM with room."""
    over_load = books.load[csm_id] > books.ceiling[csm_id]
    full = set(books.over_segments(csm_id))
    candidates = sorted(
        (
            a
            for a in books.book[csm_id]
            if a in movable
            and (over_load or str(facts.segment_of[a]) in full)
            and books.can_spare(a, csm_id)
        ),
        key=lambda a: (_keeps_owner(facts, books.plan, a), -facts.effort(a, csm_id), a),
    )
    for account_id in candidates:
        room = [
            c
            for c in facts.eligibility.allowed[account_id]
            if c != csm_id and c in books.ceiling and books.fits(account_id, c)
        ]
        if room:
            best = min(room, key=lambda c: (books.load[c] / max(1, facts.capacity(c)), c))
            books.move(account_id, best)
            return best
    return None
