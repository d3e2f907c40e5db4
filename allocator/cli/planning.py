"""`allocate headcount`, `allocate segments` and `allocate sweep`: planning the team."""

from __future__ import annotations

import datetime as dt
import signal
import sys
from pathlib import Path

import click
import pandas as pd
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from allocator.cli.common import (
    EXIT_CHECKER,
    EXIT_INFEASIBLE,
    EXIT_INPUT,
    EXIT_INTERRUPTED,
    EXIT_NO_PLAN,
    EXIT_OUTPUT,
    EXIT_TERMINATED,
    err,
    guarded,
    out,
    out_option,
    workers_option,
)
from allocator.cli.progress import ProgressDisplay
from allocator.interrupts import handling_stops, stop_signal
from allocator.io import OutputError, load_instance, write_atomic, write_instance
from allocator.io.plan_folder import probe
from allocator.io.tables import write_table
from allocator.planning import HeadcountOptions, HeadcountResult, plan_headcount
from allocator.planning.comparison import ComparisonRow
from allocator.planning.segments import SegmentDesign, design_rows, parse_amount
from allocator.planning.sweep import NO_PLAN, Engine, run_sweep
from allocator.schema import InputError, Problem

SPARE_SHOWN = 15


def _amount_option(_: click.Context, __: click.Parameter, value: str | None) -> float | None:
    if value is None:
        return None
    try:
        return parse_amount(value)
    except ValueError as error:
        raise click.BadParameter(str(error)) from None


def _exit_for_stop() -> None:
    stopped = stop_signal()
    if stopped is not None:
        sys.exit(EXIT_TERMINATED if stopped == signal.SIGTERM else EXIT_INTERRUPTED)


# --- headcount --------------------------------------------------------------------------
@click.command("headcount")
@click.argument("instance_path", metavar="INSTANCE", type=click.Path(path_type=Path))
@out_option("out_dir", "Output folder (default: <instance name>-headcount beside the instance).")
@click.option(
    "--horizon",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Planning horizon (YYYY-MM-DD): hires count at the ramp they reach by then.",
)
@click.option(
    "--ramp-months",
    type=click.FloatRange(min=0, max=60),
    default=3.0,
    show_default=True,
    help="Months a hire takes to reach full capacity (with --horizon).",
)
@click.option(
    "--budget", callback=_amount_option, default=None, help="Most annual cost of hires (150k, 2M)."
)
@click.option("--max-hires", type=click.IntRange(min=0, max=10_000), default=None)
@click.option(
    "--ignore-move-cap",
    is_flag=True,
    help="Drop policy.continuity.max_moves (under a cap, hires may get too few accounts).",
)
@click.option(
    "--hire-capacity",
    type=click.FloatRange(min=0.01, max=1e6),
    default=None,
    help="Capacity of a hire (default: the median of the segment's CSMs).",
)
@click.option(
    "--hire-cost",
    callback=_amount_option,
    default=None,
    help="Annual cost of a hire (default: the median of the segment's CSMs).",
)
@click.option("--no-release", is_flag=True, help="Skip the search for CSMs the book could spare.")
@click.option(
    "--time-limit",
    type=click.FloatRange(min=1),
    default=120.0,
    show_default=True,
    help="Seconds in all: the staffing model, then solving the book with the hires.",
)
@workers_option
@click.option("--seed", type=int, default=0, show_default=True)
@guarded
def headcount_command(
    instance_path: Path,
    out_dir: Path | None,
    horizon: dt.datetime | None,
    ramp_months: float,
    budget: float | None,
    max_hires: int | None,
    ignore_move_cap: bool,
    hire_capacity: float | None,
    hire_cost: float | None,
    no_release: bool,
    time_limit: float,
    workers: int,
    seed: int,
) -> None:
    """The fewest CSMs to hire, by profile, for a plan obeying every rule with each
    segment's cost/ARR within target; or, when none are needed, the spare capacity and the
    CSMs the book could do without. Writes hiring_plan.csv, spare_capacity.csv,
    instance.json (with the hires as placeholder CSMs) and the solved plan (plan/)."""
    instance = load_instance(instance_path, homeless_ok=True)  # the accounts hires are for
    out_dir = probe(out_dir or instance_path.with_name(instance_path.stem + "-headcount"))
    options = HeadcountOptions(
        horizon=horizon.date() if horizon else None,
        ramp_months=ramp_months,
        budget=budget,
        max_hires=max_hires,
        keep_move_cap=not ignore_move_cap,
        capacity=hire_capacity,
        annual_cost=hire_cost,
        release=not no_release,
        time_limit=time_limit,
        workers=workers,
        seed=seed,
    )
    with handling_stops():
        with ProgressDisplay(err) as display:
            result = plan_headcount(instance, options, on_progress=display)
        _print_headcount(result)
        try:
            written = _write_headcount(result, out_dir)
        except OutputError as error:
            err.print(f"{error.path}: cannot write: {error.reason}")
            sys.exit(EXIT_OUTPUT)
        out.print("Wrote " + ", ".join(str(p) for p in written), markup=False)
    _exit_for_stop()
    if not result.has_plan:
        sys.exit(EXIT_INFEASIBLE if result.staffing_status == "INFEASIBLE" else EXIT_NO_PLAN)


def _print_headcount(result: HeadcountResult) -> None:
    out.print(result.summary())
    if result.hires:
        table = Table(title=f"Hiring plan: {result.total_hires} CSMs")
        for name in ("profile", "count", "capacity each", "annual cost"):
            table.add_column(name, justify="left" if name == "profile" else "right")
        for line in result.hires:
            table.add_row(
                line.profile.name,
                str(line.count),
                f"{line.profile.capacity:g} x ramp {line.profile.ramp:g}",
                f"{line.cost:,.0f}",
            )
        out.print(table)
        for line in result.hires:
            out.print(f"why {line.profile.name}: {line.why}", markup=False)
    elif result.spare:
        table = Table(title="Spare capacity (CSMs that could be released first, then most room)")
        for name in ("CSM", "segments", "utilisation", "spare effort", "spare slots", "release"):
            table.add_column(name)
        for spare in result.spare[:SPARE_SHOWN]:
            table.add_row(
                spare.csm,
                spare.segments,
                f"{spare.utilisation:.0%}",
                f"{spare.spare_effort:,.2f}",
                spare.spare_slots,
                "yes" if spare.releasable else "",
            )
        out.print(table)
    for note in result.notes:
        out.print(f"note: {note}", markup=False)
    if result.plan is not None and result.plan.solution.segment_summary:
        shares = [
            f"{s.segment} {s.cost_to_arr:.1%} (target {s.target:.0%})"
            for s in result.plan.solution.segment_summary
            if s.cost_to_arr is not None and not s.pooled
        ]
        out.print("cost/ARR with this plan: " + ", ".join(shares))
    if result.plan is not None and not result.plan.feasible:
        for text in result.plan.solution.explanation:
            out.print(f"  {text}", markup=False)


def hiring_frame(result: HeadcountResult) -> pd.DataFrame:
    columns = [
        "profile",
        "segment",
        "specialism",
        "regions",
        "count",
        "capacity_each",
        "ramp",
        "annual_cost_each",
        "cost",
        "placeholders",
        "why",
    ]
    rows = [
        {
            "profile": line.profile.name,
            "segment": line.profile.segment,
            "specialism": line.profile.specialism,
            "regions": ";".join(line.profile.regions),
            "count": line.count,
            "capacity_each": line.profile.capacity,
            "ramp": line.profile.ramp,
            "annual_cost_each": line.profile.annual_cost,
            "cost": line.cost,
            "placeholders": ";".join(line.placeholders),
            "why": line.why,
        }
        for line in result.hires
    ]
    return pd.DataFrame(rows, columns=columns)


def spare_frame(result: HeadcountResult) -> pd.DataFrame:
    columns = [
        "csm",
        "segments",
        "effort",
        "capacity",
        "utilisation",
        "spare_effort",
        "spare_slots",
        "releasable",
    ]
    return pd.DataFrame([vars(line) for line in result.spare], columns=columns)


def _write_headcount(result: HeadcountResult, out_dir: Path) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    hiring = out_dir / "hiring_plan.csv"
    write_atomic(hiring, lambda p: write_table(hiring_frame(result), p))
    spare = out_dir / "spare_capacity.csv"
    write_atomic(spare, lambda p: write_table(spare_frame(result), p))
    written += [hiring, spare, write_instance(result.instance, out_dir / "instance.json")]
    if result.plan is not None and result.plan.solution.assignments:
        result.plan.write(out_dir / "plan", overwrite=True)  # the plan of this instance.json
        written.append(out_dir / "plan")
    return written


# --- segments ---------------------------------------------------------------------------
@click.command("segments")
@click.argument("instance_path", metavar="INSTANCE", type=click.Path(path_type=Path))
@click.option(
    "--thresholds",
    "thresholds",
    multiple=True,
    help="ARR thresholds between segments, lowest first (e.g. 150k,750k); repeat to compare.",
)
@click.option(
    "--caps",
    "caps",
    multiple=True,
    help="Accounts per CSM by segment (e.g. Enterprise=12,Scale=45); repeat to compare.",
)
@out_option("out_path", "Also write the table as CSV here.")
@guarded
def segments_command(
    instance_path: Path, thresholds: tuple[str, ...], caps: tuple[str, ...], out_path: Path | None
) -> None:
    """For each candidate set of ARR thresholds (and caps): accounts, ARR and effort per
    segment, CSMs today and needed, cost/ARR against target, and moves versus today.
    Today's segments come first."""
    instance = load_instance(instance_path, homeless_ok=True)
    designs = [SegmentDesign()]
    parsed_thresholds = [_thresholds(t) for t in thresholds] or [()]
    parsed_caps = [_caps(c) for c in caps] or [{}]
    designs += [SegmentDesign(t, c) for t in parsed_thresholds for c in parsed_caps if t or c]
    rows = []
    for design in designs:
        rows += design_rows(instance, design, source="--thresholds/--caps")
    out.print(f"Segment designs for {instance.name}", markup=False)
    headers = ("segment", "accounts", "ARR", "effort", "CSMs", "needed", "cost/ARR", "moves")
    for design in designs:
        table = Table(title=design.label, title_justify="left")
        for name in headers:
            left = name == "segment"
            table.add_column(name, justify="left" if left else "right", no_wrap=left)
        for r in (r for r in rows if r.design == design.label):
            by = {"account cap": "cap"}.get(r.needed_by, r.needed_by)
            needed = "-" if r.csms_needed is None else f"{r.csms_needed} {by}"
            ratio = "-" if r.cost_to_arr is None else f"{r.cost_to_arr:.1%}"
            mark = "" if r.within_target is None else ("" if r.within_target else " OVER")
            table.add_row(
                r.segment + (" (pooled)" if r.pooled else ""),
                f"{r.accounts:,}",
                _money(r.arr),
                f"{r.effort:,.0f}",
                str(r.csms_today),
                needed,
                f"{ratio}{mark}/{r.target:.0%}",
                f"{r.moves_at_least:,}",
            )
        out.print(table)
    out.print(
        "CSMs: serving the segment today; needed: the larger of accounts / cap and effort / "
        "a typical CSM's capacity; cost/ARR: the needed CSMs' cost over the segment's ARR / "
        "target; moves: accounts "
        "changing segment whose CSM does not serve the new one (at least)",
        markup=False,
    )
    if out_path is not None:
        frame = pd.DataFrame([vars(r) for r in rows])
        try:
            write_atomic(out_path, lambda p: write_table(frame, p))
        except OutputError as error:
            err.print(f"{error.path}: cannot write: {error.reason}")
            sys.exit(EXIT_OUTPUT)
        out.print(f"Wrote {out_path}", markup=False)


def _money(value: float) -> str:
    for suffix, scale in (("B", 1e9), ("M", 1e6), ("k", 1e3)):
        if value >= scale:
            return f"{value / scale:,.1f}{suffix}"
    return f"{value:,.0f}"


def _thresholds(text: str) -> tuple[float, ...]:
    try:
        return tuple(parse_amount(part) for part in text.split(","))
    except ValueError as error:
        raise InputError("--thresholds", [Problem(text, "", str(error))]) from None


def _caps(text: str) -> dict[str, int]:
    caps = {}
    for part in text.split(","):
        name, _, value = part.partition("=")
        if not name.strip() or not value.strip().isdigit():
            raise InputError(
                "--caps", [Problem(part, "", "expected SEGMENT=NUMBER, e.g. Enterprise=12")]
            )
        caps[name.strip()] = int(value)
    return caps


# --- sweep ------------------------------------------------------------------------------
@click.command("sweep")
@click.argument("scenarios_path", metavar="SCENARIOS", type=click.Path(path_type=Path))
@out_option("out_dir", "Output folder (default: <scenarios name>-sweep beside the file).")
@click.option(
    "--engine",
    type=click.Choice(["auto", "ray", "local"]),
    default="auto",
    show_default=True,
    help="Ray when installed (pip install -e '.[cluster]'), else local processes.",
)
@click.option("--address", default=None, help="An existing Ray cluster (e.g. ray://head:10001).")
@click.option(
    "--parallel",
    type=click.IntRange(min=1, max=10_000),
    default=None,
    help="Scenarios at once (default: CPUs / cpus_per_scenario on a local run).",
)
@guarded
def sweep_command(
    scenarios_path: Path,
    out_dir: Path | None,
    engine: Engine,
    address: str | None,
    parallel: int | None,
) -> None:
    """Solve every scenario of SCENARIOS (YAML or JSON), check each plan, write each to
    DIR/<scenario>/ and the comparison to DIR/comparison.csv and DIR/comparison.html."""
    out_dir = out_dir or scenarios_path.with_name(scenarios_path.stem + "-sweep")
    with handling_stops():
        progress = Progress(
            TextColumn("scenarios"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TextColumn("{task.description}"),
            console=err,
            transient=True,
            disable=not err.is_terminal,
        )
        running: list[str] = []
        with progress:
            bar = progress.add_task("", total=None)

            def on_event(name: str, what: str) -> None:
                if what == "started":
                    running.append(name)
                else:
                    if name in running:
                        running.remove(name)
                    progress.advance(bar)
                    if not err.is_terminal or what != "done":
                        err.print(f"{name}: {what}", markup=False)
                progress.update(bar, description="running: " + ", ".join(running))

            try:
                result = run_sweep(scenarios_path, out_dir, engine, address, parallel, on_event)
            except RuntimeError as error:
                err.print(str(error))
                sys.exit(EXIT_INPUT)
    _print_sweep_table(result.rows)
    out.print(
        f"{len(result.rows)} scenarios on {result.engine} ({result.slots} at once) in "
        f"{result.wall_seconds:,.1f} s; wrote {out_dir / 'comparison.csv'} and "
        f"{out_dir / 'comparison.html'}",
        markup=False,
    )
    _exit_for_stop()
    if result.failed:
        err.print(f"no plan within the time, or the task failed: {', '.join(result.failed)}")
        sys.exit(EXIT_NO_PLAN)
    if any(r.checker not in ("clean", NO_PLAN) for r in result.rows):
        err.print("a plan failed the checker (a bug): see the checker column")
        sys.exit(EXIT_CHECKER)


def _print_sweep_table(rows: list[ComparisonRow]) -> None:
    table = Table(title="Scenario comparison")
    for name in ("scenario", "status", "checker", "objective", "gap", "moves", "CSMs", "util CV"):
        left = name in ("scenario", "status")
        table.add_column(name, justify="left" if left else "right", overflow="fold")
    for row in rows:
        table.add_row(
            row.scenario,
            row.status,
            row.checker,
            "-" if row.objective is None else f"{row.objective:,.2f}",
            "-" if row.gap is None else f"{row.gap:.2%}",
            "-" if row.moves is None else str(row.moves),
            str(row.csms),
            "-" if row.utilisation_cv is None else f"{row.utilisation_cv:.3f}",
        )
    out.print(table)
