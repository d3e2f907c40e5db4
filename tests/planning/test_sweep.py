"""Scenario sweeps on both engines: a local Ray cluster (the `cluster` extra, which the
README's first command installs: these tests need it) and local processes give the same
checked plans; a task past its hard deadline is killed and reported, and the others go on."""

from __future__ import annotations

import csv
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from allocator.cli.main import main
from allocator.io import load_instance, load_solution
from allocator.planning.comparison import ComparisonRow, comparison_page
from allocator.planning.engines import Task, run_local, run_ray
from allocator.planning.sweep import run_sweep
from tests.builders import INSTANCES

SCENARIOS = INSTANCES / "scenarios-example.yaml"


def _quick_copy(tmp_path: Path) -> Path:
    """The bundled scenarios with 10 s per scenario (each is proven in about a second)."""
    shutil.copy(INSTANCES / "example.json", tmp_path / "example.json")
    text = SCENARIOS.read_text(encoding="utf-8").replace("time_limit: 20", "time_limit: 10")
    path = tmp_path / "scenarios.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def _rows(path: Path) -> dict[str, dict[str, str]]:
    with path.open(encoding="utf-8") as handle:
        return {row["scenario"]: row for row in csv.DictReader(handle)}


def test_a_sweep_on_a_local_ray_cluster_matches_local_processes(tmp_path: Path) -> None:
    path = _quick_copy(tmp_path)
    on_ray = run_sweep(path, tmp_path / "ray", engine="ray")
    local = run_sweep(path, tmp_path / "local", engine="local")
    assert on_ray.engine == "ray" and local.engine == "local"
    assert len(on_ray.rows) >= 4
    for ray_row, local_row in zip(on_ray.rows, local.rows, strict=True):
        assert ray_row.scenario == local_row.scenario
        # the same answers: equal optima; a plan on both sides where one was stopped early
        if "OPTIMAL" == ray_row.status == local_row.status:
            assert ray_row.objective == local_row.objective
        else:
            assert ray_row.status in ("OPTIMAL", "FEASIBLE", "INFEASIBLE")
            assert (ray_row.status == "INFEASIBLE") == (local_row.status == "INFEASIBLE")
    statuses = {r.scenario: r.status for r in on_ray.rows}
    assert statuses["today"] == "OPTIMAL" and statuses["enterprise-from-100k"] == "INFEASIBLE"
    table = _rows(tmp_path / "ray" / "comparison.csv")
    assert set(table) == set(statuses)
    for name, row in table.items():
        if row["status"] in ("OPTIMAL", "FEASIBLE"):
            assert row["checker"] == "clean"
            solution = load_solution(tmp_path / "ray" / name / "solution.json")
            assert solution.objective == pytest.approx(float(row["objective"]))
            assert float(row["utilisation_max"]) >= float(row["utilisation_min"]) > 0
    assert "cost_to_arr_Enterprise" in next(iter(table.values()))
    page = (tmp_path / "ray" / "comparison.html").read_text(encoding="utf-8")
    assert "Content-Security-Policy" in page and "enterprise-from-100k-two-hires" in page


def test_the_sweep_command_writes_the_comparison(tmp_path: Path) -> None:
    path = _quick_copy(tmp_path)
    out = tmp_path / "out"
    run = CliRunner().invoke(main, ["sweep", str(path), "-o", str(out), "--engine", "local"])
    assert run.exit_code == 0, run.output
    assert (out / "comparison.csv").is_file() and (out / "today" / "solution.json").is_file()
    assert "scenarios on local" in run.output


def _task(name: str, tier: str, time_limit: float, hard_deadline: float) -> Task:
    instance = load_instance(INSTANCES / f"bench-{tier}.json")
    return Task(name, instance.model_dump(mode="json"), time_limit, 1, 0, hard_deadline)


@pytest.mark.parametrize("engine", ["local", "ray"])
def test_a_task_past_its_hard_deadline_is_killed_and_the_others_go_on(engine: str) -> None:
    events: list[tuple[str, str]] = []
    # 5,000 accounts for 60 s, killed after 5 s; 300 accounts for 3 s, left alone
    tasks = [_task("stuck", "M", 60.0, 5.0), _task("fine", "S", 3.0, 600.0)]

    def record(name: str, what: str) -> None:
        events.append((name, what))

    if engine == "local":
        outcomes = run_local(tasks, 2, record)
    else:
        outcomes, slots = run_ray(tasks, 2, record)
        assert slots == 2
    stuck, fine = outcomes
    assert stuck.solution_json is None and "hard deadline" in stuck.error
    assert fine.solution_json is not None and not fine.error
    assert ("stuck", "started") in events and any(n == "fine" and w == "done" for n, w in events)


def test_the_comparison_page_escapes_names_and_fetches_nothing() -> None:
    hostile = "<img src=x onerror=alert(1)>"
    row = ComparisonRow(
        scenario="s1", status="OPTIMAL", checker="clean", cost_to_arr={hostile: 0.1}
    )
    page = comparison_page(f"sweep {hostile}", [row])
    assert hostile not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "default-src 'none'" in page


def test_ctrl_c_stops_a_sweep_and_keeps_each_running_scenarios_plan(tmp_path: Path) -> None:
    """Two 5,000-account scenarios of 120 s, Ctrl-C after 12 s: both stop, each writes the
    best plan it had (checked), the comparison is written, exit 130."""
    shutil.copy(INSTANCES / "bench-M.json", tmp_path / "bench-M.json")
    path = tmp_path / "long.yaml"
    path.write_text(
        "base: bench-M.json\ntime_limit: 120\nscenarios:\n  - name: a\n"
        "  - name: b\n    policy: {max_moves: 400}\n",
        encoding="utf-8",
    )
    out = tmp_path / "out"
    command = "from allocator.cli.main import main; main()"
    args = ["sweep", str(path), "-o", str(out), "--engine", "local", "--parallel", "2"]
    proc = subprocess.Popen(
        [sys.executable, "-c", command, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    time.sleep(12)
    proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 130, stdout + stderr
    rows = _rows(out / "comparison.csv")
    assert set(rows) == {"a", "b"}
    for name, row in rows.items():
        assert row["status"] == "FEASIBLE" and row["checker"] == "clean", row
        assert load_solution(out / name / "solution.json").interrupted
