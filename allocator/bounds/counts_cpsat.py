"""The counts model (`class_model.py`) solved by CP-SAT, for its plan.

On blocks whose books hold a few large accounts, HiGHS's plans on the counts model are far
off: on bench-L's 1,285-account Global block its plan was 1,186.8 with families free
against a starting plan of 929.2, and 1,124.5 after 60 s with families pinned. CP-SAT with
two workers (its LP search and its neighbourhood searches) on the pinned model: 476.0 and
481.0 in 10 s (seeds 1, 2), 466.8 in 15 s; with one worker 519.0 in 30 s, with four
1,332.3 in 10 s. The neighbourhood search on the assignment model: 499 in 26 s.
"""

from __future__ import annotations

import math

from ortools.sat.python import cp_model

from allocator.model.mip import _Affine, _Model
from allocator.model.context import WEIGHT_RESOLUTION

WORKERS = 2


def solve_with_cpsat(model: _Model, objective: _Affine, time_limit: float,
                     seed: int = 0) -> list[float] | None:
    """The best values CP-SAT finds for `model` within `time_limit`, or None. Every row's
    coefficients are whole numbers (efforts in hundredths, counts); the objective's are
    weights of 0.001 resolution times whole numbers, scaled to integers. No hint: the
    starting plan's counts as a hint steered it to 741-795 on the Global block above
    (three runs), where without one three runs gave 457, 463 and 1,009."""
    cp = cp_model.CpModel()
    top = sum(abs(u) for u in model.upper if math.isfinite(u)) * 1000 + 10**6
    variables = [cp.new_int_var(math.ceil(lo), math.floor(min(hi, top)), name)
                 for name, lo, hi in zip(model.names, model.lower, model.upper, strict=True)]
    for coefs, lower, upper in model.rows:
        expr = cp_model.LinearExpr.weighted_sum(
            [variables[i] for i in coefs], [round(c) for c in coefs.values()])
        if math.isfinite(lower):
            cp.add(expr >= math.ceil(lower - 1e-9))
        if math.isfinite(upper):
            cp.add(expr <= math.floor(upper + 1e-9))
    cp.minimize(cp_model.LinearExpr.weighted_sum(
        [variables[i] for i in objective.coefs],
        [round(c * WEIGHT_RESOLUTION) for c in objective.coefs.values()]))
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(0.1, time_limit)
    solver.parameters.num_workers = WORKERS
    solver.parameters.random_seed = seed
    solver.parameters.catch_sigint_signal = False
    status = solver.solve(cp)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None
    return [float(solver.value(v)) for v in variables]
