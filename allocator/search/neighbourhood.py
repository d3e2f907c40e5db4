"""Large-neighbourhood search for blocks too big for one CP-SAT model.

Each step frees every account held by a small group of CSMs that can take each other's
accounts, and re-solves just that group exactly with CP-SAT (one worker, a short limit),
starting from the current plan. Every rule but the global move cap lives inside a CSM's
book or an account, so a group's re-solve is exact for that group and a better group plan
is a better plan. Groups start from the CSMs furthest from their balance target (in a
random order where balance is not scored); half the time the rest of the group is the
CSMs tied to it by moved accounts (so a move that is no longer needed can be undone),
otherwise random CSMs that share accounts with it. A CSM's rank drops with each step from
it that found nothing. New books search with an adaptive group size (`_Size`), each
account among the few CSMs its LP finds cheapest (`near`). (Group
sizes, step limits and the rankings were measured on bench-M, bench-L and the tight GAP
set: benchmarks/NOTES.md.)
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from ortools.sat.python import cp_model

from allocator.bounds.quick import voluntary_moves
from allocator.deadline import Deadline, Stopwatch
from allocator.facts import Block, Facts
from allocator.interrupts import stop_requested
from allocator.model import CpSatModel, build_model
from allocator.schema.plan import Owners, Plan
from allocator.search.lp_start import near_choices


@dataclass
class SearchStats:
    steps: int = 0
    improved: int = 0
    seconds: float = 0.0
    interrupted: bool = False


@dataclass(frozen=True)
class Searched:
    """The search's plan for the block's accounts, and how the search went."""

    plan: Owners
    stats: SearchStats


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


def _moved(
    facts: Facts, former: dict[str, list[str]], plan: Plan, books: dict[str, list[str]], csm_id: str
) -> int:
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


def _move_ties(
    facts: Facts,
    former: dict[str, list[str]],
    plan: Plan,
    books: dict[str, list[str]],
    csm_id: str,
    allowed: set[str],
) -> list[str]:
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


class _Groups:
    """Chooses each step's group of CSMs (see the module docstring)."""

    def __init__(
        self,
        facts: Facts,
        block: Block,
        seed: int,
        moves_only: bool,
        partners: dict[str, list[str]] | None = None,
        partner_share: float = 0.0,
    ):
        self.facts = facts
        self.partners = partners or {}
        self.partner_share = partner_share
        self.block = block
        self.rng = random.Random(seed)
        self.moves_only = moves_only
        self.neighbours = _neighbours(facts, block)
        self.former = _former(facts, block)
        self.failed = dict.fromkeys(block.csms, 0)
        self.balance_scored = facts.instance.policy.weights.balance != 0
        # Drawn apart from the main stream, which then goes as it did before.
        self.order_rng = random.Random(seed + 1)

    def reset(self) -> None:
        """A new plan to go on from: every CSM is worth trying again."""
        self.failed = dict.fromkeys(self.block.csms, 0)

    def choose(
        self, plan: Plan, books: dict[str, list[str]], size: int, busy: set[str] | None = None
    ) -> list[str]:
        """The group: its first CSM, then CSMs that can take each other's accounts; none
        of them `busy` (in another lane's step). Empty when every CSM is busy."""
        facts, former, failed = self.facts, self.former, self.failed
        busy = busy or set()
        if self.moves_only:
            ranked = sorted(
                self.block.csms, key=lambda c: (-_moved(facts, former, plan, books, c), c)
            )
        elif self.balance_scored:
            # A CSM whose groups found nothing ranks lower each time, so the search does
            # not keep returning to books no group of neighbours can mend.
            ranked = sorted(
                self.block.csms, key=lambda c: (-_distance(facts, books, c) / (1 + failed[c]), c)
            )
        else:
            # Without balance in the objective no book is a better place to start than
            # another: a random order, CSMs whose groups found nothing last.
            order = {c: self.order_rng.random() for c in self.block.csms}
            ranked = sorted(self.block.csms, key=lambda c: (failed[c], order[c]))
        if busy:
            ranked = [c for c in ranked if c not in busy]
            if not ranked:
                return []
        # Mostly the worst CSMs, sometimes any: keeps the search from circling one spot.
        first = ranked[min(int(self.rng.expovariate(0.3)), len(ranked) - 1)]
        pool = [c for c in self.neighbours[first] if c not in busy]
        if self.partners.get(first) and self.rng.random() < self.partner_share:
            # CSMs the LP finds good for the same accounts, among the closest few at random;
            # other neighbours only when it names too few.
            near = [c for c in self.partners[first] if c not in busy][: 2 * size]
            self.rng.shuffle(near)
            chosen = set(near)
            self.rng.shuffle(pool)
            rest = [c for c in pool if c not in chosen]
            return [first, *(near + rest)[: size - 1]]
        self.rng.shuffle(pool)
        if self.moves_only or self.rng.random() < 0.5:
            # CSMs that hold this CSM's former accounts or gave it theirs come first: the
            # group can then undo moves that are no longer needed.
            ties = _move_ties(facts, former, plan, books, first, set(pool))
            tied = set(ties)
            pool = ties + [c for c in pool if c not in tied]
        return [first, *pool[: size - 1]]

    def found(self, first: str, changed: bool) -> None:
        self.failed[first] = 0 if changed else self.failed[first] + 1


class _Size:
    """An adaptive group size: a quarter of a CSM larger after a step proven optimal within
    its limit, three quarters smaller after one that was not, so about three steps in four
    are proven. A small step that proves at once has searched all it could; a large one
    that times out mostly returns its start, and fewer steps fit in the time."""

    GROW = 0.25
    SHRINK = 0.75

    def __init__(self, start: int, most: int):
        self.most = max(2, most)
        self.value = float(min(max(2, start), self.most))

    def now(self) -> int:
        return round(self.value)

    def after(self, proven: bool) -> None:
        change = self.GROW if proven else -self.SHRINK
        self.value = min(max(2.0, self.value + change), float(self.most))


def _step_model(
    facts: Facts,
    plan: Plan,
    books: dict[str, list[str]],
    group: list[str],
    capped: bool,
    moves_only: bool,
    near: dict[str, list[str]] | None = None,
) -> CpSatModel:
    """The exact model of one group: every account its CSMs hold, free among them. A family
    with members outside the group stays put (its owner's book still counts). With `near`,
    an account may move only to its near CSMs in the group (any it may have, if `near`
    names none for it); exact for the group within that restriction, so never worse."""
    held = [a for c in group for a in books[c]]
    held_set = set(held)
    family_of = facts.family_of
    pinned = {
        a: str(plan[a])
        for a in held
        if a in family_of and not all(m in held_set for m in facts.families[family_of[a]])
    }
    sub = Block(accounts=tuple(sorted(held)), csms=tuple(sorted(group)))
    cap = voluntary_moves(facts, sub.accounts, plan) if capped else None
    allowed = None if near is None else near_choices(facts, near, plan, held)
    built = build_model(
        facts, sub, pins=pinned, move_cap=cap, objective=not moves_only, allowed=allowed
    )
    if moves_only:
        built.form.minimise_voluntary_moves()
    built.form.hint(plan)
    return built


def improve(
    facts: Facts,
    block: Block,
    start: Plan,
    deadline: Deadline,
    seed: int,
    *,
    group_size: int = 4,
    step_seconds: float = 0.5,
    stop_when: Callable[[Plan], bool] | None = None,
    capped: bool = False,
    moves_only: bool = False,
    on_step: Callable[[SearchStats, Plan], None] | None = None,
    adopt: Callable[[Plan], Plan | None] | None = None,
    adaptive: bool = False,
    lanes: int = 1,
    partners: dict[str, list[str]] | None = None,
    partner_share: float = 0.0,
    near: dict[str, list[str]] | None = None,
) -> Searched:
    """A better plan for `block`'s accounts than `start`, searched until the deadline or
    until `stop_when(plan)` (asked before each step) is true. `capped`: the block's
    voluntary moves are capped, so a step may not make more voluntary moves than its group
    has now. `moves_only`: minimise moves alone (the fewest-moves pass); groups then always
    start from CSMs holding or missing moved accounts, tied to the CSMs on the other side.
    `on_step(stats, plan)` is called after every step (progress reports); `adopt(plan)`,
    before every step, may return a better plan to go on from (the companion's).
    `adaptive`: the group grows while its steps are proven within their limit and shrinks
    while they are not (`_Size`), starting from `group_size`. `lanes`: steps solved at
    once, each in its own thread on a group no other running step touches (so their
    results add up); one lane, or any `adopt`, searches in a reproducible order.
    `partners` (CSM -> CSMs, closest first: `lp_partners`) make `partner_share` of the
    groups from their first CSM's partners. `near` (account -> CSMs: `near_csms`) limits
    where each step may move an account (its owner always stays open)."""
    clock = Stopwatch.start()
    search = _Search(
        facts,
        block,
        {a: start.get(a) for a in block.accounts},
        deadline,
        seed,
        _Groups(facts, block, seed, moves_only, partners, partner_share),
        _Size(group_size, len(block.csms)) if adaptive else None,
        group_size,
        step_seconds,
        stop_when,
        capped,
        moves_only,
        on_step,
        adopt,
        near,
    )
    # A lane needs groups apart from the others'; adopting a whole plan needs no step
    # under way.
    most = len(block.csms) // (2 * max(2, group_size))
    lanes = max(1, min(lanes, most)) if adopt is None else 1
    helpers = [threading.Thread(target=search.lane, daemon=True) for _ in range(lanes - 1)]
    for helper in helpers:
        helper.start()
    try:
        search.lane()
    finally:
        search.ended.set()
        for helper in helpers:
            helper.join()
    search.stats.seconds = clock.seconds()
    return Searched(search.plan, search.stats)


@dataclass
class _Search:
    """The state the search's lanes share; every read and change of it holds `lock`."""

    facts: Facts
    block: Block
    plan: Owners
    deadline: Deadline
    seed: int
    groups: _Groups
    size: _Size | None
    group_size: int
    step_seconds: float
    stop_when: Callable[[Plan], bool] | None
    capped: bool
    moves_only: bool
    on_step: Callable[[SearchStats, Plan], None] | None
    adopt: Callable[[Plan], Plan | None] | None
    near: dict[str, list[str]] | None
    stats: SearchStats = field(default_factory=SearchStats)
    lock: threading.Lock = field(default_factory=threading.Lock)
    ended: threading.Event = field(default_factory=threading.Event)
    busy: set[str] = field(default_factory=set)
    started: int = 0

    def lane(self) -> None:
        """Steps until the deadline, `stop_when`, a stop signal or another lane's end."""
        while not self.deadline.expired() and not self.ended.is_set():
            with self.lock:
                step = self._next()
            if step is None:
                if self.ended.is_set():
                    break
                time.sleep(0.01)  # every CSM near the first is in another lane's step
                continue
            group, built, seed = step
            solver = cp_model.CpSolver()
            solver.parameters.max_time_in_seconds = max(
                0.05, min(self.step_seconds, self.deadline.left())
            )
            solver.parameters.num_workers = 1
            solver.parameters.catch_sigint_signal = False  # let Ctrl-C reach Python
            solver.parameters.random_seed = seed
            try:
                status = solver.solve(built.model)
            except KeyboardInterrupt:  # Ctrl-C: keep the plan as it stands
                self._interrupted()
                break
            if stop_requested():  # a stop signal arrived during the step: keep the plan
                self._interrupted()
                break
            with self.lock:
                self._apply(group, built, solver, status)

    def _next(self) -> tuple[list[str], CpSatModel, int] | None:
        """The next step's group and model, or None when there is none to take now."""
        if self.ended.is_set():
            return None
        if self.stop_when is not None and self.stop_when(self.plan):
            self.ended.set()
            return None
        better = self.adopt(self.plan) if self.adopt is not None else None
        if better is not None:
            self.plan.update((a, better[a]) for a in self.block.accounts if a in better)
            self.groups.reset()
        books = _books(self.plan, self.block)
        size = self.group_size if self.size is None else self.size.now()
        group = self.groups.choose(self.plan, books, size, self.busy)
        if not group:
            return None
        self.busy.update(group)
        built = _step_model(
            self.facts, self.plan, books, group, self.capped, self.moves_only, self.near
        )
        self.started += 1
        return group, built, self.seed + self.started - 1

    def _apply(
        self,
        group: list[str],
        built: CpSatModel,
        solver: cp_model.CpSolver,
        status: cp_model.CpSolverStatus,
    ) -> None:
        self.busy.difference_update(group)
        stats = self.stats
        stats.steps += 1
        if self.size is not None:
            self.size.after(proven=status == cp_model.OPTIMAL)
        if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            changed = False
            for account_id, csm_id in built.form.owners(solver).items():
                if self.plan.get(account_id) != csm_id:
                    self.plan[account_id] = csm_id
                    changed = True
            stats.improved += int(changed)
            self.groups.found(group[0], changed)
        if self.on_step is not None:
            self.on_step(stats, self.plan)

    def _interrupted(self) -> None:
        with self.lock:
            self.stats.interrupted = True
        self.ended.set()
