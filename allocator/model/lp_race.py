"""A block's LP relaxation solved by dual simplex and by the barrier at once, in two
forked processes: whichever answers first is used and the other is ended.

Neither algorithm wins everywhere on the tight GAP sets at 1,600 accounts x 80 CSMs:
dual simplex solves type C in 1.9 s where the barrier takes 4.5 s, and type E in 6.1 s
where the barrier takes 2.4 s (`benchmarks/NOTES.md`, issue 16). Processes, not
threads: HiGHS through MathOpt ignores the solve interrupter, so the loser can only be
stopped by ending its process. Without fork, or with one core, dual simplex alone runs
in this process.
"""

from __future__ import annotations

import multiprocessing as mp
import signal
from multiprocessing.connection import Connection, wait
from typing import Any, cast

from ortools.math_opt.python import mathopt

from allocator.deadline import Deadline
from allocator.model.mathopt import Affine, LinearModel, LpOutcome, solve_built, to_mathopt
from allocator.parameters import available_cpus

ALGORITHMS = (mathopt.LPAlgorithm.DUAL_SIMPLEX, mathopt.LPAlgorithm.BARRIER)


def _racer(m: Any, algorithm: Any, time_limit: float, conn: Connection) -> None:
    for stop in (signal.SIGINT, signal.SIGTERM):  # the parent decides when to stop
        signal.signal(stop, signal.SIG_IGN)
    try:
        outcome: LpOutcome | None = solve_built(m, time_limit, lp_algorithm=algorithm)
    except Exception:  # the other racer may still answer
        outcome = None
    conn.send(outcome)
    conn.close()


def solve_lp(
    model: LinearModel, objective: Affine, time_limit: float, race: bool = True
) -> LpOutcome:
    """The LP relaxation of `model`: values of an optimal basic solution (both algorithms
    end with one: the barrier crosses over), its objective and the dual bound. Without
    `race`, dual simplex alone: the same basis every time, where a race returns the
    winner's (the LP may have several optimal bases)."""
    deadline = Deadline.after(time_limit)
    m = to_mathopt(model, objective, relax=True)
    if not race or available_cpus() < 2 or "fork" not in mp.get_all_start_methods():
        return solve_built(m, deadline.left(), lp_algorithm=ALGORITHMS[0])
    context = mp.get_context("fork")
    racers: dict[Connection, Any] = {}
    try:
        for algorithm in ALGORITHMS:
            conn, child_end = context.Pipe(duplex=False)
            process = context.Process(
                target=_racer, args=(m, algorithm, deadline.left(), child_end), daemon=True
            )
            process.start()
            child_end.close()
            racers[conn] = process
        waiting = list(racers)
        while waiting and not deadline.expired():
            for ready in wait(waiting, timeout=min(0.25, max(0.01, deadline.left()))):
                conn = cast(Connection, ready)
                waiting.remove(conn)
                try:
                    outcome: LpOutcome | None = conn.recv()
                except EOFError:  # the racer died without an answer
                    continue
                if outcome is not None and outcome.status != "UNKNOWN":
                    return outcome
        return LpOutcome("UNKNOWN", None, None, None)
    finally:
        for conn, process in racers.items():
            if process.is_alive():
                process.kill()
            process.join()
            conn.close()
