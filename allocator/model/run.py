"""Running one CP-SAT model: in a worker thread, with progress and Ctrl-C handling."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

from ortools.sat.python import cp_model

from allocator.interrupts import stop_requested


@dataclass
class Incumbent:
    """The latest plan value and bound seen by the callback, in the solver's integer units."""

    objective: float | None = None
    bound: float | None = None
    solutions: int = 0


class _Watcher(cp_model.CpSolverSolutionCallback):
    def __init__(self, incumbent: Incumbent):
        super().__init__()
        self._incumbent = incumbent

    def on_solution_callback(self) -> None:
        self._incumbent.solutions += 1
        self._incumbent.objective = self.objective_value
        self._incumbent.bound = self.best_objective_bound


@dataclass
class RunOutcome:
    solver: cp_model.CpSolver | None  # None when the search never ran
    status: object
    interrupted: bool


def run_cpsat(
    model: cp_model.CpModel,
    time_limit: float,
    workers: int,
    seed: int,
    log: bool = False,
    on_tick: Callable[[Incumbent], None] | None = None,
    tick: float = 0.5,
    deterministic: bool = False,
    stop_when: Callable[[], bool] | None = None,
) -> RunOutcome:
    """Solve in a background thread so that Ctrl-C (KeyboardInterrupt in the main thread)
    stops the search cleanly and the best plan so far is kept.

    One worker is reproducible as it is; with more, `deterministic` interleaves the
    portfolio in fixed batches (reproducible, but several times slower).
    `stop_when` is polled every tick; once true the search stops (another solver has
    proven the answer).
    """
    solver = cp_model.CpSolver()
    params = solver.parameters
    params.max_time_in_seconds = max(0.01, time_limit)
    params.num_workers = workers
    params.random_seed = seed
    params.log_search_progress = log
    params.interleave_search = deterministic and workers > 1
    # CP-SAT would otherwise swallow Ctrl-C itself and end only this solve; we want it to
    # reach Python so that the whole run stops and keeps its best plan.
    params.catch_sigint_signal = False
    incumbent = Incumbent()
    watcher = _Watcher(incumbent)
    outcome: dict[str, object] = {}
    finished = threading.Event()

    def run() -> None:
        try:
            outcome["status"] = solver.solve(model, watcher)
        except BaseException as error:  # reported through `outcome`
            outcome["error"] = error
        finally:
            finished.set()

    thread = threading.Thread(target=run, daemon=True)
    interrupted = False
    thread.start()
    # An Event, not thread.join: on Python 3.11 a Ctrl-C landing inside join() can leave
    # is_alive() False while the search still runs, and the plan found so far was lost.
    while not finished.is_set():
        try:
            finished.wait(tick)
            if on_tick is not None and not interrupted:
                on_tick(incumbent)
            if stop_when is not None and stop_when():
                stop_when = None
                solver.stop_search()
            if stop_requested() and not interrupted:
                interrupted = True  # a stop signal (`allocator.interrupts`): keep the plan
                solver.stop_search()
        except KeyboardInterrupt:
            interrupted = True  # stop, then keep waiting: the plan so far is in `solver`
            solver.stop_search()
    if "status" not in outcome:
        if interrupted:  # stopped before the search had started: no answer, no plan
            return RunOutcome(solver=None, status=cp_model.UNKNOWN, interrupted=True)
        raise RuntimeError(f"CP-SAT failed: {outcome.get('error')!r}")
    return RunOutcome(solver=solver, status=outcome["status"], interrupted=interrupted)
