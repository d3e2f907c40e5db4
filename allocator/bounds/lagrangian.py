"""A Lagrangian bound for blocks whose books hold a few large accounts.

Where a book holds four to six accounts of 8 to 15 effort units against a free tolerance of
about one unit (bench-L's Global blocks), the LP relaxation balances every book exactly with
split accounts and its bound is weak (benchmarks/NOTES.md, "Fourth round"). Here the
one-owner rule is relaxed with a price per
account, and each CSM then picks its own best book exactly: a dynamic programme over the
block's effort classes (efforts take 12 to 18 distinct values per block), with the account
cap and the effort ceiling kept. Renewal bunching (never negative), families, the band's
floor and minimum book ARR are left out, which only lowers the bound, so every value of the
prices gives a proven bound; subgradient steps raise it.

Loads are counted on a grid of `grid` hundredths: an account of effort e fills e // grid
cells and leaves up to `grid - 1` hundredths unseen, so a book of k accounts may weigh up to
k x the largest remainder more than its cells say; the balance cost taken for a cell is the
least over that whole range, which keeps the bound valid.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from allocator.deadline import Deadline
from allocator.facts import UNITS, Block, Facts

INF = 1e18
GRIDS = (50, 40, 25, 20, 10, 8, 5, 4, 2, 1)


@dataclass
class _Book:
    """One CSM's subproblem: the accounts it may take, grouped by effort class."""

    cap: int  # most accounts it may hold
    cells: int  # effort ceiling, in grid cells
    balance: np.ndarray  # least balance cost for (accounts, cells)
    classes: list[tuple[int, np.ndarray, np.ndarray]]  # (cells, account index, base cost)

    def work(self) -> float:
        takes = sum(min(len(ids), self.cap) for _, ids, _ in self.classes)
        return float((self.cap + 1) * (self.cells + 1) * max(takes, 1))

    def best(self, price: np.ndarray) -> tuple[float, list[np.ndarray]]:
        """The cheapest book at these prices, and the accounts it takes."""
        table = np.full((self.cap + 1, self.cells + 1), INF)
        table[0, 0] = 0.0
        layers = []
        for cells, ids, base in self.classes:
            reduced = base - price[ids]
            order = np.argsort(reduced, kind="stable")
            most = min(len(ids), self.cap, self.cells // cells if cells else self.cap)
            prefix = np.concatenate(([0.0], np.cumsum(reduced[order][:most])))
            nxt = table.copy()
            for m in range(1, most + 1):
                shift = m * cells
                np.minimum(
                    nxt[m:, shift:],
                    table[: self.cap + 1 - m, : self.cells + 1 - shift] + prefix[m],
                    out=nxt[m:, shift:],
                )
            layers.append((cells, ids[order], prefix, most, table))
            table = nxt
        total = table + self.balance
        count, load = np.unravel_index(int(np.argmin(total)), total.shape)
        value = float(total[count, load])
        taken = []
        for cells, ids, prefix, most, before in reversed(layers):
            choice, lowest = 0, INF
            for m in range(0, most + 1):
                if count - m < 0 or load - m * cells < 0:
                    break
                candidate = before[count - m, load - m * cells] + prefix[m]
                if candidate < lowest - 1e-12:
                    choice, lowest = m, candidate
            taken.append(ids[:choice])
            count, load = count - choice, load - choice * cells
        return value, taken


def _segment_cap(facts: Facts, segments: set[str | None], csm_id: str, eligible: int) -> int:
    """Most accounts a CSM may hold in the block: its cap when the block is one segment."""
    cap = facts.account_cap(csm_id, str(next(iter(segments)))) if len(segments) == 1 else None
    return eligible if cap is None else min(cap, eligible)


def _grid(efforts: list[int], cap: int, tolerance: int) -> int:
    """The coarsest grid whose unseen remainders, over a full book, stay within a quarter
    of the free tolerance."""
    for grid in GRIDS:
        remainder = max((e % grid for e in efforts), default=0)
        if cap * remainder <= tolerance // 4:
            return grid
    return 1


def _books(facts: Facts, block: Block) -> list[_Book]:
    index = {a: i for i, a in enumerate(block.accounts)}
    segments = {facts.segment_of[a] for a in block.accounts}
    by_csm: dict[str, list[tuple[int, int, float]]] = {c: [] for c in block.csms}
    for account_id in block.accounts:
        for csm_id in facts.eligibility.allowed[account_id]:
            if csm_id in by_csm:
                by_csm[csm_id].append(
                    (
                        index[account_id],
                        facts.effort(account_id, csm_id),
                        facts.checker.owner_cost(account_id, csm_id),
                    )
                )
    books = []
    for csm_id in block.csms:
        options = by_csm[csm_id]
        cap = _segment_cap(facts, segments, csm_id, len(options))
        target = facts.balance_target.get(csm_id)
        free = facts.balance_tolerance(csm_id)
        grid = _grid([e for _, e, _ in options], cap, free)
        remainder = max((e % grid for _, e, _ in options), default=0)
        cells = facts.effort_ceiling(csm_id) // grid
        low = np.arange(cells + 1)[None, :] * grid
        high = low + np.arange(cap + 1)[:, None] * remainder
        if target is None:
            balance = np.zeros((cap + 1, cells + 1))
        else:  # the least excess anywhere in [low, high]
            under = np.maximum(0, target - free - high)
            over = np.maximum(0, low - target - free)
            balance = facts.weights["balance"] * (under + over) / UNITS
        classes: dict[int, tuple[list[int], list[float]]] = {}
        for i, effort, cost in options:
            ids, costs = classes.setdefault(effort // grid, ([], []))
            ids.append(i)
            costs.append(cost)
        books.append(
            _Book(
                cap,
                cells,
                balance.astype(float),
                [
                    (c, np.array(ids), np.array(costs, dtype=float))
                    for c, (ids, costs) in sorted(classes.items())
                ],
            )
        )
    return books


def lagrangian_bound(
    facts: Facts, block: Block, upper: float, deadline: Deadline, work_limit: float
) -> float | None:
    """A proven lower bound on the block's objective, or None when the block is too big
    for this bound (more than `work_limit` cell updates a step) or has no CSM. `upper` is
    a plan's objective: it steers the step sizes and ends the search once the bound
    reaches it."""
    if not block.csms or not block.accounts:
        return None
    books = _books(facts, block)
    if sum(book.work() for book in books) > work_limit:
        return None
    price = np.zeros(len(block.accounts))
    best = -INF
    step, stalled = 1.0, 0
    while not deadline.expired():
        value = float(price.sum())
        held = np.zeros(len(block.accounts))
        for book in books:
            cost, taken = book.best(price)
            value += cost
            for ids in taken:
                held[ids] += 1
        if value > best + 1e-9:
            best, stalled = value, 0
        else:
            stalled += 1
            if stalled >= 4:
                step, stalled = step / 2, 0
        gradient = 1.0 - held
        norm = float(gradient @ gradient)
        if norm == 0 or best >= upper - 1e-9 or step < 1e-6:
            break
        price += step * max(upper - value, 1e-3) / norm * gradient
    if best == -INF:
        return None
    return best - 1e-6 * max(1.0, abs(best))  # floating-point sums: step back a hair
