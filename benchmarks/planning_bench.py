"""Issue 17's measurements: headcount on a team that lost a quarter of its CSMs, and the
12-scenario bench-M sweep with 1 and 2 scenarios at once.

    python benchmarks/planning_bench.py [--repeat N] [--skip-headcount] [--skip-sweep]

Writes its section of benchmarks/RESULTS.md (between the PLANNING markers, below the
hand-written part that run.py keeps) and prints it.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

if __package__ in (None, ""):  # run as a script
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from allocator.planning import run_sweep

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "RESULTS.md"
BEGIN, END = "<!-- PLANNING BEGIN -->", "<!-- PLANNING END -->"


def headcount_lines(time_limit: float) -> list[str]:
    """The README's headcount command on a team that lost a quarter of its CSMs, run as a
    user runs it; its output is kept for the README."""
    allocate = [sys.executable, "-c", "from allocator.cli.main import main; main()"]
    with tempfile.TemporaryDirectory() as tmp:
        team = Path(tmp) / "team.json"
        make = "generate --accounts 5000 --csms 200 --seed 11 --leaving-share 0.25 -o"
        subprocess.run([*allocate, *make.split(), str(team)], check=True, capture_output=True)
        before = subprocess.run(
            [*allocate, "solve", str(team), "--time-limit", "30", "--out", f"{tmp}/as-is"],
            capture_output=True,
            text=True,
        )
        started = time.monotonic()
        seconds = f"{time_limit:g}"
        run = subprocess.run(
            [*allocate, "headcount", str(team), "-o", f"{tmp}/hc", "--time-limit", seconds],
            capture_output=True,
            text=True,
        )
        wall = time.monotonic() - started
        check = subprocess.run(
            [*allocate, "check", f"{tmp}/hc/instance.json", f"{tmp}/hc/plan/solution.json"],
            capture_output=True,
            text=True,
        )
    verdict = " ".join((check.stdout + check.stderr).strip().splitlines()[-1:])
    lines = [
        "Command: `allocate generate --accounts 5000 --csms 200 --seed 11 --leaving-share "
        f"0.25 -o team.json && allocate headcount team.json --time-limit {time_limit:g}`",
        "",
        f"- the book as it is (`allocate solve team.json --time-limit 30`): exit "
        f"{before.returncode}",
        f"- headcount: exit {run.returncode}, wall {wall:.1f} s; `allocate check` of the "
        f"hired book's plan: exit {check.returncode} ({verdict})",
        "",
        "```",
        *run.stdout.strip().splitlines(),
        "```",
    ]
    return lines


def sweep_lines(repeat: int) -> list[str]:
    scenarios = ROOT / "instances" / "scenarios-bench-M.yaml"
    walls: dict[int, list[float]] = {1: [], 2: []}
    statuses: dict[str, str] = {}
    engine = ""
    for _ in range(repeat):
        for parallel in (1, 2):
            with tempfile.TemporaryDirectory() as out:
                result = run_sweep(scenarios, Path(out), parallel=parallel)
            walls[parallel].append(result.wall_seconds)
            engine = result.engine
            statuses = {r.scenario: f"{r.status} {r.checker}" for r in result.rows}
    lines = [
        f"Command: `allocate sweep instances/scenarios-bench-M.yaml -o M-sweep --parallel N` "
        f"(12 scenarios x 20 s, 1 CPU each, engine {engine}; {repeat} run(s) each):",
        "",
        "| scenarios at once | wall s (min / median / max) |",
        "|---:|---|",
    ]
    for parallel, values in walls.items():
        lines.append(
            f"| {parallel} | {min(values):.1f} / {statistics.median(values):.1f} / "
            f"{max(values):.1f} |"
        )
    speedup = statistics.median(walls[1]) / statistics.median(walls[2])
    lines += ["", f"Speed-up with 2: {speedup:.2f}x (2.00x would be linear).", ""]
    lines.append(
        "Scenario results (last run): " + "; ".join(f"{k} {v}" for k, v in statuses.items())
    )
    return lines


def write_section(lines: list[str]) -> None:
    stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    body = "\n".join([BEGIN, f"## Planning the team (issue 17), measured {stamp}", "", *lines, END])
    text = RESULTS.read_text(encoding="utf-8")
    if BEGIN in text and END in text:
        text = text[: text.index(BEGIN)] + body + text[text.index(END) + len(END) :]
    else:
        text = text.rstrip("\n") + "\n\n" + body + "\n"
    RESULTS.write_text(text, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--headcount-seconds", type=float, default=180.0)
    parser.add_argument("--skip-headcount", action="store_true")
    parser.add_argument("--skip-sweep", action="store_true")
    args = parser.parse_args()
    lines: list[str] = []
    if not args.skip_headcount:
        lines += ["### Headcount: 5,000 accounts, a quarter of 200 CSMs leaving", ""]
        lines += [*headcount_lines(args.headcount_seconds), ""]
    if not args.skip_sweep:
        lines += ["### Scenario sweep: 12 scenarios on bench-M", ""]
        lines += sweep_lines(args.repeat)
    write_section(lines)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
