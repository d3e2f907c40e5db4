"""`solve()`: split the book into independent blocks, solve each from a complete starting
plan, put the plan together, check it independently, and report objective, bound and gap.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from dataclasses import dataclass, replace

from allocator.bounds import bound_without_search
from allocator.bounds.quick import fewest_voluntary
from allocator.checker import TERMS, CheckReport
from allocator.deadline import Deadline, Stopwatch
from allocator.explain import explain_infeasibility, pin_conflicts, stranded_accounts
from allocator.facts import Block, Facts, find_blocks
from allocator.interrupts import handling_stops, stop_requested
from allocator.parameters import DEFAULT_WORKERS, SolveParams
from allocator.pipeline import companion
from allocator.pipeline.block import Start, obeys_rules, solve_block
from allocator.pipeline.outcome import BlockOutcome
from allocator.pipeline.progress import Progress
from allocator.pipeline.result import SolveResult
from allocator.pipeline.settings import Settings
from allocator.pipeline.summary import assignment_rows, block_rows, csm_rows, segment_rows
from allocator.schema.instance import Instance, effective_date_of, instance_hash
from allocator.schema.plan import Owners, Plan
from allocator.schema.solution import Solution, Status, Violation, relative_gap
from allocator.search import starting_plan


def solve(
    instance: Instance,
    time_limit: float = 60.0,
    workers: int = DEFAULT_WORKERS,
    seed: int = 0,
    effective_date: dt.date | None = None,
    pins: dict[str, str] | None = None,
    on_progress: Callable[[Progress], None] | None = None,
    hint: bool = True,
    log: bool = False,
    start: Plan | None = None,
    deterministic: bool = False,
    params: SolveParams | None = None,
) -> SolveResult:
    """Solve `instance`; the returned result has been through the independent checker.

    The book is split into independent blocks (`allocator.facts.blocks`), solved smallest
    first; each gets a share of the time left by its size and how far its start lies above
    its bound, so time a small block does not need passes on. A block with no plan in its
    time keeps the starting plan if that obeys every rule. `pins` fix accounts to CSMs
    (what-if questions); `start` replaces the constructed starting plan (a warm start);
    `params` tune the pipeline (`SolveParams`). Ctrl-C stops the search and returns the
    best plan found so far. `on_progress` is called about twice a second.

    Reproducibility: the same instance, seed and workers give the same plan when every
    block finishes within its time and either `workers` is 1 or `deterministic` is set;
    blocks large enough for the neighbourhood search depend on how many steps fit.
    """
    with handling_stops():
        return _solve(
            instance,
            time_limit,
            Settings(
                workers=workers,
                seed=seed,
                deterministic=deterministic,
                log=log,
                pins=dict(pins or {}),
                params=params or SolveParams(),
            ),
            effective_date,
            on_progress,
            start,
            hint,
        )


def _solve(
    instance: Instance,
    time_limit: float,
    settings: Settings,
    effective_date: dt.date | None,
    on_progress: Callable[[Progress], None] | None,
    start: Plan | None,
    hint: bool,
) -> SolveResult:
    clock = Stopwatch.start()
    deadline = Deadline.after(time_limit)
    facts = Facts(instance, effective_date or effective_date_of(instance))
    blocks = find_blocks(facts)
    run = _Run(facts, blocks, clock, time_limit, settings)
    stranded = stranded_accounts(facts) + pin_conflicts(facts, dict(settings.pins))
    if stranded:
        return run.assemble({}, None, [BlockOutcome("INFEASIBLE")], explanation=stranded)
    if start is None and hint:
        start = starting_plan(facts, blocks)
    starts = _starts(facts, blocks, start)
    outcomes = _solve_blocks(
        facts, blocks, starts, deadline, settings, clock, on_progress, run.offset
    )
    plan: Owners = {a.id: None for a in instance.accounts}
    for outcome in outcomes:
        if outcome.plan is not None:
            plan.update(outcome.plan)
    result = run.assemble(plan, start, outcomes)
    if result.solution.status != "INFEASIBLE" or result.solution.explanation:
        return result
    # Why no plan fits: the capacity pre-check, then a minimal set of conflicting rules.
    explain_seconds = min(
        settings.params.explain_max_seconds, max(settings.params.explain_min_seconds, time_limit)
    )
    lines = explain_infeasibility(
        instance, facts.effective_date, explain_seconds, dict(settings.pins), settings.workers
    )
    lines = lines or [
        "the solver proved no plan exists, but the explanation search found "
        "a plan (please report this)"
    ]
    return replace(result, solution=result.solution.model_copy(update={"explanation": lines}))


def _starts(facts: Facts, blocks: list[Block], start: Plan | None) -> list[Start | None]:
    """Each block's start. Blocks with current owners also get the start's objective and
    the bound that needs no search: their time shares depend on both."""
    if start is None:
        return [None] * len(blocks)
    starts: list[Start | None] = []
    for block in blocks:
        if any(facts.accounts[a].current_csm is not None for a in block.accounts):
            starts.append(
                Start(start, block.objective(facts, start), bound_without_search(facts, block))
            )
        else:  # a new book: the start is only constructive
            starts.append(Start(start))
    return starts


def _weights(
    facts: Facts, blocks: list[Block], starts: list[Start | None], settings: Settings
) -> list[float]:
    """Each block's claim on the time. Shares grow with the square root of a block's
    size: small blocks are often proven optimal quickly, and what they leave passes on.
    Blocks HiGHS solves as a MIP beside CP-SAT get more; a block whose start already lies
    near its bound gets less (the fourth root of its room to improve)."""
    params = settings.params
    weights = []
    for block, start in zip(blocks, starts, strict=True):
        size = sum(len(facts.eligibility.allowed[a]) for a in block.accounts)
        weight = math.sqrt(1 + size)
        if size <= params.mip_limit and companion.wanted(
            params, size, settings.workers, settings.deterministic, bool(settings.pins)
        ):
            weight *= params.mip_block_weight
        if start is not None and start.objective is not None and start.bound is not None:
            room = (
                params.least_room
                if start.objective <= 0
                else max(params.least_room, (start.objective - start.bound) / start.objective)
            )
            weight *= room**params.room_power
        weights.append(weight)
    return weights


def _solve_blocks(
    facts: Facts,
    blocks: list[Block],
    starts: list[Start | None],
    deadline: Deadline,
    settings: Settings,
    clock: Stopwatch,
    on_progress: Callable[[Progress], None] | None,
    offset: float,
) -> list[BlockOutcome]:
    """Each block in turn, until one is proven infeasible or Ctrl-C stops the run."""
    weights = _weights(facts, blocks, starts, settings)
    left = sum(weights)
    outcomes: list[BlockOutcome] = []
    done_objective = done_bound = offset  # blocks solved so far, for progress reports
    progress = [Progress(phase="solving")]
    for index, (block, start) in enumerate(zip(blocks, starts, strict=True)):
        share = max(settings.params.min_block_seconds, deadline.left() * weights[index] / left)
        left -= weights[index]
        if len(blocks) > 1:
            progress[0] = replace(progress[0], phase=f"block {index + 1}/{len(blocks)}")

        # The block's start may already obey every rule; else its first solver plan does.
        first: list[float | None] = [
            clock.seconds() if start is not None and obeys_rules(facts, block, start.plan) else None
        ]

        def tick(
            value: float | None,
            bound: float | None,
            solutions: int,
            done_objective: float = done_objective,
            done_bound: float = done_bound,
            progress: list[Progress] = progress,
            first: list[float | None] = first,
        ) -> None:
            if solutions > 0 and first[0] is None:
                first[0] = clock.seconds()
            now = progress[0]
            progress[0] = replace(
                now,
                elapsed=clock.seconds(),
                solutions=solutions,
                objective=now.objective if value is None else done_objective + value,
                bound=now.bound if bound is None else done_bound + bound,
            )
            if on_progress is not None:
                on_progress(progress[0])

        outcome = solve_block(facts, block, start, Deadline.after(share), settings, tick)
        if outcome.has_plan:
            found = first[0] if first[0] is not None else clock.seconds()
            outcome = replace(outcome, first_plan_at=found)
        outcomes.append(outcome)
        # Blocks left by the search alone have no solver objective: recomputed from the plan.
        shown = outcome.plan or (start.plan if start is not None else {})
        done_objective += block.objective(facts, shown)
        done_bound += outcome.bound or 0.0
        if outcome.interrupted or outcome.status == "INFEASIBLE" or stop_requested():
            break
    return outcomes


@dataclass
class _Run:
    """One solve's blocks and settings; puts their outcomes together into a checked
    solution."""

    facts: Facts
    blocks: list[Block]
    clock: Stopwatch
    time_limit: float
    settings: Settings

    @property
    def offset(self) -> float:
        return self.facts.pooled_move_cost

    def assemble(
        self,
        plan: Owners,
        start: Plan | None,
        outcomes: list[BlockOutcome],
        explanation: list[str] | None = None,
    ) -> SolveResult:
        facts, instance = self.facts, self.facts.instance
        per_block: list[BlockOutcome | None] = [*outcomes, *[None] * len(self.blocks)]
        per_block = per_block[: len(self.blocks)]
        infeasible = any(o.status == "INFEASIBLE" for o in outcomes)
        fallback = [
            b for b, o in zip(self.blocks, per_block, strict=True) if o is None or not o.has_plan
        ]
        status: Status
        if infeasible:
            status = "INFEASIBLE"
        elif not fallback:
            status = "OPTIMAL" if all(o.status == "OPTIMAL" for o in outcomes) else "FEASIBLE"
        else:
            # Blocks without a solver plan keep the starting plan if it obeys every rule.
            status = "UNKNOWN"
            if start is not None:
                for block in fallback:
                    for account_id in block.accounts:
                        plan[account_id] = start.get(account_id)
                if facts.checker.check(plan).feasible:
                    status = "FEASIBLE"
        interrupted = any(o.interrupted for o in outcomes) or stop_requested()
        solution = Solution(
            instance=instance.name,
            instance_hash=instance_hash(instance),
            status=status,
            objective=None,
            bound=None,
            gap=None,
            solve_seconds=round(self.clock.seconds(), 3),
            effective_date=facts.effective_date,
            parameters=self._parameters(outcomes, fallback),
            interrupted=interrupted,
            explanation=explanation or self._unplanned_lines(fallback, per_block, status),
            weights={t: getattr(instance.policy.weights, t) for t in TERMS},
        )
        if status not in ("OPTIMAL", "FEASIBLE"):
            unplanned = tuple(fallback) if status == "UNKNOWN" else ()
            return SolveResult(solution, None, facts.instance, unplanned)
        report = facts.checker.check(plan)
        # Blocks never reached (Ctrl-C) or without a solver bound count with the bound that
        # needs no solve, so an interrupted plan still reports a proven (if weak) gap.
        bounds = [
            o.bound if o is not None and o.bound is not None else bound_without_search(facts, b)
            for b, o in zip(self.blocks, per_block, strict=True)
        ]
        return SolveResult(
            solution=self._with_plan(solution, plan, report, per_block, bounds, fallback, outcomes),
            report=report,
            instance=facts.instance,
        )

    def _unplanned_lines(
        self, fallback: list[Block], per_block: list[BlockOutcome | None], status: Status
    ) -> list[str]:
        """Why a run ended without a complete plan: the blocks that had none."""
        if status != "UNKNOWN":
            return []
        lines = []
        for block in fallback:
            outcome = per_block[self.blocks.index(block)]
            segments = ", ".join(sorted({str(self.facts.segment_of[a]) for a in block.accounts}))
            csms = sorted(block.csms)
            shown = ", ".join(csms[:6]) + (f" and {len(csms) - 6} more" if len(csms) > 6 else "")
            when = (
                "was not reached before the run stopped"
                if outcome is None
                else f"found no plan in its {outcome.seconds:.1f} s"
            )
            lines.append(
                f"the block of {len(block.accounts)} accounts ({segments}) and "
                f"{len(csms)} CSMs ({shown}) {when}; no plan is proven impossible — "
                "give more time, or run `allocate explain`"
            )
        return lines

    def _parameters(
        self, outcomes: list[BlockOutcome], fallback: list[Block]
    ) -> dict[str, float | int | str | bool]:
        settings, facts = self.settings, self.facts
        helped = [h for o in outcomes for h in o.helped]
        parameters: dict[str, float | int | str | bool] = {
            "time_limit": self.time_limit,
            "workers": settings.workers,
            "seed": settings.seed,
            "deterministic": settings.deterministic,
            "solver": "CP-SAT"
            + (" + HiGHS" if any(h in ("plan", "bound") for h in helped) else "")
            + (" + Lagrangian bound" if "lagrangian bound" in helped else ""),
            "blocks": len(self.blocks),
            "blocks_with_highs_plan": sum("plan" in o.helped for o in outcomes),
            "blocks_with_highs_bound": sum("bound" in o.helped for o in outcomes),
            "blocks_with_lagrangian_bound": sum("lagrangian bound" in o.helped for o in outcomes),
            "blocks_without_solver_plan": len(fallback),
            "variables": sum(len(facts.eligibility.allowed[a]) for a in facts.named_accounts),
        }
        firsts = [o.first_plan_at for o in outcomes]
        if len(outcomes) == len(self.blocks) and all(t is not None for t in firsts):
            # a complete plan exists once the last block has one
            # (no blocks at all: every account pooled, the plan exists at once)
            parameters["first_plan_seconds"] = round(
                max((t or 0.0 for t in firsts), default=0.0), 2
            )
        for name, value in settings.params.changed().items():
            parameters[f"param.{name}"] = value
        return parameters

    def _with_plan(
        self,
        solution: Solution,
        plan: Owners,
        report: CheckReport,
        per_block: list[BlockOutcome | None],
        bounds: list[float],
        fallback: list[Block],
        outcomes: list[BlockOutcome],
    ) -> Solution:
        facts = self.facts
        status = solution.status
        violations = list(report.violations)
        if all(o.objective is not None for o in outcomes) and not fallback:
            solver_objective = self.offset + sum(o.objective or 0.0 for o in outcomes)
            violations += _objective_disagreement(status, solver_objective, report.objective)
        bound = min(self.offset + sum(bounds), report.objective)
        parameters = dict(solution.parameters)
        if facts.fewest_moves:  # the plan's voluntary moves against the proven fewest
            fewest = _fewest_voluntary(facts, self.blocks, per_block)
            parameters["fewest_voluntary_moves"] = fewest
            parameters["fewest_moves_proven"] = report.moves - report.forced_moves <= fewest
        forced = facts.eligibility.forced_move | {a for a in plan if facts.is_pooled(a)}
        return solution.model_copy(
            update={
                "parameters": parameters,
                "objective": report.objective,
                "bound": bound,
                "gap": 0.0 if status == "OPTIMAL" else relative_gap(report.objective, bound),
                "terms": report.terms,
                "violations": violations,
                "moves": report.moves,
                "forced_moves": report.forced_moves,
                "assignments": assignment_rows(facts, plan, forced),
                "csm_summary": csm_rows(facts, plan),
                "segment_summary": segment_rows(facts, plan),
                "block_summary": block_rows(facts, self.blocks, per_block, bounds, plan),
            }
        )


def _fewest_voluntary(
    facts: Facts, blocks: list[Block], outcomes: list[BlockOutcome | None]
) -> int:
    """The fewest voluntary moves any plan can make (proven), summed over the blocks: the
    fewest-moves pass's proof where it ran, else the quick move bound's."""
    total = 0
    for block, outcome in zip(blocks, outcomes, strict=True):
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
    if recomputed > solver + tolerance or (
        status == "OPTIMAL" and abs(recomputed - solver) > tolerance
    ):
        return [
            Violation(
                rule="objective",
                subject="plan",
                message=f"solver objective {solver} != recomputed {recomputed}",
            )
        ]
    return []
