"""The least one CSM's own share of the objective can be, from its current book alone.

A CSM's own share is the moves of its current accounts that leave it, its balance excess,
and its renewal bunching. Whatever else it takes in, a plan in which `k` of its current
accounts leave it has, for that CSM:

- at least `csm_removals` leavers (caps, the band's top, hard renewal windows);
- effort at least its kept book minus the `k` largest accounts of it, so a balance excess
  of at least that minus target plus tolerance;
- bunching at least the kept book's excess over the window limit minus `k` (one leaver
  lowers one window's count by one).

The floor is the least, over `k`, of the three weighted together. Unlike the flow LP's
convex curve of moves against shed effort, it counts whole moves, so it can prove more;
the flow LP takes each floor as a cut (`flow.py`).
"""

from __future__ import annotations

from collections import Counter

from allocator.bounds.quick import csm_removals
from allocator.facts import UNITS, Facts


def book_floor(facts: Facts, csm_id: str, held: list[str], move_cost: float) -> float:
    """The floor (natural units) of `csm_id`'s moves, balance and bunching terms, where
    `held` are the accounts it owns today and may keep."""
    weights = facts.weights
    efforts = sorted((facts.effort(a, csm_id) for a in held), reverse=True)
    target = facts.balance_target.get(csm_id)
    excess = 0 if target is None else sum(efforts) - target - facts.balance_tolerance(csm_id)
    limit = facts.renewal_limit
    bunched = 0
    if limit is not None and facts.bunching_penalised:
        windows = Counter(facts.window_of(a) for a in held)
        bunched = sum(max(0, n - limit) for n in windows.values())
    fewest = csm_removals(facts, csm_id, held)
    best: float | None = None
    shed = 0
    for leavers in range(len(efforts) + 1):
        if leavers:
            shed += efforts[leavers - 1]
        if leavers < fewest:
            continue
        value = (
            move_cost * leavers
            + weights["balance"] * max(0, excess - shed) / UNITS
            + weights["renewal_bunching"] * max(0, bunched - leavers)
        )
        best = value if best is None else min(best, value)
    return best or 0.0
