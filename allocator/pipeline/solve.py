"""`solve()`: split the book into independent blocks, solve each with CP-SAT from a complete
hint, put the plan together, check it independently, and report objective, bound and gap."""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from ortools.sat.python import cp_model

from allocator.search import neighbourhood as lns
from allocator.search.balanced_start import better_start
from allocator.search.repair import repair_books
from allocator.checker.block_objective import Plan, block_objective
from allocator.pipeline.block_summary import BlockResult, block_rows
from allocator.facts.blocks import Block, find_blocks
from allocator.checker.check import TERMS, book_violations, check
from allocator.pipeline.companion import MIP_LIMIT, Companion, uses_counts
from allocator.pipeline.companion import wanted as companion_wanted
from allocator.model.run import Incumbent, run_cpsat
from allocator.pipeline.fewest_moves import FewestMoves, fewest_moves
from allocator.bounds.flow import flow_bound
from allocator.search.greedy import greedy_plan
from allocator.schema.instance import Instance
from allocator.model.mip import MipResult
from allocator.model.context import build_model
from allocator.explain.precheck import forced_conflicts, stranded_accounts
from allocator.facts.derived import Facts
from allocator.bounds.quick import fewest_voluntary, quick_bound
from allocator.pipeline.result import SolveResult
from allocator.schema.solution import Solution, Status, Violation
from allocator.pipeline.summary import assignment_rows, csm_rows, segment_rows

_STATUS: dict[object, Status] = {
    cp_model.OPTIMAL: "OPTIMAL",
    cp_model.FEASIBLE: "FEASIBLE",
    cp_model.INFEASIBLE: "INFEASIBLE",
}


@dataclass
class Progress:
    """What a progress display shows; updated from the solver's callbacks."""

    elapsed: float = 0.0
    objective: float | None = None
    bound: float | None = None
    solutions: int = 0
    phase: str = "building model"


def effective_date_of(instance: Instance) -> dt.date:
    """The plan date: the policy's, else today."""
    return instance.policy.effective_date or dt.date.today()


def instance_hash(instance: Instance) -> str:
    return hashlib.sha256(instance.model_dump_json().encode()).hexdigest()[:16]


def relative_gap(objective: float | None, bound: float | None) -> float | None:
    if objective is None or bound is None:
        return None
    return max(0.0, objective - bound) / max(abs(objective), 1e-9)


def _pooled_move_offset(facts: Facts) -> float:
    """Objective of moves forced by pooling (an owned account whose segment is pooled)."""
    policy = facts.instance.policy
    count = sum(1 for a in facts.instance.accounts
                if a.current_csm is not None and facts.is_pooled(a.id))
    return policy.weights.moves * round(policy.continuity.cost_per_move * 100) / 100 * count


LNS_THRESHOLD = 15_000  # assignment variables; measured on bench-M (benchmarks/NOTES.md)
LNS_SHARE = 0.6
REPAIR_SHARE = 0.3
# Blocks HiGHS solves as a MIP beside CP-SAT get a larger share: on bench-M's 694-account
# block HiGHS's plan (199.9, optimum 199.2) arrives after about 14 s. At 60 s, bench-M
# ended at 891.7 and 886.2 with weight 1 (that block got 13.7 s), 874.9 and 874.8 with
# 1.5, 878.2 and 876.4 with 2 (benchmarks/NOTES.md).
MIP_BLOCK_WEIGHT = 1.5
# Between progress reports from the neighbourhood search: recomputing a block's objective
# takes 0.12 s on bench-L's 17,863-account block, about 2% of the search at this interval.
PROGRESS_SECONDS = 5.0
# The counts model's share of a block's time (`class_model.py`); the neighbourhood search
# then goes on from its plan when that is better. bench-L, 30 s more of search from the
# counts plans: 6,899-account block 2,044.2 -> 2,030.2, 17,863-account block 3,727.5 ->
# 3,697.8.
COUNTS_SHARE = 0.7
LEAST_ROOM = 0.05  # a start at its bound keeps LEAST_ROOM ** ROOM_POWER of its share
ROOM_POWER = 0.25
FEWEST_SHARE = 0.4  # of a block's time at most, for the fewest-moves pass
REPAIR_SECONDS = 5.0  # then CP-SAT: it finds plans for tight GAP blocks in under a second
FULL_MODEL_LIMIT = 250_000  # above this, building and presolving one model takes the budget
BUILD_SECONDS_PER_VARIABLE = 1e-4  # model build + presolve, measured on bench-L blocks


@dataclass
class _BlockOutcome:
    status: Status
    objective: float | None  # the solver's value for the block's plan, when it has one
    bound: float | None
    interrupted: bool
    has_plan: bool = False
    helped: list[str] = field(default_factory=list)  # what HiGHS gave: "plan", "bound"
    fewest: FewestMoves | None = None  # the fewest-moves pass, when the policy asks for it
    seconds: float = 0.0

    def __post_init__(self) -> None:
        self.has_plan = self.has_plan or self.objective is not None


def _obeys_rules(facts: Facts, block: Block, plan: dict[str, str | None]) -> bool:
    """The checker's per-CSM rules on one block of a constructed or searched plan.

    Such plans respect the per-account rules by construction (only allowed CSMs, families
    as one unit); the whole plan still goes through the full checker at the end.
    """
    return not book_violations(facts, plan, list(block.accounts), list(block.csms))


def _solve_block(facts: Facts, block: Block, plan: dict[str, str | None],
                 hint_plan: dict[str, str | None] | None, time_limit: float, workers: int,
                 seed: int, force: dict[str, str] | None, log: bool,
                 on_tick: Callable[[float | None, float | None, int], None],
                 deterministic: bool = False,
                 known: tuple[float, float] | None = None) -> _BlockOutcome:
    """Solve one block and write its owners into `plan`: CP-SAT (and the neighbourhood
    search), with HiGHS beside it when there is a second thread (`companion.py`).
    With `policy.continuity.fewest_moves`, the fewest-moves pass runs first and its
    voluntary moves cap the block's plan (`fewest_moves.py`). `known`: the objective of
    `hint_plan` on the block and the block's `bound_without_search`, when the caller has
    them."""
    deadline = time.monotonic() + time_limit
    fewest: FewestMoves | None = None
    if facts.instance.policy.continuity.fewest_moves and hint_plan is not None and not force:
        try:
            fewest = fewest_moves(facts, block, hint_plan, time_limit * FEWEST_SHARE, workers,
                                  seed)
        except KeyboardInterrupt:  # Ctrl-C before the pass had a plan
            return _BlockOutcome("UNKNOWN", None, None, True)
        if fewest is not None:
            hint_plan = {**hint_plan, **fewest.plan}
        time_limit = max(0.1, deadline - time.monotonic())
    move_cap = None if fewest is None else fewest.voluntary
    variables = sum(len(facts.eligibility.allowed[a]) for a in block.accounts)
    # HiGHS's model has no per-block move cap: it stays out of a capped block.
    upper = (None if hint_plan is None
             else known[0] if known is not None and fewest is None
             else block_objective(facts, block, hint_plan))
    counts = hint_plan is not None and uses_counts(facts, block, variables)
    helper = (Companion(facts, block, time_limit * (COUNTS_SHARE if counts else 1.0), upper,
                        start=hint_plan if counts else None)
              if move_cap is None and companion_wanted(variables, workers, deterministic,
                                                       bool(force), time_limit, counts)
              else None)
    if helper is not None:
        workers = workers_beside_companion(workers)
    if fewest is not None and fewest.interrupted:
        outcome = _BlockOutcome("FEASIBLE", None, None, True, has_plan=True)
        plan.update(fewest.plan)
    else:
        try:
            outcome = _search_block(facts, block, plan, hint_plan, time_limit, workers, seed,
                                    force, log, on_tick, deterministic,
                                    stop_when=helper.proven if helper is not None else None,
                                    move_cap=move_cap,
                                    adopt=_adopter(facts, block, helper) if counts else None)
        except BaseException:
            if helper is not None:
                helper.stop()
            raise
    if not outcome.has_plan and outcome.status == "UNKNOWN" and fewest is not None:
        plan.update(fewest.plan)  # the pass's plan obeys every rule
        outcome = _BlockOutcome("FEASIBLE", None, outcome.bound, outcome.interrupted,
                                has_plan=True)
    outcome.fewest = fewest
    if helper is not None:
        done = outcome.status in ("OPTIMAL", "INFEASIBLE") or outcome.interrupted
        mip = helper.result(stop=done)
        outcome.interrupted = outcome.interrupted or helper.interrupted
        outcome = _with_companion(facts, block, plan, outcome, mip, helper)
    if outcome.status in ("FEASIBLE", "UNKNOWN"):  # the bound that needs no solver may be higher
        quick = bound_without_search(facts, block) if known is None else known[1]
        if outcome.bound is None or quick > outcome.bound:
            outcome.bound = quick if outcome.objective is None else min(quick, outcome.objective)
    return outcome


def _room_to_improve(facts: Facts, block: Block, start: dict[str, str | None],
                     known: dict[int, tuple[float, float]], index: int) -> float:
    """How much of a block's time share it keeps: the fourth root of how far its starting
    plan lies above the bound that needs no search, relative to the plan (at least
    `LEAST_ROOM`). Records the start's objective and that bound in `known`. On bench-L the
    start of the 17,863-account Scale block is within 5% of that bound and that of the
    1,285-account Global block 60% above it; by size alone the first got 121 s of 300 and
    the second 18 s."""
    if not any(facts.accounts[a].current_csm is not None for a in block.accounts):
        return 1.0  # a new book: the start is only constructive
    value = block_objective(facts, block, start)
    floor = bound_without_search(facts, block)
    known[index] = (value, floor)
    if value <= 0:
        return float(LEAST_ROOM ** ROOM_POWER)
    return float(max(LEAST_ROOM, (value - floor) / value) ** ROOM_POWER)


def _adopter(facts: Facts, block: Block,
             helper: Companion | None) -> Callable[[Plan], Plan | None]:
    """For the neighbourhood search: the companion's plan, once, when it has arrived and
    beats the search's."""
    asked = [False]

    def adopt(current: Plan) -> Plan | None:
        if asked[0] or helper is None:
            return None
        mip = helper.answer()
        if mip is None:
            return None
        asked[0] = True
        if (mip.objective is not None and mip.owners
                and mip.objective < block_objective(facts, block, current) - 1e-9
                and _obeys_rules(facts, block, mip.owners)):
            return mip.owners
        return None

    return adopt


def bound_without_search(facts: Facts, block: Block) -> float:
    """The better of the quick move bound and the load-flow LP's (`flow_bound.py`)."""
    quick = quick_bound(facts, block.accounts)
    flow = flow_bound(facts, block.accounts, block.csms)
    return quick if flow is None else max(quick, flow)


def workers_beside_companion(workers: int) -> int:
    """CP-SAT's workers while HiGHS runs: HiGHS keeps one core to itself. On 2 cores, with
    8 workers asked: chu1997/d20100 ended at 6,294 with CP-SAT on 8 or 4 workers, 6,276 on
    2 and 6,245 on 1 (60 s); c20200 was proven in 31, 22, 23 and 24 s; on bench-M the
    694-account block went from 247.9 to 199.9 (proven optimum 199.2)."""
    return max(1, min(workers, os.cpu_count() or 1) - 1)


_BOUND_BY = {"lagrangian": "lagrangian bound", "highs counts": "counts bound"}


def _with_companion(facts: Facts, block: Block, plan: dict[str, str | None],
                    outcome: _BlockOutcome, mip: MipResult | None,
                    helper: Companion) -> _BlockOutcome:
    """The better of the two plans and the higher of the two proven bounds."""
    if mip is None or mip.status == "INFEASIBLE" or outcome.status == "INFEASIBLE":
        return outcome  # infeasibility is CP-SAT's to prove (and explain)
    value = outcome.objective
    if value is None and outcome.has_plan:
        value = helper.value_of({a: plan[a] for a in block.accounts})
    has_plan = outcome.has_plan
    if (mip.objective is not None and (value is None or mip.objective < value - 1e-9)
            and _obeys_rules(facts, block, mip.owners)):
        for account_id in block.accounts:
            plan[account_id] = mip.owners[account_id]
        value, has_plan = mip.objective, True
        outcome.helped.append("plan")
    bound = outcome.bound
    # A bound above a plan in hand would be a numerical slip of HiGHS's: not used.
    if mip.bound is not None and (value is None or mip.bound <= value + 1e-6):
        if bound is None or mip.bound > bound + 1e-9:
            outcome.helped.append(_BOUND_BY.get(mip.solver, "bound"))
        bound = mip.bound if bound is None else max(bound, mip.bound)
    if not has_plan or value is None:
        return _BlockOutcome(outcome.status, None, bound, outcome.interrupted,
                             helped=outcome.helped)
    bound = None if bound is None else min(bound, value)
    proven = outcome.status == "OPTIMAL" or (bound is not None and bound >= value - 1e-9)
    return _BlockOutcome("OPTIMAL" if proven else "FEASIBLE", value, bound,
                         outcome.interrupted, has_plan=True, helped=outcome.helped)


def _search_progress(facts: Facts, block: Block, plan: dict[str, str | None],
                     on_tick: Callable[[float | None, float | None, int], None],
                     every: float | None = None) -> Callable[[lns.LnsStats], None]:
    """Progress from the neighbourhood search: the block's objective, recomputed from the
    plan every `every` seconds, with the quick move bound (0.06 s on bench-L's biggest
    block) so that the gap shown covers the block too."""
    last = [time.monotonic()]
    interval = PROGRESS_SECONDS if every is None else every
    bound: list[float] = []

    def step(stats: lns.LnsStats) -> None:
        if time.monotonic() - last[0] >= interval:
            last[0] = time.monotonic()
            if not bound:
                bound.append(quick_bound(facts, block.accounts))
            on_tick(block_objective(facts, block, plan), bound[0], stats.improved)

    return step


def _search_block(facts: Facts, block: Block, plan: dict[str, str | None],
                  hint_plan: dict[str, str | None] | None, time_limit: float, workers: int,
                  seed: int, force: dict[str, str] | None, log: bool,
                  on_tick: Callable[[float | None, float | None, int], None],
                  deterministic: bool = False,
                  stop_when: Callable[[], bool] | None = None,
                  move_cap: int | None = None,
                  adopt: Callable[[Plan], Plan | None] | None = None) -> _BlockOutcome:
    """CP-SAT on one block; writes its owners into `plan`.

    A block too big for one model within its time is first improved by large-neighbourhood
    search from the hint; CP-SAT then gets the rest of the time on the whole block, starting
    from that plan, for a proven bound and any further improvement. `move_cap` caps the
    block's voluntary moves (the hint obeys it; each search step keeps within it).
    """
    deadline = time.monotonic() + time_limit
    lns_plan: dict[str, str | None] | None = None
    variables = sum(len(facts.eligibility.allowed[a]) for a in block.accounts)
    # The policy's cap is over the whole plan, which the greedy hint may break; a block cap
    # comes with a hint that obeys it, and the search's steps never add voluntary moves.
    searchable = (hint_plan is not None and not force
                  and (facts.instance.policy.continuity.max_moves is None
                       or move_cap is not None))
    big = variables > LNS_THRESHOLD
    if searchable and hint_plan is not None and (
            big or not _obeys_rules(facts, block, hint_plan)):
        # Big blocks, and blocks whose constructed plan breaks a per-CSM rule (a repair
        # CP-SAT may not find in a short share), start with the neighbourhood search.
        lns_plan = dict(hint_plan)
        whole_model = (variables <= FULL_MODEL_LIMIT
                       and variables * BUILD_SECONDS_PER_VARIABLE < 0.3 * time_limit)
        share = (LNS_SHARE if big else REPAIR_SHARE) if whole_model else 1.0
        plan_so_far = lns_plan

        def enough() -> bool:
            # A repair is done once the plan obeys the rules: CP-SAT takes it from there.
            return ((stop_when is not None and stop_when())
                    or (not big and _obeys_rules(facts, block, plan_so_far)))

        search_time = time_limit * share if big or not whole_model else min(
            time_limit * share, REPAIR_SECONDS)
        stats = lns.improve(facts, block, lns_plan, search_time, seed, stop_when=enough,
                            capped=move_cap is not None,
                            on_step=_search_progress(facts, block, lns_plan, on_tick),
                            adopt=adopt)
        if not whole_model or stats.interrupted:
            # Too big to model whole in the time: the searched plan stands, without a bound.
            ok = _obeys_rules(facts, block, lns_plan)
            if ok:
                for account_id in block.accounts:
                    plan[account_id] = lns_plan[account_id]
            return _BlockOutcome("FEASIBLE" if ok else "UNKNOWN", None, None,
                                 stats.interrupted, has_plan=ok)
        hint_plan = lns_plan
    if move_cap is not None and facts.instance.policy.continuity.max_moves is not None:
        move_cap = min(move_cap, facts.instance.policy.continuity.max_moves)
    built = build_model(facts, force=force, block=block, move_cap=move_cap)
    if hint_plan is not None:
        built.ctx.hint(hint_plan)
    time_limit = max(0.1, deadline - time.monotonic())

    def tick(incumbent: Incumbent) -> None:
        value = incumbent.objective
        bound = incumbent.bound
        on_tick(None if value is None else built.objective_value(value),
                None if bound is None else built.objective_value(bound), incumbent.solutions)

    run = run_cpsat(built.ctx.model, time_limit, workers, seed, log=log, on_tick=tick,
                    deterministic=deterministic, stop_when=stop_when)
    solver = run.solver
    if solver is None:
        return _BlockOutcome("UNKNOWN", None, None, run.interrupted)
    if run.status == cp_model.MODEL_INVALID:
        raise RuntimeError(f"CP-SAT rejected the model: {built.ctx.model.validate()}")
    status = _STATUS.get(run.status, "UNKNOWN")
    raw_bound = solver.best_objective_bound
    bound = built.objective_value(raw_bound) if math.isfinite(raw_bound) else None
    if status not in ("OPTIMAL", "FEASIBLE"):
        if status == "UNKNOWN" and lns_plan is not None and _obeys_rules(facts, block, lns_plan):
            for account_id in block.accounts:
                plan[account_id] = lns_plan[account_id]
            return _BlockOutcome("FEASIBLE", None, bound, run.interrupted, has_plan=True)
        return _BlockOutcome(status, None, bound if status == "UNKNOWN" else None,
                             run.interrupted)
    for (account_id, csm_id), var in built.ctx.x.items():
        if solver.boolean_value(var):
            plan[account_id] = csm_id
    objective = built.objective_value(solver.objective_value)
    if status == "OPTIMAL" and bound is not None and bound < objective - 1e-9:
        status = "FEASIBLE"  # stopped by Ctrl-C before the proof closed
    return _BlockOutcome(status, objective,
                         None if bound is None else min(bound, objective), run.interrupted)


def solve(instance: Instance, time_limit: float = 60.0, workers: int = 1, seed: int = 0,
          effective_date: dt.date | None = None, force: dict[str, str] | None = None,
          on_progress: Callable[[Progress], None] | None = None,
          hint: bool = True, log: bool = False,
          hint_plan: dict[str, str | None] | None = None,
          deterministic: bool = False) -> SolveResult:
    """Solve `instance`; the returned result has been through the independent checker.

    The book is split into independent blocks (`blocks.py`), solved smallest first; each
    gets a share of the remaining time in proportion to its size, so time a small block
    does not need passes on. A block with no plan in its time keeps the constructive plan
    if that obeys every rule. `force` pins accounts to CSMs (tests and what-if questions).
    Ctrl-C stops the search and returns the best plan found so far. `on_progress` is called
    about twice a second. Reproducibility: the same instance, seed and workers give the same
    plan when every block finishes within its time and either `workers` is 1 (the default)
    or `deterministic` is set; blocks large enough for the neighbourhood search depend on
    how many steps fit in the time.
    """
    started = time.monotonic()
    deadline = started + time_limit
    effective = effective_date or effective_date_of(instance)
    facts = Facts(instance, effective)
    blocks = find_blocks(facts)
    run = _Run(instance, facts, blocks, started, time_limit, workers, seed, deterministic)
    stranded = stranded_accounts(facts) + forced_conflicts(facts, force or {})
    if stranded:
        run.outcomes = [_BlockOutcome("INFEASIBLE", None, None, False)]
        return run.assemble({}, None, explanation=stranded)
    if hint_plan is None:  # a caller's plan (e.g. a warm start) replaces the greedy hint
        hint_plan = greedy_plan(facts, keep_current=True) if hint else None
        if hint_plan is not None:  # new hires under the band, over-full books: fix the easy ones
            repair_books(facts, hint_plan)
            hint_plan = better_start(facts, blocks, hint_plan)
    plan: dict[str, str | None] = {a.id: None for a in instance.accounts}
    progress = Progress(phase="solving")
    offset = _pooled_move_offset(facts)
    # Shares grow with the square root of a block's size: small blocks are often proven
    # optimal quickly given a few seconds, and what they leave passes to the big ones.
    sizes = [sum(len(facts.eligibility.allowed[a]) for a in b.accounts) for b in blocks]
    weight = [math.sqrt(1 + n) * (MIP_BLOCK_WEIGHT if companion_wanted(
        n, workers, deterministic, bool(force)) and n <= MIP_LIMIT else 1.0) for n in sizes]
    known: dict[int, tuple[float, float]] = {}  # start objective and bound per block
    if hint_plan is not None:
        for index, block in enumerate(blocks):
            weight[index] *= _room_to_improve(facts, block, hint_plan, known, index)
    left = sum(weight)
    done_objective = done_bound = offset  # blocks solved so far, for progress reports
    for index, block in enumerate(blocks):
        if run.interrupted:
            break
        share = max(0.2, (deadline - time.monotonic()) * weight[index] / left)
        left -= weight[index]
        progress.phase = f"block {index + 1}/{len(blocks)}" if len(blocks) > 1 else "solving"
        def tick(value: float | None, bound: float | None, solutions: int,
                 done_objective: float = done_objective, done_bound: float = done_bound) -> None:
            progress.elapsed = time.monotonic() - started
            progress.solutions = solutions
            if value is not None:
                progress.objective = done_objective + value
            if bound is not None:
                progress.bound = done_bound + bound
            if on_progress is not None:
                on_progress(progress)

        block_started = time.monotonic()
        outcome = _solve_block(facts, block, plan, hint_plan, share, workers, seed, force,
                               log, tick, deterministic=deterministic,
                               known=known.get(index))
        outcome.seconds = time.monotonic() - block_started
        run.outcomes.append(outcome)
        # Blocks left by the search alone have no solver objective: recomputed from the plan.
        done_objective += block_objective(facts, block,
                                          plan if outcome.has_plan else (hint_plan or plan))
        done_bound += outcome.bound or 0.0
        run.interrupted = run.interrupted or outcome.interrupted
        if outcome.status == "INFEASIBLE":
            break
    result = run.assemble(plan, hint_plan, offset=offset)
    # Why no plan fits (allocator/explain.py): capacity pre-check, then a minimal core.
    from allocator.explain.diagnose import explain_if_infeasible
    return explain_if_infeasible(result, instance, effective, min(30.0, max(5.0, time_limit)),
                                 force, workers)


@dataclass
class _Run:
    """One solve's blocks and their outcomes, put together into a checked solution."""

    instance: Instance
    facts: Facts
    blocks: list[Block]
    started: float
    time_limit: float
    workers: int
    seed: int
    deterministic: bool = False
    interrupted: bool = False
    outcomes: list[_BlockOutcome] = field(default_factory=list)

    def assemble(self, plan: dict[str, str | None], hint_plan: dict[str, str | None] | None,
                 offset: float = 0.0, explanation: list[str] | None = None) -> SolveResult:
        facts, instance = self.facts, self.instance
        outcomes = self.outcomes
        infeasible = any(o.status == "INFEASIBLE" for o in outcomes)
        fallback = [b for b, o in zip(self.blocks, outcomes + [None] * len(self.blocks),
                                      strict=False) if o is None or not o.has_plan]
        status: Status
        if infeasible:
            status = "INFEASIBLE"
        elif not fallback:
            status = "OPTIMAL" if all(o.status == "OPTIMAL" for o in outcomes) else "FEASIBLE"
        else:
            # Blocks without a solver plan keep the constructive plan if it obeys every rule.
            status = "UNKNOWN"
            if hint_plan is not None:
                for block in fallback:
                    for account_id in block.accounts:
                        plan[account_id] = hint_plan.get(account_id)
                if check(instance, plan, facts.effective_date, facts=facts).feasible:
                    status = "FEASIBLE"
        # Blocks never reached (Ctrl-C) or without a solver bound count with the bound that
        # needs no solve, so an interrupted plan still reports a proven (if weak) gap.
        bounds = [o.bound if o is not None and o.bound is not None
                  else bound_without_search(facts, b)
                  for b, o in zip(self.blocks, outcomes + [None] * len(self.blocks),
                                  strict=False)]
        bound = offset + sum(bounds) if status in ("OPTIMAL", "FEASIBLE") else None
        parameters: dict[str, float | int | str | bool] = {
            "time_limit": self.time_limit, "workers": self.workers, "seed": self.seed,
            "deterministic": self.deterministic,
            "solver": "CP-SAT"
            + (" + HiGHS" if any(h in ("plan", "bound") for o in outcomes for h in o.helped)
               else "")
            + (" + Lagrangian bound" if any("lagrangian bound" in o.helped for o in outcomes)
               else ""),
            "blocks": len(self.blocks),
            "blocks_with_highs_plan": sum("plan" in o.helped for o in outcomes),
            "blocks_with_highs_bound": sum("bound" in o.helped for o in outcomes),
            "blocks_with_lagrangian_bound": sum("lagrangian bound" in o.helped
                                                for o in outcomes),
            "blocks_without_solver_plan": len(fallback),
            "variables": sum(len(facts.eligibility.allowed[a]) for a in facts.named_accounts),
        }
        fewest = (_fewest_voluntary(facts, self.blocks, outcomes)
                  if instance.policy.continuity.fewest_moves else None)
        solution = Solution(
            instance=instance.name, instance_hash=instance_hash(instance), status=status,
            objective=None, bound=None, gap=None,
            solve_seconds=round(time.monotonic() - self.started, 3),
            effective_date=facts.effective_date, parameters=parameters,
            interrupted=self.interrupted, explanation=explanation or [],
            weights={t: getattr(instance.policy.weights, t) for t in TERMS},
        )
        if status not in ("OPTIMAL", "FEASIBLE"):
            return SolveResult(solution=solution, report=None)
        report = check(instance, plan, facts.effective_date, facts=facts)
        violations = list(report.violations)
        if all(o.objective is not None for o in outcomes) and not fallback:
            solver_objective = offset + sum(o.objective or 0.0 for o in outcomes)
            violations += _objective_disagreement(status, solver_objective, report.objective)
        final_bound = None if bound is None else min(bound, report.objective)
        if fewest is not None:  # the plan's voluntary moves against the proven fewest
            parameters["fewest_voluntary_moves"] = fewest
            parameters["fewest_moves_proven"] = report.moves - report.forced_moves <= fewest
        solution = solution.model_copy(update={
            "parameters": parameters,
            "objective": report.objective,
            "bound": final_bound,
            "gap": 0.0 if status == "OPTIMAL" else relative_gap(report.objective, final_bound),
            "terms": report.terms,
            "violations": violations,
            "moves": report.moves,
            "forced_moves": report.forced_moves,
            "assignments": assignment_rows(facts, plan, facts.eligibility.forced_move
                                           | {a for a in plan if facts.is_pooled(a)}),
            "csm_summary": csm_rows(facts, plan),
            "segment_summary": segment_rows(facts, plan),
            "block_summary": block_rows(facts, self.blocks, [
                BlockResult("NOT SOLVED" if o is None or not o.has_plan else o.status, b,
                            0.0 if o is None else o.seconds, [] if o is None else o.helped)
                for o, b in zip(outcomes + [None] * len(self.blocks), bounds, strict=False)],
                plan),
        })
        return SolveResult(solution=solution, report=report)


def _fewest_voluntary(facts: Facts, blocks: list[Block],
                      outcomes: list[_BlockOutcome]) -> int:
    """The fewest voluntary moves any plan can make (proven), summed over the blocks: the
    fewest-moves pass's proof where it ran, else the quick move bound's."""
    total = 0
    for block, outcome in zip(blocks, outcomes + [None] * len(blocks), strict=False):
        if outcome is not None and outcome.fewest is not None:
            total += outcome.fewest.fewest
        else:
            total += fewest_voluntary(facts, block.accounts)
    return total


def _objective_disagreement(status: Status, solver: float, recomputed: float) -> list[Violation]:
    """A plan short of optimal may carry slack in auxiliary variables (the solver's value
    is then higher than the plan's true one); recomputing higher, or differing when proven
    optimal, would mean the model and the checker disagree."""
    tolerance = 1e-6 * max(1.0, abs(solver))
    if recomputed > solver + tolerance or (status == "OPTIMAL"
                                           and abs(recomputed - solver) > tolerance):
        return [Violation(rule="objective", subject="plan",
                          message=f"solver objective {solver} != recomputed {recomputed}")]
    return []
