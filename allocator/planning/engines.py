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
import os
import signal
import time
import traceback
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

from allocator.interrupts import handling_stops, stop_requested
from allocator.parameters import DEFAULT_WORKERS
from allocator.pipeline import solve
from allocator.schema.instance import Instance

POLL_SECONDS = 0.2
NOT_RUN = "not run: the sweep was stopped"


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
Outcomes = Callable[[TaskOutcome], None]
"""Called with each task's outcome as soon as it is known (the sweep writes its plan)."""


class _Running:
    def __init__(self, task: Task, handle: Any):
        self.task = task
        self.handle = handle
        self.started = time.monotonic()
        self.interrupted = False

    def overdue(self) -> bool:
        return time.monotonic() - self.started > self.task.hard_deadline

    def seconds(self) -> float:
        return round(time.monotonic() - self.started, 3)


class _Backend(ABC):
    """What an engine does; `_schedule` decides when."""

    @abstractmethod
    def start(self, task: Task) -> Any: ...

    @abstractmethod
    def finished(self, running: list[_Running]) -> list[tuple[_Running, TaskOutcome]]: ...

    @abstractmethod
    def interrupt(self, run: _Running) -> None:
        """Ask the task to stop and return its best plan (as Ctrl-C does a solve)."""

    @abstractmethod
    def kill(self, run: _Running) -> None: ...


def _schedule(
    tasks: list[Task],
    slots: int,
    backend: _Backend,
    on_event: Events,
    on_outcome: Outcomes | None,
) -> list[TaskOutcome]:
    """The loop both engines share: start up to `slots`, collect, kill the overdue. After
    Ctrl-C (or SIGTERM) no task starts and the running ones are asked to stop, keeping
    their best plans."""
    waiting = list(tasks)
    running: list[_Running] = []
    outcomes: dict[str, TaskOutcome] = {}

    def record(outcome: TaskOutcome, event: str) -> None:
        outcomes[outcome.name] = outcome
        on_event(outcome.name, event)
        if on_outcome is not None:
            on_outcome(outcome)

    while waiting or running:
        while waiting and len(running) < slots and not stop_requested():
            task = waiting.pop(0)
            running.append(_Running(task, backend.start(task)))
            on_event(task.name, "started")
        if stop_requested():
            for task in waiting:
                record(TaskOutcome(task.name, None, NOT_RUN, 0), f"failed: {NOT_RUN}")
            waiting = []
            for run in running:
                if not run.interrupted:
                    run.interrupted = True
                    backend.interrupt(run)
        for run, outcome in backend.finished(running):
            running.remove(run)
            record(outcome, "done" if outcome.solution_json else f"failed: {outcome.error}")
        for run in [r for r in running if r.overdue()]:
            backend.kill(run)
            running.remove(run)
            error = f"killed by the engine at its hard deadline ({run.task.hard_deadline:.0f} s)"
            record(TaskOutcome(run.task.name, None, error, run.seconds()), f"failed: {error}")
        if running:
            time.sleep(POLL_SECONDS)
    return [outcomes[t.name] for t in tasks]


# --- local processes -------------------------------------------------------------------
def _local_child(conn: Connection, task: Task) -> None:
    try:
        with handling_stops():  # SIGINT from the parent stops the solve, keeping its plan
            text = solve_task(task.instance, task.time_limit, task.cpus, task.seed)
        conn.send(("ok", text))
    except BaseException as error:  # the parent reports it as this scenario's failure
        last = traceback.format_exception_only(type(error), error)[-1].strip()
        conn.send(("error", last))
    finally:
        conn.close()


class _Local(_Backend):
    """Each task in its own process (spawned: a clean interpreter, as a Ray worker is)."""

    def __init__(self) -> None:
        self.context = multiprocessing.get_context("spawn")

    def start(self, task: Task) -> Any:
        parent, child = self.context.Pipe(duplex=False)
        # not a daemon: with two or more CPUs the solve starts its HiGHS companion
        process = self.context.Process(target=_local_child, args=(child, task))
        process.start()
        child.close()
        return process, parent

    def finished(self, running: list[_Running]) -> list[tuple[_Running, TaskOutcome]]:
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

    def interrupt(self, run: _Running) -> None:
        process, _ = run.handle
        if process.is_alive():
            os.kill(process.pid, signal.SIGINT)

    def kill(self, run: _Running) -> None:
        process, conn = run.handle
        process.kill()
        process.join(timeout=5)
        conn.close()


def run_local(
    tasks: list[Task], slots: int, on_event: Events, on_outcome: Outcomes | None = None
) -> list[TaskOutcome]:
    """Each task in its own local process, at most `slots` at once."""
    return _schedule(tasks, slots, _Local(), on_event, on_outcome)


# --- Ray ---------------------------------------------------------------------------------
class _Ray(_Backend):
    def __init__(self, ray: Any):
        self.ray = ray
        self.remote = ray.remote(max_retries=0)(solve_task)

    def start(self, task: Task) -> Any:
        return self.remote.options(num_cpus=task.cpus).remote(
            task.instance, task.time_limit, task.cpus, task.seed
        )

    def finished(self, running: list[_Running]) -> list[tuple[_Running, TaskOutcome]]:
        if not running:
            return []
        refs = [r.handle for r in running]
        ready, _ = self.ray.wait(refs, num_returns=len(refs), timeout=0)
        done = []
        for run in running:
            if run.handle in ready:
                try:
                    text = self.ray.get(run.handle)
                    done.append((run, TaskOutcome(run.task.name, text, "", run.seconds())))
                except Exception as error:  # a task error is this scenario's failure
                    lines = str(error).strip().splitlines()
                    cause = lines[-1] if lines else type(error).__name__
                    done.append((run, TaskOutcome(run.task.name, None, cause, run.seconds())))
        return done

    def interrupt(self, run: _Running) -> None:
        self.ray.cancel(run.handle, force=False)  # a KeyboardInterrupt in the task

    def kill(self, run: _Running) -> None:
        self.ray.cancel(run.handle, force=True)


def run_ray(
    tasks: list[Task],
    slots: int | None,
    on_event: Events,
    address: str | None = None,
    on_outcome: Outcomes | None = None,
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
    try:
        return _schedule(tasks, slots, _Ray(ray), on_event, on_outcome), slots
    finally:
        if started_here:
            ray.shutdown()
