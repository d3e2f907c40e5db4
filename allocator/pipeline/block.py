"""Solving one independent block: the fewest-moves pass when the policy asks for it, the
neighbourhood search for big blocks (one lane per core the companion leaves free), the
LP-rounded start and CP-SAT on the core model for new tight books, CP-SAT on the whole
block, and the HiGHS companion beside them; the block keeps the better plan and the higher
proven bound."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, replace

from ortools.sat.python import cp_model

from allocator.bounds import bound_without_search, quick_bound
from allocator.deadline import Deadline, Stopwatch
from allocator.facts import Block, Facts
from allocator.model import Incumbent, MipResult, RunOutcome, build_model, run_cpsat
from allocator.parameters import available_cpus
from allocator.pipeline import companion
from allocator.pipeline.companion import Companion
from allocator.pipeline.fewest_moves import FewestMoves, fewest_moves
from allocator.pipeline.outcome import BlockOutcome
from allocator.pipeline.polish import polish
from allocator.pipeline.settings import Settings, Tick
from allocator.schema.plan import Plan
from allocator.schema.solution import Status
from allocator.search import Searched, SearchStats, improve
from allocator.search.lp_start import lp_start, near_choices

_STATUS: dict[object, Status] = {
    cp_model.OPTIMAL: "OPTIMAL",
    cp_model.FEASIBLE: "FEASIBLE",
    cp_model.INFEASIBLE: "INFEASIBLE",
}
_BOUND_BY = {"lagrangian": "lagrangian bound", "highs counts": "counts bound"}


@dataclass(frozen=True)
class Start:
    """A block's starting plan, with its objective and the bound that needs no search
    when the caller has computed them (the time shares need both)."""

    plan: Plan
    objective: float | None = None
    bound: float | None = None


def obeys_rules(facts: Facts, block: Block, plan: Plan) -> bool:
    """The checker's per-CSM rules on one block of a constructed or searched plan.

    Such plans respect the per-account rules by construction (only allowed CSMs, families
    as one unit); the whole plan still goes through the full checker at the end.
    """
    return not facts.checker.block_violations(plan, block.accounts, block.csms)


def _variables(facts: Facts, block: Block) -> int:
    return sum(len(facts.eligibility.allowed[a]) for a in block.accounts)


def solve_block(
    facts: Facts,
    block: Block,
    start: Start | None,
    deadline: Deadline,
    settings: Settings,
    on_tick: Tick,
) -> BlockOutcome:
    """Solve one block by the deadline: see the module docstring."""
    clock = Stopwatch.start()
    share = deadline.left()
    params = settings.params
    # A little of the share is kept back for the polish (fewest moves among equal plans).
    final, deadline = deadline, deadline.before(min(params.polish_min_seconds, 0.1 * share))
    fewest: FewestMoves | None = None
    hint = start.plan if start is not None else None
    if facts.fewest_moves and hint is not None and not settings.pins:
        try:
            fewest = fewest_moves(
                facts,
                block,
                hint,
                deadline.share(params.fewest_share),
                settings.workers,
                settings.seed,
                params,
            )
        except KeyboardInterrupt:  # Ctrl-C before the pass had a plan
            return BlockOutcome("UNKNOWN", interrupted=True)
        if fewest is not None:
            hint = {**hint, **fewest.plan}
    move_cap = None if fewest is None else fewest.voluntary
    variables = _variables(facts, block)
    upper = (
        None
        if hint is None
        else start.objective
        if start is not None and start.objective is not None and fewest is None
        else block.objective(facts, hint)
    )
    counts = hint is not None and companion.uses_counts(facts, block, variables, params)
    helper = None
    # HiGHS's model has no per-block move cap: it stays out of a capped block. Above the
    # MIP's size a new tight book's companion would only solve the LP the LP-rounded start
    # solves itself: the search gets that core instead.
    new_tight = _new_tight(facts, block, hint, settings, move_cap)
    lp_only = new_tight and variables > params.mip_limit
    if (
        move_cap is None
        and not lp_only
        and companion.wanted(
            params,
            variables,
            settings.workers,
            settings.deterministic,
            bool(settings.pins),
            deadline.left(),
            counts,
        )
    ):
        share = params.counts_share if counts else 1.0
        helper = Companion(
            facts, block, deadline.share(share), params, upper, start=hint if counts else None
        )
    workers = companion.workers_beside(settings.workers) if helper else settings.workers
    if fewest is not None and fewest.interrupted:
        outcome = BlockOutcome("FEASIBLE", plan=fewest.plan, interrupted=True)
    else:
        try:
            outcome = _search_block(
                facts,
                block,
                hint,
                deadline,
                replace(settings, workers=workers),
                on_tick,
                stop_when=helper.proven if helper is not None else None,
                move_cap=move_cap,
                adopt=_adopter(facts, block, helper) if counts else None,
                new_tight=new_tight,
            )
        except BaseException:
            if helper is not None:
                helper.stop()
            raise
    if not outcome.has_plan and outcome.status == "UNKNOWN" and fewest is not None:
        # the pass's plan obeys every rule
        outcome = BlockOutcome(
            "FEASIBLE", plan=fewest.plan, bound=outcome.bound, interrupted=outcome.interrupted
        )
    outcome = replace(outcome, fewest=fewest)
    if helper is not None:
        done = outcome.status in ("OPTIMAL", "INFEASIBLE") or outcome.interrupted
        mip = helper.result(stop=done)
        outcome = _with_companion(
            facts,
            block,
            replace(outcome, interrupted=outcome.interrupted or helper.interrupted),
            mip,
        )
    if outcome.status in ("FEASIBLE", "UNKNOWN"):  # the bound that needs no solver may be higher
        quick = (
            start.bound
            if start is not None and start.bound is not None
            else bound_without_search(facts, block)
        )
        if outcome.bound is None or quick > outcome.bound:
            outcome = replace(
                outcome, bound=quick if outcome.objective is None else min(quick, outcome.objective)
            )
    polishing = final.within(max(params.polish_min_seconds, params.polish_share * share))
    outcome = polish(facts, block, outcome, polishing, settings)
    return replace(outcome, seconds=clock.seconds())


def _adopter(facts: Facts, block: Block, helper: Companion | None) -> Callable[[Plan], Plan | None]:
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
        if (
            mip.objective is not None
            and mip.owners
            and mip.objective < block.objective(facts, current) - 1e-9
            and obeys_rules(facts, block, mip.owners)
        ):
            return mip.owners
        return None

    return adopt


def _with_companion(
    facts: Facts, block: Block, outcome: BlockOutcome, mip: MipResult | None
) -> BlockOutcome:
    """The better of the two plans and the higher of the two proven bounds."""
    if mip is None or mip.status == "INFEASIBLE" or outcome.status == "INFEASIBLE":
        return outcome  # infeasibility is CP-SAT's to prove (and explain)
    helped = list(outcome.helped)
    plan = outcome.plan
    value = outcome.objective
    if value is None and plan is not None:
        value = block.objective(facts, plan)
    if (
        mip.objective is not None
        and (value is None or mip.objective < value - 1e-9)
        and obeys_rules(facts, block, mip.owners)
    ):
        plan = {a: mip.owners[a] for a in block.accounts}
        value = mip.objective
        helped.append("plan")
    bound = outcome.bound
    # A bound above a plan in hand would be a numerical slip of HiGHS's: not used.
    if mip.bound is not None and (value is None or mip.bound <= value + 1e-6):
        if bound is None or mip.bound > bound + 1e-9:
            helped.append(_BOUND_BY.get(mip.solver, "bound"))
        bound = mip.bound if bound is None else max(bound, mip.bound)
    if plan is None or value is None:
        return replace(outcome, plan=None, objective=None, bound=bound, helped=tuple(helped))
    bound = None if bound is None else min(bound, value)
    proven = outcome.status == "OPTIMAL" or (bound is not None and bound >= value - 1e-9)
    return replace(
        outcome,
        status="OPTIMAL" if proven else "FEASIBLE",
        plan=plan,
        objective=value,
        bound=bound,
        helped=tuple(helped),
    )


def _search_progress(
    facts: Facts, block: Block, on_tick: Tick, every: float
) -> Callable[[SearchStats, Plan], None]:
    """Progress from the neighbourhood search: the block's objective, recomputed from the
    plan every `every` seconds, with the quick move bound so that the gap shown covers the
    block too."""
    due = [Deadline.after(every)]
    bound: list[float] = []

    def step(stats: SearchStats, plan: Plan) -> None:
        if due[0].expired():
            due[0] = Deadline.after(every)
            if not bound:
                bound.append(quick_bound(facts, block.accounts))
            on_tick(block.objective(facts, plan), bound[0], stats.improved)

    return step


@dataclass(frozen=True)
class _Job:
    """One block's search: what it may use, and whom it tells."""

    facts: Facts
    block: Block
    settings: Settings
    on_tick: Tick
    stop_when: Callable[[], bool] | None = None  # another solver has proven the block
    move_cap: int | None = None  # a cap on the block's voluntary moves
    adopt: Callable[[Plan], Plan | None] | None = None  # the companion's plan, if better

    def obeys_rules(self, plan: Plan) -> bool:
        return obeys_rules(self.facts, self.block, plan)

    def run(
        self, model: cp_model.CpModel, deadline: Deadline, tick: Callable[[Incumbent], None]
    ) -> RunOutcome:
        """CP-SAT on `model` by the deadline, with the job's workers, seed and mode."""
        settings = self.settings
        return run_cpsat(
            model,
            max(0.1, deadline.left()),
            settings.workers,
            settings.seed,
            log=settings.log,
            on_tick=tick,
            deterministic=settings.deterministic,
            stop_when=self.stop_when,
        )


def _search_block(
    facts: Facts,
    block: Block,
    hint: Plan | None,
    deadline: Deadline,
    settings: Settings,
    on_tick: Tick,
    stop_when: Callable[[], bool] | None = None,
    move_cap: int | None = None,
    adopt: Callable[[Plan], Plan | None] | None = None,
    new_tight: bool = False,
) -> BlockOutcome:
    """CP-SAT on one block.

    A block too big for one model in its time is first improved by the neighbourhood
    search from the hint; CP-SAT then gets the rest of the time on the whole block,
    starting from that plan, for a proven bound and any further improvement. `move_cap`
    caps the block's voluntary moves (the hint obeys it; each search step keeps within it).
    A `new_tight` block (`_new_tight`) starts from its LP instead.
    """
    job = _Job(facts, block, settings, on_tick, stop_when, move_cap, adopt)
    params = settings.params
    variables = _variables(facts, block)
    # The neighbourhood search improves a plan around the current books; a new book (no
    # current owners) has only a constructive start, which CP-SAT's own search on the
    # whole model beats (tight GAP sets: benchmarks/NOTES.md, issue 16).
    rebalance = any(facts.accounts[a].current_csm is not None for a in block.accounts)
    big = variables > params.search_threshold and rebalance
    # The policy's cap is over the whole plan, which the constructed hint may break; a
    # block cap comes with a hint that obeys it, and search steps never add voluntary moves.
    searchable = not settings.pins and (facts.move_cap is None or move_cap is not None)
    broken = hint is not None and not job.obeys_rules(hint)
    if hint is not None and new_tight:
        return _new_tight_book(job, hint, deadline)
    if hint is None or not searchable or not (big or (rebalance and broken)):
        return _cpsat(job, hint, None, deadline)
    # Big blocks, and blocks whose constructed plan breaks a per-CSM rule (a repair CP-SAT
    # may not find in a short share), start with the neighbourhood search.
    whole_model = (
        variables <= params.full_model_limit
        and variables * params.build_seconds_per_variable < 0.3 * deadline.left()
    )
    share = (params.search_share if big else params.repair_share) if whole_model else 1.0
    search_deadline = deadline.share(share)
    if not big and whole_model:
        search_deadline = search_deadline.within(params.repair_seconds)
    result = _search(job, hint, search_deadline, repair=not big)
    ok = job.obeys_rules(result.plan)
    if result.stats.interrupted or (not whole_model and ok):
        # Too big to model whole in the time: the searched plan stands, without a bound.
        return BlockOutcome(
            "FEASIBLE" if ok else "UNKNOWN",
            plan=result.plan if ok else None,
            interrupted=result.stats.interrupted,
        )
    # CP-SAT on the whole block from the searched plan; also when the search ended without
    # a plan that obeys every rule, however big the block: it is then the only way to one.
    return _cpsat(job, result.plan, result.plan, deadline)


def _new_tight(
    facts: Facts, block: Block, hint: Plan | None, settings: Settings, move_cap: int | None
) -> bool:
    """A new book (no current owners) whose constructed start breaks a per-CSM rule: the
    greedy start cannot place it, so it starts from the LP (`lp_start`). Not for pinned
    solves, nor under a plan-wide move cap without a block cap (as for the search)."""
    return (
        hint is not None
        and not settings.pins
        and (facts.move_cap is None or move_cap is not None)
        and _variables(facts, block) <= settings.params.lp_start_limit
        and all(facts.accounts[a].current_csm is None for a in block.accounts)
        and not obeys_rules(facts, block, hint)
    )


def _new_tight_book(job: _Job, hint: Plan, deadline: Deadline) -> BlockOutcome:
    """The LP-rounded start, CP-SAT on the block's core from it, the new-book search (each
    account among its near CSMs), then CP-SAT on the whole block; the LP's bound stands
    where CP-SAT proves less."""
    facts, block, params = job.facts, job.block, job.settings.params
    started = lp_start(
        facts,
        block,
        hint,
        deadline.share(params.lp_start_share),
        job.settings.seed,
        on_plan=lambda value: job.on_tick(value, None, 1),
        race=_lanes(job.settings) > 1,
    )
    lp_bound = None
    if started is not None:
        hint, lp_bound = started.plan, started.bound
        if job.obeys_rules(hint):
            job.on_tick(block.objective(facts, hint), lp_bound, 1)
            core, search = params.new_book_core_share, params.new_book_search_share
            hint = _core(job, hint, started.near(params.new_book_core_csms), deadline.share(core))
            searched = _search(
                job,
                hint,
                deadline.share((search - core) / (1 - core)),
                False,
                new_book=True,
                partners=started.partners,
                near=started.near(params.new_book_search_csms) or None,
            )
            if job.obeys_rules(searched.plan):
                hint = searched.plan
    outcome = _cpsat(job, hint, hint if job.obeys_rules(hint) else None, deadline)
    if lp_bound is None or outcome.status in ("OPTIMAL", "INFEASIBLE"):
        return outcome
    bound = lp_bound if outcome.bound is None else max(outcome.bound, lp_bound)
    if outcome.objective is not None:
        bound = min(bound, outcome.objective)
    return replace(outcome, bound=bound)


def _core(job: _Job, hint: Plan, near: dict[str, list[str]], deadline: Deadline) -> Plan:
    """CP-SAT on the block's core from the hint: each account may go only to its CSMs of
    least LP reduced cost (`lp_start.near_csms`) or to its owner in the hint
    (`near_choices`). Its better
    plan, else the hint. For plans only: the core's optimum is not the block's, so its
    status and bound are not kept."""
    if not near:
        return hint
    facts, block = job.facts, job.block
    built = build_model(facts, block, allowed=near_choices(facts, near, hint, block.accounts))
    built.form.hint(hint)
    before = block.objective(facts, hint)

    def tick(incumbent: Incumbent) -> None:
        if incumbent.objective is not None:
            value = built.objective_value(incumbent.objective)
            if value < before:
                job.on_tick(value, None, incumbent.solutions)

    run = job.run(built.model, deadline, tick)
    if run.solver is None or run.status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return hint
    plan = {**hint, **built.form.owners(run.solver)}
    if block.objective(facts, plan) < before - 1e-9 and job.obeys_rules(plan):
        return plan
    return hint


def _lanes(settings: Settings) -> int:
    """Search steps at once: the cores CP-SAT would get (one when the companion has the
    other); the reproducible mode keeps one."""
    return 1 if settings.deterministic else min(settings.workers, available_cpus())


def _search(
    job: _Job,
    hint: Plan,
    deadline: Deadline,
    repair: bool,
    new_book: bool = False,
    partners: dict[str, list[str]] | None = None,
    near: dict[str, list[str]] | None = None,
) -> Searched:
    """The neighbourhood search from the hint; a `repair` stops once the plan obeys the
    rules (CP-SAT takes it from there). A `new_book` searches with its own adaptive groups
    and shorter steps."""
    params = job.settings.params

    def enough(plan: Plan) -> bool:
        return (job.stop_when is not None and job.stop_when()) or (repair and job.obeys_rules(plan))

    return improve(
        job.facts,
        job.block,
        hint,
        deadline,
        job.settings.seed,
        group_size=params.new_book_group_size if new_book else params.group_size,
        step_seconds=params.new_book_step_seconds if new_book else params.step_seconds,
        stop_when=enough,
        capped=job.move_cap is not None,
        on_step=_search_progress(job.facts, job.block, job.on_tick, params.progress_seconds),
        adopt=job.adopt,
        adaptive=new_book,
        lanes=_lanes(job.settings),
        partners=partners,
        partner_share=params.new_book_partner_share if new_book else 0.0,
        near=near,
    )


def _cpsat(job: _Job, hint: Plan | None, searched: Plan | None, deadline: Deadline) -> BlockOutcome:
    """CP-SAT on the whole block from the hint; `searched`, the neighbourhood search's plan,
    stands if CP-SAT finds none in its time."""
    facts, settings = job.facts, job.settings
    move_cap = job.move_cap
    if move_cap is not None and facts.move_cap is not None:
        move_cap = min(move_cap, facts.move_cap)
    built = build_model(facts, job.block, pins=dict(settings.pins), move_cap=move_cap)
    if hint is not None:
        built.form.hint(hint)

    def tick(incumbent: Incumbent) -> None:
        value, bound = incumbent.objective, incumbent.bound
        job.on_tick(
            None if value is None else built.objective_value(value),
            None if bound is None else built.objective_value(bound),
            incumbent.solutions,
        )

    run = job.run(built.model, deadline, tick)
    solver = run.solver
    if solver is None:
        return BlockOutcome("UNKNOWN", interrupted=run.interrupted)
    if run.status == cp_model.MODEL_INVALID:
        raise RuntimeError(f"CP-SAT rejected the model: {built.model.validate()}")
    status = _STATUS.get(run.status, "UNKNOWN")
    raw_bound = solver.best_objective_bound
    bound = built.objective_value(raw_bound) if math.isfinite(raw_bound) else None
    if status not in ("OPTIMAL", "FEASIBLE"):
        if status == "UNKNOWN" and searched is not None and job.obeys_rules(searched):
            return BlockOutcome("FEASIBLE", plan=searched, bound=bound, interrupted=run.interrupted)
        return BlockOutcome(
            status, bound=bound if status == "UNKNOWN" else None, interrupted=run.interrupted
        )
    objective = built.objective_value(solver.objective_value)
    if status == "OPTIMAL" and bound is not None and bound < objective - 1e-9:
        status = "FEASIBLE"  # stopped by Ctrl-C before the proof closed
    return BlockOutcome(
        status,
        plan=built.form.owners(solver),
        objective=objective,
        bound=None if bound is None else min(bound, objective),
        interrupted=run.interrupted,
    )
