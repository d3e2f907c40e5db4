"""A constructive plan: the rules-engine way (least-loaded eligible CSM with room).

Used twice: as the benchmark's greedy baseline, and (keeping current owners where they
fit) as the complete hint handed to CP-SAT.
"""

from __future__ import annotations

import heapq
from collections import defaultdict

from allocator.facts import Facts
from allocator.schema.plan import Owners


def greedy_plan(
    facts: Facts, keep_current: bool = True, most_constrained_first: bool = True
) -> Owners:
    """Account -> CSM (None for pooled accounts). Falls back to the least-loaded eligible
    CSM even without room, so the plan is complete but may break caps."""
    load: dict[str, int] = defaultdict(int)
    count: dict[tuple[str, str], int] = defaultdict(int)
    plan: Owners = {a.id: None for a in facts.instance.accounts}
    units = list(facts.units)  # sorted below: the facts keep their own order
    candidates = {}
    for unit in units:
        common = set(facts.eligibility.allowed[unit[0]])
        for other in unit[1:]:
            common &= set(facts.eligibility.allowed[other])
        candidates[unit[0]] = [c for c in facts.eligibility.allowed[unit[0]] if c in common]
    if most_constrained_first:
        units.sort(key=lambda u: (len(candidates[u[0]]), -sum(facts.default_effort(a) for a in u)))

    # Room ends at the top of the balance band, not only at capacity.
    ceiling = {c: facts.effort_ceiling(c) for c in facts.active_csms}

    def fits(csm_id: str, unit: list[str]) -> bool:
        if load[csm_id] + sum(facts.effort(a, csm_id) for a in unit) > ceiling[csm_id]:
            return False
        per_segment: dict[str, int] = defaultdict(int)
        for a in unit:
            per_segment[str(facts.segment_of[a])] += 1
        for seg, n in per_segment.items():
            cap = facts.account_cap(csm_id, seg)
            if cap is not None and count[(csm_id, seg)] + n > cap:
                return False
        return True

    def utilisation(csm_id: str) -> float:
        capacity = facts.capacity(csm_id)
        return load[csm_id] / capacity if capacity > 0 else float("inf")

    # One lazy heap of (utilisation, csm) per distinct candidate list: loads only grow, so a
    # stale entry is re-pushed with its current value when it surfaces.
    heaps: dict[tuple[str, ...], list[tuple[float, str]]] = {}

    def least_loaded_with_room(options: tuple[str, ...], unit: list[str]) -> str:
        heap = heaps.get(options)
        if heap is None:
            heap = [(utilisation(c), c) for c in options]
            heapq.heapify(heap)
            heaps[options] = heap
        seen: list[tuple[float, str]] = []
        chosen = None
        while heap:
            value, csm_id = heapq.heappop(heap)
            if value != utilisation(csm_id):
                heapq.heappush(heap, (utilisation(csm_id), csm_id))
                continue
            seen.append((value, csm_id))
            if fits(csm_id, unit):
                chosen = csm_id
                break
        for entry in seen:
            heapq.heappush(heap, entry)
        if chosen is None:  # nobody has room: least loaded anyway (the plan breaks a cap)
            chosen = min(options, key=lambda c: (utilisation(c), c))
        return chosen

    for unit in units:
        options = candidates[unit[0]]
        if not options:
            continue
        current = {facts.accounts[a].current_csm for a in unit}
        chosen = None
        if keep_current and len(current) == 1:
            owner = next(iter(current))
            if owner in options and fits(owner, unit):
                chosen = owner
        if chosen is None:
            chosen = least_loaded_with_room(tuple(options), unit)
        for a in unit:
            plan[a] = chosen
            load[chosen] += facts.effort(a, chosen)
            count[(chosen, str(facts.segment_of[a]))] += 1
    return plan
