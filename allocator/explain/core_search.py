"""Finding a minimal set of rule instances that cannot all hold (an infeasibility core).

The explain-mode model (`build_model(..., objective=False, explain=True)`) switches every
rule instance by an assumption literal. CP-SAT (one worker) names assumptions that cannot
all hold; a deletion filter then drops each one whose removal leaves the rest infeasible.

A whole block of thousands of accounts is slow to re-solve on one worker, so the search
looks in small neighbourhoods first: the pools of the capacity pre-check (and the pinned
CSMs of a what-if), each with every CSM its accounts could go to. Leaving accounts out only
relaxes the problem for upper limits (caps, capacity, windows, band top, move cap) — lower
limits (band floor, minimum book ARR) stay off there — so a conflict found in a neighbourhood
is a conflict of the whole instance; it is minimal for those accounts. Whether a block has a
plan at all is decided on the ordinary model, which may use several workers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from ortools.sat.python import cp_model

from allocator.deadline import Deadline, Stopwatch
from allocator.explain.capacity_check import hall_sets
from allocator.facts import Block, Facts
from allocator.facts.blocks import connected_blocks
from allocator.model import build_model
from allocator.parameters import DEFAULT_WORKERS
from allocator.search import greedy_plan

Verdict = Literal["INFEASIBLE", "FEASIBLE", "UNKNOWN"]
Guard = tuple[str, str]

# Per-CSM limits; a leaver's are moot (leaver_takes_nothing already says it all).
CSM_RULES = {"account_caps", "effort_capacity", "renewal_spread", "balance", "min_book_arr"}
NEIGHBOURHOOD_ACCOUNTS = 600  # larger pools are no cheaper than their block
PIN = "pin"


@dataclass
class Core:
    """A minimal set of conflicting rule instances, and how it was found."""

    guards: list[Guard]
    first_size: int
    minimal: bool
    seconds: float
    accounts: int  # accounts in the (sub-)problem it is minimal for


def csm_of(facts: Facts, subject: str) -> str:
    """The CSM id a per-CSM guard subject ('C02 Enterprise', 'C04 2027-Q1', 'C01') starts
    with; the longest id wins, since ids may themselves contain spaces."""
    if subject in facts.csms:
        return subject
    matches = [c for c in facts.csms if subject.startswith(c + " ")]
    return max(matches, key=len, default="")


def _candidates(facts: Facts, account_id: str) -> list[str]:
    """The CSMs explain mode gives an account a variable for (see `Form.candidates`)."""
    result = list(facts.eligibility.structural[account_id])
    current = facts.accounts[account_id].current_csm
    if current is not None and current not in result:
        result.append(current)
    return result


def explain_blocks(facts: Facts, pins: dict[str, str] | None = None) -> list[Block]:
    """Independent blocks of the explain-mode model (smallest first).

    Wider than `find_blocks`: an account links to every structurally eligible CSM and to its
    current owner, leavers included, because explain mode gives it a variable for each.
    """
    csms = [c.id for c in facts.instance.csms]
    if facts.instance.policy.continuity.max_moves is not None:
        return [Block(tuple(facts.named_accounts), tuple(csms))]
    pins = pins or {}

    def candidates(account_id: str) -> list[str]:
        pinned = pins.get(account_id)
        return _candidates(facts, account_id) + ([pinned] if pinned else [])

    return connected_blocks(facts, candidates, csms)


def neighbourhoods(
    facts: Facts,
    block: Block,
    pools: list[tuple[list[str], list[str]]],
    pins: dict[str, str] | None = None,
) -> list[Block]:
    """Small sub-problems of a block, smallest first: some of its accounts (whole families,
    every pinned account) with every CSM they could go to. `pools` are `hall_sets`."""
    in_block = set(block.accounts)
    pinned = [a for a in (pins or {}) if a in in_block]
    family_of = facts.family_of
    seeds: list[list[str]] = []
    if pinned:
        targets = {(pins or {})[a] for a in pinned}
        seeds.append([a for a in block.accounts if set(facts.eligibility.allowed[a]) <= targets])
    seeds += [
        accounts
        for _, accounts in pools
        if len(accounts) <= NEIGHBOURHOOD_ACCOUNTS and set(accounts) <= in_block
    ]
    found: list[Block] = []
    seen: set[frozenset[str]] = set()
    for seed in seeds:
        accounts = set(seed) | set(pinned)
        for a in list(accounts):
            if a in family_of:
                accounts.update(facts.families[family_of[a]])
        key = frozenset(accounts)
        if not accounts or key in seen or len(accounts) >= len(in_block):
            continue
        seen.add(key)
        csms = {c for a in accounts for c in _candidates(facts, a)}
        csms |= {(pins or {})[a] for a in pinned}
        ordered = tuple(a for a in block.accounts if a in accounts)
        found.append(Block(ordered, tuple(c for c in block.csms if c in csms)))
    return found


def is_floor(rule: str, subject: str) -> bool:
    """A lower limit: fewer accounts make it harder, so it has no place in a neighbourhood."""
    return rule == "min_book_arr" or (rule == "balance" and subject.endswith(" floor"))


class CoreSearch:
    """The explain-mode model of a block or neighbourhood, re-solved under different
    assumption sets. In a neighbourhood (`partial`) lower limits stay off: leaving accounts
    out would make them fail where the whole book has enough."""

    def __init__(
        self, facts: Facts, block: Block, pins: dict[str, str] | None, partial: bool = False
    ):
        self.block = block
        # On a small model presolve costs more than the search it saves.
        self.presolve = len(block.accounts) > NEIGHBOURHOOD_ACCOUNTS
        self.form = build_model(facts, block, objective=False, explain=True).form
        self.model = self.form.model
        for account_id, csm_id in sorted((pins or {}).items()):
            if account_id not in self.form.by_account:
                continue
            var = self.form.x.get((account_id, csm_id))
            literal = self.form.guard(PIN, account_id)
            if var is None:
                self.model.add_bool_or([]).only_enforce_if(literal)
            else:
                self.model.add(var == 1).only_enforce_if(literal)
        leavers = {c.id for c in facts.instance.csms if c.leaving}
        self.guards = [
            key
            for key in self.form.guards
            if not (key[0] in CSM_RULES and csm_of(facts, key[1]) in leavers)
            and not (partial and is_floor(*key))
        ]

    def solve(
        self, guards: list[Guard], time_limit: float, trial: bool = False
    ) -> tuple[Verdict, list[Guard]]:
        """Solve with `guards` on and every other guard off; on infeasibility, the guards
        CP-SAT blames. (Switching the others off, rather than leaving them free, lets
        presolve drop their constraints.)"""
        on = set(guards)
        literals: list[cp_model.LiteralT] = [self.form.guards[key] for key in guards]
        literals += [self.form.guards[key].Not() for key in self.form.guards if key not in on]
        self.model.clear_assumptions()
        self.model.add_assumptions(literals)
        solver = cp_model.CpSolver()
        solver.parameters.num_workers = 1  # cores from assumptions need the sequential search
        solver.parameters.max_time_in_seconds = max(0.05, time_limit)
        solver.parameters.cp_model_presolve = self.presolve
        if trial:
            solver.parameters.cp_model_probing_level = 0  # trials are many and mostly easy
        status = solver.solve(self.model)
        if status == cp_model.MODEL_INVALID:
            raise RuntimeError(f"CP-SAT rejected the explain model: {self.model.validate()}")
        if status == cp_model.INFEASIBLE:
            blamed = set(solver.sufficient_assumptions_for_infeasibility())
            return "INFEASIBLE", [k for k in guards if self.form.guards[k].index in blamed]
        if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            return "FEASIBLE", []
        return "UNKNOWN", []

    def shrink(self, core: list[Guard], deadline: Deadline) -> tuple[list[Guard], bool]:
        """Deletion filter: drop each guard whose removal leaves the rest infeasible."""
        needed: list[Guard] = []  # necessary guards stay necessary in every sub-core
        untested = list(core)
        minimal = True
        while untested:
            remaining = deadline.left()
            if remaining <= 0:
                return needed + untested, False
            candidate = untested.pop(0)
            verdict, blamed = self.solve(
                needed + untested, max(0.2, remaining / (len(untested) + 1)), trial=True
            )
            if verdict == "INFEASIBLE":
                kept = set(blamed)
                untested = [k for k in untested if k in kept]
            else:
                needed.append(candidate)
                minimal = minimal and verdict == "FEASIBLE"
        return needed, minimal


def block_has_plan(
    facts: Facts, block: Block, time_limit: float, workers: int, pins: dict[str, str] | None = None
) -> Verdict:
    """The ordinary model of a block, objective cleared: does any plan exist?"""
    active = set(facts.active_csms)
    built = build_model(
        facts,
        Block(block.accounts, tuple(c for c in block.csms if c in active)),
        pins=pins,
        objective=False,
    )
    built.form.hint(greedy_plan(facts, keep_current=True))
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = workers
    solver.parameters.max_time_in_seconds = max(0.05, time_limit)
    status = solver.solve(built.model)
    if status == cp_model.INFEASIBLE:
        return "INFEASIBLE"
    return "FEASIBLE" if status in (cp_model.OPTIMAL, cp_model.FEASIBLE) else "UNKNOWN"


def _core_in(
    facts: Facts,
    block: Block,
    pins: dict[str, str] | None,
    deadline: Deadline,
    clock: Stopwatch,
    partial: bool = False,
) -> Core | None:
    """A minimal core of `block` when its explain model is proven infeasible in time."""
    search = CoreSearch(facts, block, pins, partial)
    verdict, blamed = search.solve(search.guards, deadline.left())
    if verdict != "INFEASIBLE":
        return None
    guards, minimal = search.shrink(blamed, deadline)
    return Core(guards, len(blamed), minimal, clock.seconds(), len(block.accounts))


def infeasibility_cores(
    facts: Facts,
    time_limit: float = 30.0,
    pins: dict[str, str] | None = None,
    workers: int = DEFAULT_WORKERS,
) -> tuple[Verdict, list[Core]]:
    """For each block without a plan, one minimal core; the verdict for the whole book.

    Per block: the ordinary model (several workers) decides whether a plan exists; if not,
    neighbourhoods get a third of the time left, and the whole block half of the rest.
    """
    deadline = Deadline.after(time_limit)
    pools = hall_sets(facts)
    cores: list[Core] = []
    undecided = False
    for block in explain_blocks(facts, pins):
        clock = Stopwatch.start()
        verdict = block_has_plan(facts, block, deadline.left() * 0.5, workers, pins)
        if verdict == "FEASIBLE":
            continue
        core = None
        local = deadline.share(1 / 3)
        for part in neighbourhoods(facts, block, pools, pins):
            if local.expired():
                break
            core = _core_in(
                facts, part, pins, Deadline.after(max(1.0, local.left() / 4)), clock, partial=True
            )
            if core is not None:
                break
        if core is None and not deadline.expired():
            core = _core_in(facts, block, pins, deadline.share(0.5), clock)
        if core is not None:
            cores.append(core)
        else:
            undecided = True
    if cores:
        return "INFEASIBLE", cores
    return ("UNKNOWN" if undecided else "FEASIBLE"), cores
