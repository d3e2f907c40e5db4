"""A starting plan that is already close to balance, for the search to start from.

The constructive plan (`greedy.py`) keeps every current owner whose book has room up to
the top of the balance band, so a book 30% over its target stays there and the search has
to shed the excess a few accounts at a time. Here current owners keep accounts only up to
their balance target plus the free tolerance. An over-target book sheds its largest
accounts first (the fewest moves for the effort), and last the smallest account that
brings it under; among equals, an account in a renewal window over its limit. Books
over a cap shed their smallest accounts of that segment. The shed accounts
and those that must move go, most constrained and largest first, to the eligible CSM with
the most room under its target whose renewal window has room, if any. Families, and
accounts with one allowed CSM, keep the constructive plan's owner.

`solve` keeps, per block, whichever of the two starts is better (`better_start`); what each
gives on bench-L's blocks is in benchmarks/NOTES.md ("Fourth round").
"""

from __future__ import annotations

import heapq
from collections import Counter, defaultdict
from collections.abc import Callable

from allocator.facts import Block, Facts
from allocator.schema.plan import Owners, Plan
from allocator.search.repair import repair_books


def balanced_plan(facts: Facts, base: Plan) -> Owners:
    """A complete plan from `base` (the constructive plan): see the module docstring.
    Accounts with nowhere to go within the rules keep `base`'s owner."""
    plan = dict(base)
    fixed = _fixed_accounts(facts)
    load: Counter[str] = Counter()
    count: Counter[tuple[str, str]] = Counter()
    renewals: Counter[tuple[str, str]] = Counter()

    def place(account_id: str, csm_id: str) -> None:
        plan[account_id] = csm_id
        load[csm_id] += facts.effort(account_id, csm_id)
        count[(csm_id, str(facts.segment_of[account_id]))] += 1
        renewals[(csm_id, facts.window_of(account_id))] += 1

    kept: dict[str, list[str]] = defaultdict(list)
    to_place: list[str] = []
    for account_id in facts.named_accounts:
        owner = base.get(account_id)
        if account_id in fixed:
            if owner is not None:
                place(account_id, owner)
            continue
        current = facts.accounts[account_id].current_csm
        if (
            current is not None
            and current in facts.eligibility.allowed[account_id]
            and account_id not in facts.eligibility.forced_move
        ):
            kept[current].append(account_id)
        else:
            to_place.append(account_id)
    fixed_windows: dict[str, Counter[str]] = defaultdict(Counter)
    for (csm_id, window), n in renewals.items():
        fixed_windows[csm_id][window] += n
    limit = {c: _keep_limit(facts, c) for c in facts.active_csms}
    window_limit = facts.renewal_limit
    for csm_id in sorted(kept):
        book = kept[csm_id]
        if csm_id not in limit:
            to_place.extend(book)
            continue
        window_count = Counter(facts.window_of(a) for a in book) + fixed_windows[csm_id]

        def crowded(account_id: str, window_count: Counter[str] = window_count) -> bool:
            """In a renewal window over its limit: shedding it also cuts the bunching."""
            return (
                window_limit is not None
                and window_count[facts.window_of(account_id)] > window_limit
            )

        shed = _shed_to_limit(facts, csm_id, book, load[csm_id], limit[csm_id], crowded)
        gone = set(shed)
        shed += _shed_over_caps(facts, csm_id, [a for a in book if a not in gone], count)
        gone.update(shed)
        for account_id in book:
            if account_id not in gone:
                place(account_id, csm_id)
        to_place.extend(shed)
    _place_all(facts, plan, to_place, limit, load, count, renewals, place)
    return plan


def _fixed_accounts(facts: Facts) -> set[str]:
    """Accounts the balanced start leaves with the constructive plan's owner."""
    fixed = {a for members in facts.families.values() for a in members}
    fixed |= {a for a in facts.named_accounts if len(facts.eligibility.allowed[a]) == 1}
    return fixed


def _keep_limit(facts: Facts, csm_id: str) -> int:
    """Effort a CSM keeps from its current book: its target plus the free tolerance."""
    ceiling = facts.effort_ceiling(csm_id)
    target = facts.balance_target.get(csm_id)
    if target is None:
        return ceiling
    return min(ceiling, target + facts.balance_tolerance(csm_id))


def _shed_to_limit(
    facts: Facts,
    csm_id: str,
    book: list[str],
    fixed_load: int,
    limit: int,
    crowded: Callable[[str], bool],
) -> list[str]:
    """Accounts an over-limit book hands on: the largest while one more would still leave
    it over, then the smallest that brings it under; among equals, one whose renewal
    window is over its limit."""

    def effort(account_id: str) -> int:
        return facts.effort(account_id, csm_id)

    left = list(book)
    total = fixed_load + sum(effort(a) for a in left)
    shed: list[str] = []
    while left and total > limit:
        need = total - limit
        largest = max(left, key=lambda a: (effort(a), crowded(a), a))
        covering = [a for a in left if effort(a) >= need]
        chosen = (
            min(covering, key=lambda a: (effort(a), not crowded(a), a))
            if covering and total - effort(largest) <= limit
            else largest
        )
        left.remove(chosen)
        total -= effort(chosen)
        shed.append(chosen)
    return shed


def _shed_over_caps(
    facts: Facts, csm_id: str, book: list[str], count: Counter[tuple[str, str]]
) -> list[str]:
    """The smallest accounts of each segment over the CSM's account cap."""
    by_segment: dict[str, list[str]] = defaultdict(list)
    for account_id in book:
        by_segment[str(facts.segment_of[account_id])].append(account_id)
    shed: list[str] = []
    for segment, accounts in sorted(by_segment.items()):
        cap = facts.account_cap(csm_id, segment)
        if cap is None:
            continue
        room = max(0, cap - count[(csm_id, segment)])
        accounts.sort(key=lambda a: (facts.effort(a, csm_id), a))
        shed += accounts[: max(0, len(accounts) - room)]
    return shed


def _place_all(
    facts: Facts,
    plan: Owners,
    accounts: list[str],
    limit: dict[str, int],
    load: Counter[str],
    count: Counter[tuple[str, str]],
    renewals: Counter[tuple[str, str]],
    place: Callable[[str, str], None],
) -> None:
    """Each account, most constrained and largest first, to the allowed CSM with the most
    room under its keep limit that fits it, preferring one whose renewal window has room."""
    window_limit = facts.renewal_limit
    ceiling = {c: facts.effort_ceiling(c) for c in facts.active_csms}
    accounts = sorted(
        accounts, key=lambda a: (len(facts.eligibility.allowed[a]), -facts.default_effort(a), a)
    )
    # One lazy max-heap of room per distinct allowed list: room only shrinks, so a stale
    # entry is re-pushed with its current value when it surfaces.
    heaps: dict[tuple[str, ...], list[tuple[int, str]]] = {}

    def room(csm_id: str) -> int:
        return limit.get(csm_id, ceiling.get(csm_id, 0)) - load[csm_id]

    def fits(account_id: str, csm_id: str) -> bool:
        if load[csm_id] + facts.effort(account_id, csm_id) > ceiling.get(csm_id, 0):
            return False
        cap = facts.account_cap(csm_id, str(facts.segment_of[account_id]))
        return cap is None or count[(csm_id, str(facts.segment_of[account_id]))] < cap

    for account_id in accounts:
        options = tuple(facts.eligibility.allowed[account_id])
        if not options:
            continue
        heap = heaps.get(options)
        if heap is None:
            heap = [(-room(c), c) for c in options]
            heapq.heapify(heap)
            heaps[options] = heap
        window = facts.window_of(account_id)
        seen: list[tuple[int, str]] = []
        chosen = crowded = None
        while heap:
            value, csm_id = heapq.heappop(heap)
            if -value != room(csm_id):
                heapq.heappush(heap, (-room(csm_id), csm_id))
                continue
            seen.append((value, csm_id))
            if not fits(account_id, csm_id):
                continue
            if window_limit is not None and renewals[(csm_id, window)] >= window_limit:
                crowded = crowded or csm_id
                continue
            chosen = csm_id
            break
        for entry in seen:
            heapq.heappush(heap, entry)
        owner = chosen or crowded or plan.get(account_id)
        if owner is not None:
            place(account_id, owner)


def better_start(facts: Facts, blocks: list[Block], constructed: Plan) -> Owners:
    """Per block with current owners, the better of the (repaired) constructive plan and
    the balanced start from it: one that obeys the per-CSM rules first, then the lower
    objective."""
    balanced = repair_books(facts, balanced_plan(facts, constructed))
    plan = dict(constructed)
    for block in blocks:
        if not any(facts.accounts[a].current_csm is not None for a in block.accounts):
            continue  # nothing kept: a new book (e.g. GAP) keeps the constructive plan
        accounts, csms = list(block.accounts), list(block.csms)
        options = []
        for candidate in (constructed, balanced):
            broken = bool(facts.checker.block_violations(candidate, accounts, csms))
            options.append((broken, block.objective(facts, candidate)))
        if options[1] < options[0]:
            for account_id in block.accounts:
                plan[account_id] = balanced[account_id]
    return plan
