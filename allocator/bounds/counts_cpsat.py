"""The counts model (`counts.py`) solved by CP-SAT, for its plan.

On blocks whose books hold a few large accounts, HiGHS's plans on the counts model are far
off, even worse than the start; CP-SAT with two workers (its LP search and its
neighbourhood searches) finds far better ones there (bench-L's Global block:
benchmarks/NOTES.md, "Fifth round").
"""

from __future__ import annotations

import math

from ortools.sat.python import cp_model

from allocator.model.cpsat import WEIGHT_RESOLUTION
from allocator.model.mathopt import Affine, LinearModel


def solve_with_cpsat(
    model: LinearModel, objective: Affine, time_limit: float, workers: int, seed: int = 0
) -> list[float] | None:
    """The best values CP-SAT finds for `model` within `time_limit`, or None. Every row's
    coefficients are whole numbers (efforts in hundredths, counts); the objective's are
    weights of 0.001 resolution times whole numbers, scaled to integers. No hint: the
    starting plan's counts as a hint steered it to worse plans (benchmarks/NOTES.md)."""
    cp = cp_model.CpModel()
    top = sum(abs(u) for u in model.upper if math.isfinite(u)) * 1000 + 10**6
    variables = [
        cp.new_int_var(math.ceil(lo), math.floor(min(hi, top)), name)
        for name, lo, hi in zip(model.names, model.lower, model.upper, strict=True)
    ]
    for coefs, lower, upper in model.rows:
        expr = cp_model.LinearExpr.weighted_sum(
            [variables[i] for i in coefs], [round(c) for c in coefs.values()]
        )
        if math.isfinite(lower):
            cp.add(expr >= math.ceil(lower - 1e-9))
        if math.isfinite(upper):
            cp.add(expr <= math.floor(upper + 1e-9))
    cp.minimize(
        cp_model.LinearExpr.weighted_sum(
            [variables[i] for i in objective.coefs],
            [round(c * WEIGHT_RESOLUTION) for c in objective.coefs.values()],
        )
    )
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(0.1, time_limit)
    solver.parameters.num_workers = workers
    solver.parameters.random_seed = seed
    solver.parameters.catch_sigint_signal = False
    status = solver.solve(cp)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None
    return [float(solver.value(v)) for v in variables]
