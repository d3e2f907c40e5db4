"""Where scenarios run: as Ray tasks (a local cluster started for the run, or an existing
one at `address`), or, without Ray installed, in local processes.

Both engines run the same task function on instance data (JSON), never on model objects,
keep at most `slots` tasks running, give each task `cpus` CPUs (CP-SAT gets as many
workers), and kill a task past its hard deadline: Ray by forced cancellation, the local
engine by killing the process. A task that fails, dies or is killed is reported as that
scenario's failure; the others go on.
"""

from __future__ import annotations

import importlib.util
import logging
import multiprocessing
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

from allocator.interrupts import stop_requested
from allocator.parameters import DEFAULT_WORKERS
from allocator.pipeline import solve
from allocator.schema.instance import Instance

POLL_SECONDS = 0.2


@dataclass(frozen=True)
class Task:
    """One scenario to solve: its instance as JSON data and its limits."""

    name: str
    instance: dict[str, Any]
    time_limit: float
    cpus: int
    seed: int
    hard_deadline: float
    """Seconds from the task's start after which the engine kills it."""


@dataclass(frozen=True)
class TaskOutcome:
    """A task's result: the solution as JSON text, or why there is none."""

    name: str
    solution_json: str | None
    error: str
    seconds: float


def solve_task(instance: dict[str, Any], time_limit: float, cpus: int, seed: int) -> str:
    """The task body, on any engine: solve one scenario; the solution as JSON."""
    result = solve(
        Instance.model_validate(instance),
        time_limit=time_limit,
        workers=cpus,
        seed=seed,
        deterministic=cpus > 1,
    )
    return result.solution.model_dump_json()


def ray_available() -> bool:
    return importlib.util.find_spec("ray") is not None


Events = Callable[[str, str], None]
"""Called with (scenario, event): 'started', 'done', 'failed: ...'."""


class _Running:
    def __init__(self, task: Task, handle: Any):
        self.task = task
        self.handle = handle
        self.started = time.monotonic()

    def overdue(self) -> bool:
        return time.monotonic() - self.started > self.task.hard_deadline

    def seconds(self) -> float:
        return round(time.monotonic() - self.started, 3)


def _schedule(
    tasks: list[Task],
    slots: int,
    start: Callable[[Task], Any],
    finished: Callable[[list[_Running]], list[tuple[_Running, TaskOutcome]]],
    kill: Callable[[_Running], None],
    on_event: Events,
) -> list[TaskOutcome]:
    """The loop both engines share: start up to `slots`, collect, kill the overdue."""
    waiting = list(tasks)
    running: list[_Running] = []
    outcomes: dict[str, TaskOutcome] = {}
    while waiting or running:
        while waiting and len(running) < slots and not stop_requested():
            task = waiting.pop(0)
            running.append(_Running(task, start(task)))
            on_event(task.name, "started")
        if stop_requested() and waiting:
            for task in waiting:
                outcomes[task.name] = TaskOutcome(
                    task.name, None, "not run: the sweep was stopped", 0
                )
                on_event(task.name, "failed: not run")
            waiting = []
        for run, outcome in finished(running):
            running.remove(run)
            outcomes[run.task.name] = outcome
            on_event(run.task.name, "done" if outcome.solution_json else f"failed: {outcome.error}")
        for run in [r for r in running if r.overdue()]:
            kill(run)
            running.remove(run)
            error = f"killed by the engine at its hard deadline ({run.task.hard_deadline:.0f} s)"
            outcomes[run.task.name] = TaskOutcome(run.task.name, None, error, run.seconds())
            on_event(run.task.name, f"failed: {error}")
        if running:
            time.sleep(POLL_SECONDS)
    return [outcomes[t.name] for t in tasks]


# --- local processes -------------------------------------------------------------------
def _local_child(conn: Connection, task: Task) -> None:
    try:
        text = solve_task(task.instance, task.time_limit, task.cpus, task.seed)
        conn.send(("ok", text))
    except BaseException as error:  # the parent reports it as this scenario's failure
        last = traceback.format_exception_only(type(error), error)[-1].strip()
        conn.send(("error", last))
    finally:
        conn.close()


def run_local(tasks: list[Task], slots: int, on_event: Events) -> list[TaskOutcome]:
    """Each task in its own process (spawned: a clean interpreter, as a Ray worker is)."""
    context = multiprocessing.get_context("spawn")

    def start(task: Task) -> tuple[Any, Connection]:
        parent, child = context.Pipe(duplex=False)
        process = context.Process(target=_local_child, args=(child, task), daemon=True)
        process.start()
        child.close()
        return process, parent

    def finished(running: list[_Running]) -> list[tuple[_Running, TaskOutcome]]:
        done = []
        for run in running:
            process, conn = run.handle
            if conn.poll():
                try:
                    kind, payload = conn.recv()
                except EOFError:
                    kind, payload = "error", "the worker process ended without a result"
                process.join(timeout=5)
                ok = kind == "ok"
                outcome = TaskOutcome(
                    run.task.name, payload if ok else None, "" if ok else payload, run.seconds()
                )
                done.append((run, outcome))
            elif not process.is_alive():
                error = f"the worker process died (exit code {process.exitcode})"
                done.append((run, TaskOutcome(run.task.name, None, error, run.seconds())))
        return done

    def kill(run: _Running) -> None:
        process, conn = run.handle
        process.kill()
        process.join(timeout=5)
        conn.close()

    return _schedule(tasks, slots, start, finished, kill, on_event)


# --- Ray ---------------------------------------------------------------------------------
def run_ray(
    tasks: list[Task], slots: int | None, on_event: Events, address: str | None = None
) -> tuple[list[TaskOutcome], int]:
    """Each task as a Ray task with `cpus` CPUs; a local cluster unless `address`. At most
    `slots` at once (default: the cluster's CPUs / the tasks' CPUs). Returns the outcomes
    and the slots used."""
    import ray  # the optional `cluster` extra: imported only when asked for

    cpus = max((t.cpus for t in tasks), default=1)
    started_here = not ray.is_initialized()
    if started_here:
        ray.init(
            address=address,
            num_cpus=None if address else max((slots or 1) * cpus, DEFAULT_WORKERS),
            include_dashboard=False,
            log_to_driver=False,
            logging_level=logging.ERROR,
        )
    if slots is None:
        resources = ray.cluster_resources()  # type: ignore[no-untyped-call]
        slots = max(1, int(resources.get("CPU", 1)) // cpus)
    remote = ray.remote(max_retries=0)(solve_task)

    def start(task: Task) -> Any:
        return remote.options(num_cpus=task.cpus).remote(
            task.instance, task.time_limit, task.cpus, task.seed
        )

    def finished(running: list[_Running]) -> list[tuple[_Running, TaskOutcome]]:
        if not running:
            return []
        refs = [r.handle for r in running]
        ready, _ = ray.wait(refs, num_returns=len(refs), timeout=0)
        done = []
        for run in running:
            if run.handle in ready:
                try:
                    text = ray.get(run.handle)
                    done.append((run, TaskOutcome(run.task.name, text, "", run.seconds())))
                except Exception as error:  # a task error is this scenario's failure
                    line = str(error).strip().splitlines()
                    cause = line[-1] if line else type(error).__name__
                    done.append((run, TaskOutcome(run.task.name, None, cause, run.seconds())))
        return done

    def kill(run: _Running) -> None:
        ray.cancel(run.handle, force=True)

    try:
        return _schedule(tasks, slots, start, finished, kill, on_event), slots
    finally:
        if started_here:
            ray.shutdown()
