"""A proven lower bound from the LP relaxation of the whole model (GLOP via math_opt).

CP-SAT's own bound on a block of tens of thousands of variables can stay near zero for
the whole time limit; the LP relaxation of the same model is a valid lower bound that GLOP
computes in seconds. The relaxation is built by `mip_baseline.build_mip`, which mirrors the
CP-SAT rules one by one (and is cross-checked against them in the tests).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from allocator.mip_baseline import _objective, build_mip, to_mathopt
from allocator.prepared import Prepared

# GLOP's optimality tolerances are relative; step back by more than them so that the
# reported bound never exceeds the true LP optimum.
SAFETY = 1e-6


def lp_bound(data: Prepared, time_limit: float) -> float | None:
    """The LP relaxation's optimum in objective units, or None if GLOP did not prove it."""
    from ortools.math_opt.python import mathopt

    built = build_mip(data)
    m = to_mathopt(built.model, _objective(data, built.model), relax=True)
    params = mathopt.SolveParameters(time_limit=dt.timedelta(seconds=max(0.1, time_limit)))
    result: Any = mathopt.solve(m, mathopt.SolverType.GLOP, params=params)
    if result.termination.reason != mathopt.TerminationReason.OPTIMAL:
        return None
    value = float(result.objective_value()) / 100  # hundredths -> objective units
    return value - SAFETY * max(1.0, abs(value))
