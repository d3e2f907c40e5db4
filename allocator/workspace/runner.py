"""Solving in the background: each run in its own process, watched by a thread that
stores its progress and its checked plan; cancelling stops the solve the way Ctrl-C does,
keeping the best plan found."""

from __future__ import annotations

import datetime as dt
import json
import multiprocessing
import os
import signal
import threading
import traceback
from multiprocessing.connection import Connection
from typing import Any

from allocator.checker.audit import audit
from allocator.interrupts import handling_stops
from allocator.pipeline import Progress, solve
from allocator.schema import Instance, Solution, relative_gap
from allocator.workspace.store import Run, Store


def _child(conn: Connection, instance_json: str, time_limit: float, pins: dict[str, str]) -> None:
    def report(progress: Progress) -> None:
        conn.send(("progress", progress.objective, progress.bound, progress.elapsed))

    try:
        with handling_stops():
            result = solve(
                Instance.model_validate_json(instance_json),
                time_limit=time_limit,
                pins=pins or None,
                on_progress=report,
            )
        conn.send(("done", result.solution.model_dump_json()))
    except BaseException as error:  # reported as the run's failure
        conn.send(("error", traceback.format_exception_only(type(error), error)[-1].strip()))
    finally:
        conn.close()


class Runner:
    """Starts runs and tracks their processes."""

    def __init__(self, store: Store):
        self.store = store
        self.context = multiprocessing.get_context("spawn")
        self.processes: dict[int, Any] = {}
        self.lock = threading.Lock()

    def start(self, run_id: int) -> None:
        with self.store.session() as session:
            run = session.get(Run, run_id)
            assert run is not None
            instance_json, time_limit = run.instance_json, run.time_limit
            pins = json.loads(run.pins_json)
        parent, child = self.context.Pipe(duplex=False)
        # not a daemon: with two or more workers the solve starts its HiGHS companion
        process = self.context.Process(target=_child, args=(child, instance_json, time_limit, pins))
        process.start()
        child.close()
        with self.lock:
            self.processes[run_id] = process
        self._update(run_id, status="running", pid=process.pid)
        threading.Thread(target=self._watch, args=(run_id, parent, process), daemon=True).start()

    def cancel(self, run_id: int) -> bool:
        """Stop a running solve; it still stores the best plan it found."""
        with self.lock:
            process = self.processes.get(run_id)
        if process is None or not process.is_alive():
            return False
        self._update(run_id, status="cancelling")
        os.kill(process.pid, signal.SIGINT)
        return True

    def _update(self, run_id: int, **fields: Any) -> None:
        with self.store.session() as session:
            run = session.get(Run, run_id)
            if run is None:
                return
            for key, value in fields.items():
                setattr(run, key, value)
            session.add(run)

    def _watch(self, run_id: int, conn: Connection, process: Any) -> None:
        solution_json = ""
        error = ""
        try:
            while True:
                try:
                    message = conn.recv()
                except EOFError:
                    error = error or "the solving process ended without a result"
                    break
                if message[0] == "progress":
                    _, objective, bound, elapsed = message
                    gap = relative_gap(objective, bound)
                    text = (
                        f"{elapsed:.1f} s: plan "
                        + ("none yet" if objective is None else f"{objective:,.2f}")
                        + ("" if bound is None else f", bound {bound:,.2f}")
                        + ("" if gap is None else f", gap {gap:.2%}")
                    )
                    self._update(run_id, progress=text)
                elif message[0] == "done":
                    solution_json = message[1]
                    error = ""
                    break
                else:
                    error = str(message[1])
                    break
        finally:
            process.join(timeout=10)
            with self.lock:
                self.processes.pop(run_id, None)
            self._finish(run_id, solution_json, error)

    def _finish(self, run_id: int, solution_json: str, error: str) -> None:
        with self.store.session() as session:
            run = session.get(Run, run_id)
            if run is None:
                return
            cancelled = run.status == "cancelling"
            run.finished = dt.datetime.now(dt.UTC).replace(microsecond=0)
            run.pid = None
            if not solution_json:
                run.status = "failed"
                run.error = error
                session.add(run)
                return
            solution = Solution.model_validate_json(solution_json)
            instance = Instance.model_validate_json(run.instance_json)
            run.plan_status = solution.status
            run.solution_json = solution_json
            if solution.assignments:
                verdict = audit(instance, solution)  # the independent checker, every run
                run.checker = "clean" if verdict.clean else f"{len(verdict.violations)} violations"
                run.objective, run.bound, run.gap = solution.objective, solution.bound, solution.gap
            else:
                run.checker = "no plan"
                run.error = "; ".join(solution.explanation[:3])
            run.status = "cancelled" if cancelled else "done"
            session.add(run)
