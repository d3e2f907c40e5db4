"""The model solved as a MIP by HiGHS (or SCIP): a block's plan and proven bound, or the
LP relaxation's bound.

Used beside CP-SAT by the companion (`allocator.pipeline.companion`) and, on the whole
book, as the benchmarks' MIP baseline. The reported objective is the checker's for the
plan (a time limit can stop the solver with slack in its auxiliary variables);
`solver_objective` is what the solver itself reported.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any, Literal

from allocator.checker import Checker
from allocator.deadline import Stopwatch
from allocator.facts import UNITS, Block, Facts
from allocator.model.mathopt import (
    LpOutcome,
    MathOptForm,
    Status,
    build_mip,
    highs_available,
    solve_highs,
    solve_scip,
)
from allocator.schema.instance import Instance, effective_date_of
from allocator.schema.plan import Owners

SolverName = Literal["highs", "scip"]
LP_SAFETY = 1e-6
"""An LP optimum is trusted as a bound only this far (relative) below the reported value,
beyond the solvers' optimality tolerances."""


@dataclass
class MipResult:
    """A MIP solve's outcome; `owners` is empty when no plan was found."""

    status: Status
    objective: float | None
    bound: float | None
    seconds: float
    owners: Owners
    solver: str = "highs"
    solver_objective: float | None = None


def solve_mip(
    instance: Instance,
    time_limit: float,
    effective_date: dt.date | None = None,
    solver: SolverName | str = "highs",
) -> MipResult:
    """The whole book as one MIP (HiGHS, else SCIP): the benchmarks' baseline.

    `solver` is "highs" (SCIP when HiGHS is unavailable) or "scip". Objective and bound
    are in natural units, comparable with CP-SAT's and the checker's.
    """
    if solver not in ("highs", "scip"):
        raise ValueError(f"unknown MIP solver {solver!r}; use 'highs' or 'scip'")
    effective = effective_date or effective_date_of(instance)
    used: SolverName = "highs" if solver == "highs" and highs_available() else "scip"
    return solve_block_mip(
        Facts(instance, effective), Checker(instance, effective), None, time_limit, solver=used
    )


def _natural(bound: float, integral: bool) -> float:
    """A bound in weighted hundredths as one in the objective's natural units; rounded up
    when every plan's value is `integral` (a whole number)."""
    if integral:
        bound = math.ceil(bound - 1e-6)
    return bound / UNITS


def relaxation_bound(outcome: LpOutcome, integral: bool) -> float | None:
    """The proven bound an LP relaxation's outcome gives, in natural units: only an
    optimal LP value is one, stepped back past the LP's tolerances. `integral`: every
    plan's value is a whole number (`LinearModel.integral`)."""
    if outcome.status != "OPTIMAL" or outcome.objective is None:
        return None
    value = outcome.objective
    return _natural(value - LP_SAFETY * max(1.0, abs(value)), integral)


def solve_block_mip(
    facts: Facts,
    checker: Checker,
    block: Block | None,
    time_limit: float,
    solver: SolverName = "highs",
    interrupter: Any = None,
    form: MathOptForm | None = None,
    relax: bool = False,
) -> MipResult:
    """One block (or, with None, the whole book) as a MIP; `interrupter` (a MathOpt
    SolveInterrupter, HiGHS only) stops it early with the best plan and bound so far.
    `form` is the block's `build_mip`, when the caller already has it. With `relax`
    (HiGHS only), the LP relaxation: a proven bound when it solves, and no plan."""
    clock = Stopwatch.start()
    form = form or build_mip(facts, block)
    objective = form.weighted_objective()
    remaining = time_limit - clock.seconds()
    if solver == "highs":
        outcome = solve_highs(form.model, objective, remaining, interrupter, relax=relax)
    else:
        outcome = solve_scip(form.model, objective, remaining)
    result = MipResult(
        status=outcome.status,
        objective=None,
        bound=None,
        seconds=round(clock.seconds(), 3),
        owners={},
        solver=solver,
    )
    integral = form.model.integral(objective)
    if relax:
        result.status = "UNKNOWN"
        result.bound = relaxation_bound(outcome, integral)
        outcome.values = None
    elif outcome.bound is not None and outcome.status != "INFEASIBLE":
        result.bound = _natural(outcome.bound, integral)
    if outcome.values is None:
        return result
    accounts = list(checker.reading.accounts) if block is None else list(block.accounts)
    owners: Owners = dict.fromkeys(accounts)
    for (account_id, csm_id), var in form.x.items():
        if outcome.values[var] > 0.5:
            owners[account_id] = csm_id
    result.owners = owners
    result.objective = checker.block_objective(owners, accounts, form.csms)
    result.solver_objective = outcome.objective / UNITS if outcome.objective is not None else None
    if result.bound is not None:
        result.bound = min(result.bound, result.objective)
    return result
