"""Large-neighbourhood search for blocks too big for one CP-SAT model.

Each step frees every account held by a small group of CSMs that can take each other's
accounts, and re-solves just that group exactly with CP-SAT (one worker, a short limit),
starting from the current plan. Every rule but the global move cap lives inside a CSM's
book or an account, so a group's re-solve is exact for that group and a better group plan
is a better plan. Groups start from the CSMs furthest from their balance target; half
the time the rest of the group is the CSMs tied to it by moved accounts (so a move that
is no longer needed can be undone), otherwise random CSMs that share accounts with it.
A CSM's rank drops with each step from it that found nothing.

Measured on bench-M's 1,826-account block from the repaired constructive plan (601.3;
LP bound 385.4), objective after 10 / 20 / 30 s: groups of 6 with 2 s steps 472 / 425 /
397; groups of 4 with 0.5 s steps 421 / 401; the same with move ties 400 / 391 / 388.
Ranking down fruitless CSMs, from the balanced start on bench-L's blocks: 6,899 accounts
at 60 s 2,147 and 2,201 against 2,315 and 2,389 (two seeds); 1,285 accounts at 20 s 516
and 507 against 571 and 567; 17,863 accounts at 60 s 3,748 against 3,828.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass

from ortools.sat.python import cp_model

from allocator.facts.blocks import Block
from allocator.model.context import Plan, build_model
from allocator.facts.derived import Facts
from allocator.bounds.quick import voluntary_moves
from allocator.model.rules.continuity import minimise_voluntary_moves


@dataclass
class LnsStats:
    steps: int = 0
    improved: int = 0
    seconds: float = 0.0
    interrupted: bool = False


def _neighbours(facts: Facts, block: Block) -> dict[str, list[str]]:
    """CSM -> CSMs that could take at least one of the same accounts."""
    linked: dict[str, set[str]] = {c: set() for c in block.csms}
    seen: set[tuple[str, ...]] = set()
    for account_id in block.accounts:
        group = tuple(facts.eligibility.allowed[account_id])
        if group in seen:
            continue
        seen.add(group)
        for csm_id in group:
            linked[csm_id].update(group)
    return {c: sorted(others - {c}) for c, others in linked.items()}


def _books(plan: Plan, block: Block) -> dict[str, list[str]]:
    books: dict[str, list[str]] = {c: [] for c in block.csms}
    for account_id in block.accounts:
        owner = plan.get(account_id)
        if owner in books:
            books[owner].append(account_id)
    return books


def _distance(facts: Facts, books: dict[str, list[str]], csm_id: str) -> int:
    target = facts.balance_target.get(csm_id)
    if target is None:
        return 0
    load = sum(facts.effort(a, csm_id) for a in books[csm_id])
    return abs(load - target)


def _moved(facts: Facts, former: dict[str, list[str]], plan: Plan,
           books: dict[str, list[str]], csm_id: str) -> int:
    """Accounts `csm_id` holds but did not own, plus accounts it owned that went elsewhere."""
    gained = sum(1 for a in books[csm_id] if facts.accounts[a].current_csm != csm_id)
    lost = sum(1 for a in former.get(csm_id, []) if plan.get(a) != csm_id)
    return gained + lost


def _former(facts: Facts, block: Block) -> dict[str, list[str]]:
    """CSM -> the block's accounts it owns today."""
    former: dict[str, list[str]] = {}
    for account_id in block.accounts:
        owner = facts.accounts[account_id].current_csm
        if owner is not None:
            former.setdefault(owner, []).append(account_id)
    return former


def _move_ties(facts: Facts, former: dict[str, list[str]], plan: Plan,
               books: dict[str, list[str]], csm_id: str, allowed: set[str]) -> list[str]:
    """CSMs linked to `csm_id` by moved accounts, most links first."""
    links: dict[str, int] = {}
    for account_id in books[csm_id]:
        before = facts.accounts[account_id].current_csm
        if before is not None and before != csm_id and before in allowed:
            links[before] = links.get(before, 0) + 1
    for account_id in former.get(csm_id, []):
        now = plan.get(account_id)
        if now is not None and now != csm_id and now in allowed:
            links[now] = links.get(now, 0) + 1
    return sorted(links, key=lambda c: (-links[c], c))


def improve(facts: Facts, block: Block, plan: Plan, time_limit: float, seed: int,
            group_size: int = 4, step_limit: float = 0.5,
            stop_when: Callable[[], bool] | None = None, capped: bool = False,
            moves_only: bool = False,
            on_step: Callable[[LnsStats], None] | None = None,
            adopt: Callable[[Plan], Plan | None] | None = None) -> LnsStats:
    """Improve `plan` (in place) for `block` until `time_limit` seconds have passed or
    `stop_when()` (asked before each step) is true. `capped`: the block's voluntary moves
    are capped, so a step may not make more voluntary moves than its group has now.
    `moves_only`: minimise moves alone (the fewest-moves pass); groups then always start
    from CSMs holding or missing moved accounts, tied to the CSMs on the other side.
    `on_step(stats)` is called after every step (progress reports); `adopt(plan)`, before
    every step, may return a better plan for the block to go on from (the companion's)."""
    rng = random.Random(seed)
    neighbours = _neighbours(facts, block)
    started = time.monotonic()
    stats = LnsStats()
    family_of = {a: root for root, members in facts.families.items() for a in members}
    former = _former(facts, block)
    failed = dict.fromkeys(block.csms, 0)
    while time.monotonic() - started < time_limit:
        if stop_when is not None and stop_when():
            break
        better = adopt(plan) if adopt is not None else None
        if better is not None:
            plan.update(better)
            failed = dict.fromkeys(block.csms, 0)
        books = _books(plan, block)
        if moves_only:
            ranked = sorted(block.csms, key=lambda c: (-_moved(facts, former, plan, books, c), c))
        else:
            # A CSM whose groups found nothing ranks lower each time, so the search does
            # not keep returning to books no group of neighbours can mend.
            ranked = sorted(block.csms, key=lambda c: (
                -_distance(facts, books, c) / (1 + failed[c]), c))
        # Mostly the worst CSMs, sometimes any: keeps the search from circling one spot.
        first = ranked[min(int(rng.expovariate(0.3)), len(ranked) - 1)]
        group = [first]
        pool = list(neighbours[first])
        rng.shuffle(pool)
        if moves_only or rng.random() < 0.5:
            # CSMs that hold this CSM's former accounts or gave it theirs come first: the
            # group can then undo moves that are no longer needed.
            ties = _move_ties(facts, former, plan, books, first, set(pool))
            tied = set(ties)
            pool = ties + [c for c in pool if c not in tied]
        for other in pool:
            if len(group) >= group_size:
                break
            group.append(other)
        members = set(group)
        held = [a for c in group for a in books[c]]
        # A family with members outside the group stays put (its owner's book still counts).
        held_set = set(held)
        pinned = {a: str(plan[a]) for a in held if a in family_of
                  and not all(m in held_set for m in facts.families[family_of[a]])}
        sub = Block(accounts=tuple(sorted(held)), csms=tuple(sorted(members)))
        cap = voluntary_moves(facts, sub.accounts, plan) if capped else None
        built = build_model(facts, block=sub, force=pinned, move_cap=cap,
                            terms=() if moves_only else None)
        if moves_only:
            minimise_voluntary_moves(built.ctx)
        built.ctx.hint(plan)
        solver = cp_model.CpSolver()
        remaining = time_limit - (time.monotonic() - started)
        solver.parameters.max_time_in_seconds = max(0.05, min(step_limit, remaining))
        solver.parameters.num_workers = 1
        solver.parameters.catch_sigint_signal = False  # let Ctrl-C reach Python (see cpsat_run)
        solver.parameters.random_seed = seed + stats.steps
        try:
            status = solver.solve(built.ctx.model)
        except KeyboardInterrupt:  # Ctrl-C: keep the plan as it stands
            stats.interrupted = True
            break
        stats.steps += 1
        if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            changed = False
            for (account_id, csm_id), var in built.ctx.x.items():
                if solver.boolean_value(var) and plan.get(account_id) != csm_id:
                    plan[account_id] = csm_id
                    changed = True
            stats.improved += int(changed)
            failed[first] = 0 if changed else failed[first] + 1
        if on_step is not None:
            on_step(stats)
    stats.seconds = time.monotonic() - started
    return stats
