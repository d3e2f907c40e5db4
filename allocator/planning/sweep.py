"""Scenario sweeps: solve every scenario of a file as an independent task, re-check each
plan with the checker, write each to DIR/<scenario>/ and the comparison to
DIR/comparison.csv and DIR/comparison.html."""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal

from allocator.checker.audit import audit
from allocator.io import OutputError, write_atomic, write_text_atomic
from allocator.io.plan_folder import probe
from allocator.io.tables import write_table
from allocator.parameters import available_cpus
from allocator.pipeline import SolveResult
from allocator.planning.comparison import (
    ComparisonRow,
    comparison_frame,
    comparison_page,
    comparison_row,
)
from allocator.planning.engines import Events, Task, TaskOutcome, ray_available, run_local, run_ray
from allocator.planning.scenarios import read_scenarios
from allocator.schema.instance import Instance
from allocator.schema.solution import Solution

Engine = Literal["auto", "ray", "local"]
DEADLINE_MARGIN = 2.0
"""A task is killed past this multiple of its time limit, plus `DEADLINE_SLACK` seconds:
CP-SAT stops itself at the limit; this catches a task that does not."""
DEADLINE_SLACK = 60.0
NO_PLAN = "no plan"


@dataclass
class SweepResult:
    """What a sweep produced: a comparison row per scenario, and where files went."""

    engine: str
    slots: int
    rows: list[ComparisonRow] = field(default_factory=list)
    written: list[Path] = field(default_factory=list)
    wall_seconds: float = 0.0

    @property
    def failed(self) -> list[str]:
        """Scenarios without an answer: no plan in the time, or the task failed. A proven
        INFEASIBLE is an answer (the comparison says why)."""
        return [
            r.scenario for r in self.rows if r.status not in ("OPTIMAL", "FEASIBLE", "INFEASIBLE")
        ]


def pick_engine(engine: Engine, address: str | None) -> str:
    """'ray' when asked or installed, else 'local'; asking for Ray without it is an error."""
    if engine == "ray" or address is not None:
        if not ray_available():
            raise RuntimeError(
                "Ray is not installed: pip install -e '.[cluster]' (or use --engine local)"
            )
        return "ray"
    if engine == "local":
        return "local"
    return "ray" if ray_available() else "local"


def run_sweep(
    path: Path,
    out_dir: Path,
    engine: Engine = "auto",
    address: str | None = None,
    parallel: int | None = None,
    on_event: Events | None = None,
) -> SweepResult:
    """Run every scenario in the file at `path` (see the module docstring). `parallel`
    scenarios run at once (default: as many as the CPUs allow, given each scenario's
    `cpus_per_scenario`)."""
    sweep, built = read_scenarios(path)
    out_dir = probe(out_dir)
    chosen = pick_engine(engine, address)
    cpus = sweep.cpus_per_scenario
    local_slots = parallel or max(1, available_cpus() // cpus)
    tasks = [
        Task(
            name=scenario.name,
            instance=instance.model_dump(mode="json"),
            time_limit=scenario.time_limit or sweep.time_limit,
            cpus=cpus,
            seed=sweep.seed,
            hard_deadline=DEADLINE_MARGIN * (scenario.time_limit or sweep.time_limit)
            + DEADLINE_SLACK,
        )
        for scenario, instance in built
    ]
    instances = {scenario.name: instance for scenario, instance in built}
    result = SweepResult(engine=chosen, slots=local_slots)
    finished: dict[str, ComparisonRow] = {}

    def event(name: str, what: str) -> None:
        if on_event is not None:
            on_event(name, what)

    def write_now(outcome: TaskOutcome) -> None:
        # each plan is written as soon as it is back: a stopped sweep keeps what it has
        row, written = _record(outcome, instances[outcome.name], out_dir)
        finished[outcome.name] = row
        result.written.extend(written)

    started = time.monotonic()
    if chosen == "ray":
        # a local cluster has this machine's CPUs; an existing one as many as it reports
        ray_slots = parallel if address is not None else local_slots
        _, result.slots = run_ray(tasks, ray_slots, event, address, write_now)
    else:
        run_local(tasks, local_slots, event, write_now)
    result.wall_seconds = round(time.monotonic() - started, 2)
    result.rows = [finished[t.name] for t in tasks]
    frame = comparison_frame(result.rows)
    csv_path = out_dir / "comparison.csv"
    write_atomic(csv_path, lambda p: write_table(frame, p))
    html_path = out_dir / "comparison.html"
    write_text_atomic(html_path, comparison_page(f"Scenario sweep: {path.name}", result.rows))
    result.written += [csv_path, html_path]
    return result


def _record(
    outcome: TaskOutcome, instance: Instance, out_dir: Path
) -> tuple[ComparisonRow, list[Path]]:
    """Check one scenario's plan against its own instance and write it."""
    if outcome.solution_json is None:
        row = comparison_row(outcome.name, instance, None, NO_PLAN, outcome.seconds, outcome.error)
        return row, []
    solution = Solution.model_validate_json(outcome.solution_json)
    if not solution.assignments:
        note = "; ".join(solution.explanation[:2]) or "no plan within the time limit"
        row = comparison_row(outcome.name, instance, None, NO_PLAN, outcome.seconds, note)
        return replace(row, status=solution.status), []
    verdict = audit(instance, solution)
    checker = "clean" if verdict.clean else f"{len(verdict.violations)} violations"
    written: list[Path] = []
    error = ""
    try:
        kept = SolveResult(solution, verdict.report, instance).write(out_dir / outcome.name)
    except OutputError as failure:
        error = f"not written: {failure}"
    else:
        if isinstance(kept, Solution):
            solution = kept  # a better plan of this scenario was already there: its figures
        else:
            written = kept
    row = comparison_row(outcome.name, instance, solution, checker, outcome.seconds, error)
    return row, written
