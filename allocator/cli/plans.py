"""`allocate schema | generate | validate | solve | check`: one instance and its plan."""

from __future__ import annotations

import json
import random
import signal
import sys
import tempfile
from pathlib import Path
from typing import NoReturn

import click
from rich.table import Table

from allocator.checker.audit import audit
from allocator.cli.common import (
    EXIT_CHECKER,
    EXIT_INFEASIBLE,
    EXIT_INPUT,
    EXIT_INTERRUPTED,
    EXIT_NO_PLAN,
    EXIT_OUTPUT,
    EXIT_TERMINATED,
    EXIT_VIOLATIONS,
    err,
    guarded,
    load_plan,
    num,
    out,
    out_option,
    print_findings,
    workers_option,
)
from allocator.cli.progress import ProgressDisplay
from allocator.explain import capacity_check, stranded_accounts
from allocator.facts import Facts
from allocator.interrupts import handling_stops, stop_signal
from allocator.io import OutputError, generate_instance, load_instance, write_instance
from allocator.io.generate import HEADROOM
from allocator.io.plan_folder import probe
from allocator.parameters import SolveParams
from allocator.pipeline import SolveResult, solve
from allocator.planning.roster import leave
from allocator.schema import InputError, Instance, Problem, Solution
from allocator.schema.instance import effective_date_of, with_fewest_moves


@click.command("schema")
@click.option("--solution", is_flag=True, help="Print the solution schema instead.")
def schema_command(solution: bool) -> None:
    """Print the JSON Schema of instance files (or of solution.json)."""
    model = Solution if solution else Instance
    click.echo(json.dumps(model.model_json_schema(), indent=2))


@click.command("generate")
@click.option("--accounts", type=click.IntRange(min=1), required=True)
@click.option("--csms", type=click.IntRange(min=1), required=True)
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--name", default=None, help="Instance name (default: generated-AxC-seedS).")
@click.option(
    "--headroom",
    type=(float, float),
    default=HEADROOM,
    show_default=True,
    help="Capacity range as multiples of a fair share of effort (1.0 1.05: at capacity).",
)
@click.option(
    "--leaving-share",
    type=click.FloatRange(min=0, max=1),
    default=0.0,
    help="Mark this share of the staying CSMs as leaving (drawn with the seed); their "
    "locks are lifted. With 0.25 a generated book usually has no plan: a headcount test.",
)
@click.option("-o", "--output", type=click.Path(path_type=Path), required=True)
def generate_command(
    accounts: int,
    csms: int,
    seed: int,
    name: str | None,
    headroom: tuple[float, float],
    leaving_share: float,
    output: Path,
) -> None:
    """Write a realistic generated instance (same seed, same file)."""
    try:
        instance = generate_instance(accounts, csms, seed, name=name, headroom=headroom)
    except ValueError as error:
        err.print(f"generate: {error}", markup=False)
        sys.exit(EXIT_INPUT)
    if leaving_share > 0:
        staying = sorted(c.id for c in instance.csms if not c.leaving)
        chosen = random.Random(seed).sample(staying, round(leaving_share * len(staying)))
        instance = leave(instance, set(chosen))
    write_instance(instance, output)
    out.print(f"Wrote {output}: {len(instance.accounts)} accounts, {len(instance.csms)} CSMs")


@click.command("validate")
@click.argument("instance_path", metavar="INSTANCE", type=click.Path(path_type=Path))
@click.option("--all", "show_all", is_flag=True, help="List every pre-check finding.")
@guarded
def validate_command(instance_path: Path, show_all: bool) -> None:
    """Check an instance file: every problem in the file (exit 2), or the capacity
    pre-check's proof that no plan can obey every rule (exit 3), or a summary (exit 0)."""
    instance = load_instance(instance_path)
    facts = Facts(instance, effective_date_of(instance))
    pooled = len(instance.accounts) - len(facts.named_accounts)
    pairs = sum(len(v) for v in facts.eligibility.allowed.values())
    summary = (
        f"{len(instance.accounts)} accounts ({pooled} pooled), {len(instance.csms)} CSMs, "
        f"{pairs} eligible pairs"
    )
    found = stranded_accounts(facts) + [str(s) for s in capacity_check(facts)]
    if found:
        out.print(
            f"{instance_path}: the file is valid ({summary}), but no plan can obey "
            "every rule (capacity pre-check):",
            markup=False,
        )
        print_findings(found, show_all)
        sys.exit(EXIT_INFEASIBLE)
    out.print(f"{instance_path}: valid — {summary}", markup=False)


def _params(path: Path | None) -> SolveParams:
    if path is None:
        return SolveParams()
    try:
        return SolveParams.from_file(path)
    except OSError as error:
        raise InputError(str(path), [Problem("file", "", f"cannot read: {error}")]) from None
    except ValueError as error:
        raise InputError(str(path), [Problem("parameters", "", str(error))]) from None


def _summary_table(solution: Solution) -> Table:
    table = Table(title=f"{solution.instance}: {solution.status}", show_header=False)
    table.add_column("what", style="bold")
    table.add_column("value")

    table.add_row("objective", num(solution.objective))
    table.add_row("proven bound", num(solution.bound))
    table.add_row("gap", "-" if solution.gap is None else f"{solution.gap:.2%}")
    table.add_row("solve time", f"{solution.solve_seconds:.1f} s")
    first = solution.parameters.get("first_plan_seconds")
    if isinstance(first, int | float):
        table.add_row("first plan", f"{first:.1f} s")
    table.add_row("moves", f"{solution.moves} ({solution.forced_moves} forced)")
    if "fewest_voluntary_moves" in solution.parameters:
        voluntary = (solution.moves or 0) - (solution.forced_moves or 0)
        fewest = solution.parameters["fewest_voluntary_moves"]
        table.add_row(
            "voluntary moves",
            f"{voluntary} (the fewest any plan can make: proven)"
            if solution.parameters.get("fewest_moves_proven")
            else f"{voluntary} (every plan makes at least {fewest})",
        )
    for name, value in solution.terms.items():
        weight = solution.weights.get(name, 0.0)
        table.add_row(f"term {name}", f"{value:,.2f} x weight {weight:g}")
    for seg in solution.segment_summary:
        ratio = "-" if seg.cost_to_arr is None else f"{seg.cost_to_arr:.1%}"
        mark = "" if seg.within_target is None else (" ok" if seg.within_target else " OVER")
        table.add_row(f"cost/ARR {seg.segment}", f"{ratio} (target {seg.target:.0%}){mark}")
    if solution.assignments:
        table.add_row(
            "checker",
            "no violations"
            if not solution.violations
            else f"{len(solution.violations)} VIOLATIONS",
        )
    else:
        table.add_row("checker", "no plan to check")
    return table


@click.command("solve")
@click.argument("instance_path", metavar="INSTANCE", type=click.Path(path_type=Path))
@out_option("out_dir", "Output folder (default: <instance name>-plan beside the instance).")
@click.option(
    "--time-limit", type=click.FloatRange(min=0.1), default=60.0, show_default=True, help="Seconds."
)
@workers_option
@click.option(
    "--deterministic",
    is_flag=True,
    help="With --workers > 1: reproducible, but slower, parallel search.",
)
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--overwrite", is_flag=True, help="Replace a better plan already in --out.")
@click.option("--log", is_flag=True, help="Print CP-SAT's search log.")
@click.option(
    "--fewest-moves",
    is_flag=True,
    help="Only the moves the rules need (sets policy.continuity.fewest_moves).",
)
@click.option(
    "--params",
    "params_path",
    type=click.Path(path_type=Path),
    default=None,
    help="Tuning parameters (JSON or TOML) for experiments; see SolveParams.",
)
@guarded
def solve_command(
    instance_path: Path,
    out_dir: Path | None,
    time_limit: float,
    workers: int,
    deterministic: bool,
    seed: int,
    overwrite: bool,
    log: bool,
    fewest_moves: bool,
    params_path: Path | None,
) -> None:
    """Solve INSTANCE, check the plan, and write solution.json and CSVs."""
    instance = load_instance(instance_path)
    params = _params(params_path)
    if fewest_moves:
        instance = with_fewest_moves(instance)
    out_dir = probe(out_dir or instance_path.with_name(instance_path.stem + "-plan"))
    with handling_stops():
        with ProgressDisplay(err) as display:
            result = solve(
                instance,
                time_limit=time_limit,
                workers=workers,
                seed=seed,
                on_progress=display,
                log=log,
                deterministic=deterministic,
                params=params,
            )
        _report_and_write(result, out_dir, overwrite)
        stopped = stop_signal()
    if stopped is not None:
        name = "SIGTERM" if stopped == signal.SIGTERM else "Ctrl-C"
        err.print(f"stopped by {name}: the plan written is the best found before it")
        sys.exit(EXIT_TERMINATED if stopped == signal.SIGTERM else EXIT_INTERRUPTED)


BLOCKS_SHOWN = 8


def _blocks_table(solution: Solution) -> Table | str | None:
    """The blocks furthest from their bound, when the book splits into several."""
    rows = solution.block_summary
    if len(rows) < 2:
        return None
    proven = sum(1 for r in rows if r.status == "OPTIMAL")
    open_rows = sorted(
        (r for r in rows if r.status != "OPTIMAL"),
        key=lambda r: (-(r.objective - r.bound), r.block),
    )
    shown = open_rows[:BLOCKS_SHOWN]
    if not shown:
        return f"{len(rows)} independent blocks, all proven optimal"
    table = Table(
        title=f"{len(rows)} independent blocks, {proven} proven optimal; the "
        f"{len(shown)} furthest from their bound (all: block_summary.csv)"
    )
    for name in ("block", "accounts", "CSMs", "segments", "objective", "bound", "gap"):
        table.add_column(name, justify="left" if name == "segments" else "right")
    for r in shown:
        table.add_row(
            str(r.block),
            f"{r.accounts:,}",
            f"{r.csms:,}",
            ", ".join(r.segments),
            f"{r.objective:,.2f}",
            f"{r.bound:,.2f}",
            "-" if r.gap is None else f"{r.gap:.2%}",
        )
    return table


def _report_and_write(result: SolveResult, out_dir: Path, overwrite: bool) -> None:
    solution = result.solution
    out.print(_summary_table(solution))
    blocks = _blocks_table(solution)
    if blocks is not None:
        out.print(blocks)
    if solution.status == "INFEASIBLE":
        out.print("No plan satisfies every rule (proven infeasible). Nothing written.")
        for line in solution.explanation:
            out.print(f"  {line}", markup=False)
        out.print(
            "The fewest CSMs to hire, by profile, for a plan to exist: allocate headcount INSTANCE",
            markup=False,
        )
        sys.exit(EXIT_INFEASIBLE)
    if solution.status == "UNKNOWN":
        note = "stopped" if solution.interrupted else "time limit reached"
        out.print(f"No plan found ({note}). Nothing written.")
        for line in solution.explanation:
            out.print(f"  {line}", markup=False)
        if stop_signal() is None:
            sys.exit(EXIT_NO_PLAN)
        return  # the caller exits with the stop signal's code
    try:
        written = result.write(out_dir, overwrite=overwrite)
    except OutputError as error:
        _save_elsewhere(result, error)
    run = "the interrupted run's plan" if solution.interrupted else "this run's plan"
    if isinstance(written, Solution):
        out.print(
            f"Kept the better plan already in {out_dir} (objective "
            f"{written.objective:,.2f}; {run}: {solution.objective:,.2f}); "
            "use --overwrite to replace it.",
            markup=False,
        )
    else:
        out.print("Wrote " + ", ".join(str(p) for p in written), markup=False)
        if solution.interrupted:
            out.print("Interrupted: this is the best plan found so far.")
    if solution.violations:
        for violation in solution.violations:
            err.print(f"violation: {violation}", markup=False)
        sys.exit(EXIT_CHECKER)


def _save_elsewhere(result: SolveResult, error: OutputError) -> NoReturn:
    """The plan could not go where asked: keep it in a fresh temporary folder instead, so
    the solve is not lost, and exit 6 either way."""
    err.print(f"{error.path}: cannot write: {error.reason}; nothing there was changed")
    try:
        fallback = Path(tempfile.mkdtemp(prefix="allocator-plan-"))
        result.write(fallback / "plan", overwrite=True)
    except (OSError, OutputError) as second:
        err.print(f"the plan could not be saved elsewhere either ({second}); it is lost")
    else:
        err.print(f"the plan was saved to {fallback / 'plan'} instead")
    sys.exit(EXIT_OUTPUT)


@click.command("check")
@click.argument("instance_path", metavar="INSTANCE", type=click.Path(path_type=Path))
@click.argument("solution_path", metavar="SOLUTION", type=click.Path(path_type=Path))
@guarded
def check_command(instance_path: Path, solution_path: Path) -> None:
    """Re-check a plan against every rule, and every figure in the file against the
    instance: objective, terms, moves, bound, gap, status, rows, plan date, instance hash
    (exit 1 if anything is wrong)."""
    instance = load_instance(instance_path)
    solution = load_plan(solution_path)
    verdict = audit(instance, solution)
    report = verdict.report
    for name, value in report.terms.items():
        out.print(f"{name}: {value:,.2f}")
    out.print(
        f"objective: {report.objective:,.2f}  moves: {report.moves} ({report.forced_moves} forced)"
        f"  plan date: {verdict.effective_date}"
    )
    if verdict.violations:
        for violation in verdict.violations:
            err.print(f"violation: {violation}")
        err.print(f"{len(verdict.violations)} violation(s)")
        sys.exit(EXIT_VIOLATIONS)
    out.print("feasible: no violations")
