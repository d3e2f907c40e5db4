"""Issue 17's measurements: headcount on a team that lost a quarter of its CSMs, and the
12-scenario bench-M sweep with 1 and 2 scenarios at once.

    python benchmarks/planning_bench.py [--repeat N] [--skip-headcount] [--skip-sweep]

Writes its section of benchmarks/RESULTS.md (between the PLANNING markers, below the
hand-written part that run.py keeps) and prints it.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

if __package__ in (None, ""):  # run as a script
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from allocator.io import generate_instance
from allocator.pipeline import solve
from allocator.planning import HeadcountOptions, plan_headcount, run_sweep
from allocator.planning.roster import leave

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "RESULTS.md"
BEGIN, END = "<!-- PLANNING BEGIN -->", "<!-- PLANNING END -->"


def headcount_lines(time_limit: float) -> list[str]:
    book = generate_instance(5000, 200, 11)
    staying = sorted(c.id for c in book.csms if not c.leaving)
    book = leave(book, set(random.Random(11).sample(staying, round(0.25 * len(staying)))))
    before = solve(book, time_limit=30)
    started = time.monotonic()
    result = plan_headcount(book, HeadcountOptions(time_limit=time_limit))
    wall = time.monotonic() - started
    plan = result.plan.solution if result.plan is not None else None
    why = "; ".join(before.solution.explanation[:1])
    lines = [
        f"Command: `allocate generate --accounts 5000 --csms 200 --seed 11 --leaving-share 0.25 "
        f"-o team.json && allocate headcount team.json --time-limit {time_limit:g}` (the same "
        "through the Python API here).",
        "",
        f"- the book as it is: {before.status} ({why[:160]})",
        f"- hires: {result.total_hires} (the staffing model proves at least {result.hires_bound}; "
        f"{'proven minimum' if result.proven else 'not proven minimal'}), staffing model "
        f"{result.staffing_status}",
    ]
    for line in result.hires:
        lines.append(f"  - {line.count} x {line.profile.name}, cost {line.cost:,.0f}")
    if plan is not None:
        lines.append(
            f"- the hired book: {plan.status}, objective {plan.objective}, gap "
            f"{'-' if plan.gap is None else f'{plan.gap:.2%}'}, checker "
            f"{'clean' if result.has_plan else 'no plan'}"
        )
    lines += [f"- note: {n}" for n in result.notes]
    lines.append(f"- wall time {wall:.1f} s")
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
