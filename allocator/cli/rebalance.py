"""`allocate import | moves | diff | tradeoff`: quarterly rebalancing from CRM exports."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import click
from rich import box
from rich.table import Table

from allocator.analysis.diff import diff_plans
from allocator.analysis.tradeoff import (
    TradeoffPoint,
    curve_measure,
    parse_points,
    points_frame,
    run_tradeoff,
    write_chart,
)
from allocator.checker.audit import audit
from allocator.cli.common import (
    EXIT_CHECKER,
    VIOLATIONS_SHOWN,
    err,
    force_option,
    guarded,
    load_plan,
    num,
    out,
    refuse_unless_clean,
    warn,
    workers_option,
)
from allocator.crm import (
    ImportOptions,
    handoff,
    handoff_counts,
    import_files,
    keys_path,
    load_preset,
    move_list,
    plan_moves,
    read_keys,
    read_policy,
    write_csv,
    write_keys,
)
from allocator.io import load_instance, load_solution, read_orlib_gap, write_instance
from allocator.schema import InputError, Problem

TABLE_FORMATS = ["csv", "xlsx", "orlib-gap"]


def _import_gap(path: Path, output: Path) -> None:

    instance = read_orlib_gap(path)
    write_instance(instance, output)
    out.print(f"Wrote {output}: {len(instance.accounts)} jobs, {len(instance.csms)} agents")


def _usage(message: str) -> InputError:
    return InputError("import", [Problem("options", "", message)])


@click.command("import")
@click.argument("accounts_path", metavar="ACCOUNTS_FILE", type=click.Path(path_type=Path))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(TABLE_FORMATS),
    default=None,
    help="File format (default: from the suffix; orlib-gap for GAP benchmarks).",
)
@click.option(
    "--csms",
    "csms_path",
    type=click.Path(path_type=Path),
    default=None,
    help="CSM roster (CSV or XLSX).",
)
@click.option(
    "--preset",
    default=None,
    help="salesforce | gainsight | churnzero | totango | a mapping .json file.",
)
@click.option(
    "--policy",
    "policy_path",
    type=click.Path(path_type=Path),
    default=None,
    help="Policy JSON (the instance's policy object).",
)
@click.option(
    "--effective-date",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Plan date (default: the policy's, else today).",
)
@click.option(
    "--max-moves", type=click.IntRange(min=0), default=None, help="Cap on voluntary moves."
)
@click.option(
    "--max-move-share",
    type=click.FloatRange(0, 1),
    default=None,
    help="Cap on voluntary moves as a share of owned accounts (e.g. 0.1).",
)
@click.option(
    "--freeze-days",
    type=click.IntRange(min=0),
    default=None,
    help="No voluntary move this many days before renewal.",
)
@click.option(
    "--fewest-moves",
    is_flag=True,
    help="Only the moves the rules need (policy.continuity.fewest_moves).",
)
@click.option(
    "--locks",
    "locks_path",
    type=click.Path(path_type=Path),
    default=None,
    help="Locks file (CSV/XLSX): account id and reason.",
)
@click.option(
    "--unknown-owner",
    type=click.Choice(["error", "new"]),
    default="error",
    show_default=True,
    help="Owners not in the roster: report, or treat as new.",
)
@click.option(
    "--day-first/--month-first",
    default=None,
    help="Read ambiguous dates like 05/03/2027 day first (5 March) or month first (May 3); "
    "default: the mapping's day_first, else what the column's unambiguous dates show, else "
    "month first, with a warning.",
)
@click.option("--name", default=None, help="Instance name (default: the export's file name).")
@click.option("-o", "--output", type=click.Path(path_type=Path), required=True)
@guarded
def import_command(
    accounts_path: Path,
    fmt: str | None,
    csms_path: Path | None,
    preset: str | None,
    policy_path: Path | None,
    effective_date: dt.datetime | None,
    max_moves: int | None,
    max_move_share: float | None,
    freeze_days: int | None,
    fewest_moves: bool,
    locks_path: Path | None,
    unknown_owner: str,
    day_first: bool | None,
    name: str | None,
    output: Path,
) -> None:
    """Build an instance from a CRM account export and a CSM roster."""

    if fmt == "orlib-gap":
        _import_gap(accounts_path, output)
        return
    if csms_path is None or preset is None:
        raise _usage("--csms ROSTER_FILE and --preset are required for CRM exports")
    if max_moves is not None and max_move_share is not None:
        raise _usage("give --max-moves or --max-move-share, not both")
    options = ImportOptions(
        policy=read_policy(policy_path) if policy_path else None,
        effective_date=effective_date.date() if effective_date else None,
        max_moves=max_moves,
        max_move_share=max_move_share,
        freeze_days=freeze_days,
        fewest_moves=fewest_moves,
        name=name,
        unknown_owner="new" if unknown_owner == "new" else "error",
        day_first=day_first,
    )
    imported = import_files(
        accounts_path,
        csms_path,
        preset,
        "xlsx" if fmt == "xlsx" else "csv" if fmt == "csv" else None,
        locks_path,
        options,
    )
    warn(imported.warnings)
    instance = imported.instance
    write_instance(instance, output)
    write_keys(imported.keys, keys_path(output))
    accounts = instance.accounts
    continuity = instance.policy.continuity
    out.print(
        f"Wrote {output} and {keys_path(output)}: {len(accounts)} accounts "
        f"({sum(a.current_csm is None for a in accounts)} without an owner, "
        f"{sum(a.locked for a in accounts)} locked, "
        f"{sum(a.parent_id is not None for a in accounts)} in families), "
        f"{len(instance.csms)} CSMs ({sum(c.leaving for c in instance.csms)} leaving, "
        f"{sum(c.ramp < 1 for c in instance.csms)} ramping); effective "
        f"{instance.policy.effective_date}, move cap "
        f"{'none' if continuity.max_moves is None else continuity.max_moves}, "
        f"freeze {continuity.freeze_days} days"
        + ("; fewest moves" if continuity.fewest_moves else "")
    )


@click.command("moves")
@click.argument("instance_path", metavar="INSTANCE", type=click.Path(path_type=Path))
@click.argument("solution_path", metavar="SOLUTION", type=click.Path(path_type=Path))
@click.option(
    "--preset",
    required=True,
    help="salesforce | gainsight | churnzero | totango | a mapping .json file.",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path),
    required=True,
    help="Owner-update CSV for the platform's import.",
)
@click.option(
    "--handoff",
    "handoff_path",
    type=click.Path(path_type=Path),
    default=None,
    help="Also write a per-CSM handoff CSV (gained / lost, from / to).",
)
@click.option(
    "--keys",
    "keys_file",
    type=click.Path(path_type=Path),
    default=None,
    help="CRM keys written by import (default: <instance>.crm.json).",
)
@force_option
@guarded
def moves_command(
    instance_path: Path,
    solution_path: Path,
    preset: str,
    output: Path,
    handoff_path: Path | None,
    keys_file: Path | None,
    force: bool,
) -> None:
    """Write the plan's owner changes as an upload-ready CSV for the CRM."""

    instance = load_instance(instance_path)
    solution = load_plan(solution_path)
    refuse_unless_clean(audit(instance, solution), solution_path, "moves", force)
    spec = load_preset(preset)
    keys_file = keys_file or keys_path(instance_path)
    keys = read_keys(keys_file) if keys_file.exists() else None
    shape = keys.shape() if keys is not None and keys.preset == spec.name else spec.export
    moves = list(plan_moves(instance, solution))
    source = str(keys_file) if keys is not None else f"{instance_path} (no {keys_file.name})"
    frame = move_list(instance, solution, shape, keys, source)
    write_csv(frame, output)
    pooled = sum(m.to_csm is None for m in moves)
    new = sum(m.from_csm is None for m in moves)
    out.print(
        f"Wrote {output}: {len(frame)} owner updates ({new} new accounts) for "
        f"{spec.name}, effective {solution.effective_date}"
        + (
            f"; {pooled} accounts go to a pooled segment (no named owner, not listed)"
            if pooled
            else ""
        )
    )
    if handoff_path is not None:
        table = handoff(instance, solution)
        write_csv(table, handoff_path)
        counts = handoff_counts(table)
        view = Table(title="Handoff per CSM")
        for column in ("csm", "csm_name", "gained", "lost", "net"):
            view.add_column(
                column, justify="right" if column in ("gained", "lost", "net") else "left"
            )
        for row in counts.itertuples(index=False):
            view.add_row(*(str(v) for v in row))
        out.print(view)
        out.print(f"Wrote {handoff_path}")


@click.command("diff")
@click.argument("old_path", metavar="OLD_SOLUTION", type=click.Path(path_type=Path))
@click.argument("new_path", metavar="NEW_SOLUTION", type=click.Path(path_type=Path))
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path),
    default=None,
    help="Write the accounts whose owner differs as CSV.",
)
@click.option(
    "--show",
    type=click.IntRange(min=0),
    default=20,
    show_default=True,
    help="Owner changes to print.",
)
@click.option(
    "--instance",
    "instance_path",
    type=click.Path(path_type=Path),
    default=None,
    help="Check both plans against this instance first (a plan it rejects is marked).",
)
@guarded
def diff_command(
    old_path: Path, new_path: Path, output: Path | None, show: int, instance_path: Path | None
) -> None:
    """Compare two plans: owner changes, per-CSM counts, objective and terms."""

    old, new = load_solution(old_path), load_solution(new_path)
    if instance_path is None:
        err.print("note: the plans are not checked (--instance INSTANCE checks them)")
    else:
        instance = load_instance(instance_path)
        for path, plan in ((old_path, old), (new_path, new)):
            verdict = audit(instance, plan) if plan.assignments else None
            if verdict is not None and not verdict.clean:
                for violation in verdict.violations[:VIOLATIONS_SHOWN]:
                    err.print(f"violation: {path}: {violation}")
                err.print(
                    f"warning: {path}: the checker rejects this plan "
                    f"({len(verdict.violations)} violations against {instance_path})"
                )
    diff = diff_plans(old, new)
    if not diff.same_instance:
        out.print("note: the plans were made for different instances (or one has no hash)")
    numbers = Table(title="Plan numbers")
    for column in ("", "old", "new", "change"):
        numbers.add_column(column, justify="left" if not column else "right")
    for name, delta in diff.numbers.items():
        numbers.add_row(
            name,
            num(delta.old),
            num(delta.new),
            "-" if delta.change is None else f"{delta.change:+,.2f}",
        )
    out.print(numbers)
    books = diff.books_frame()
    if not books.empty:
        view = Table(title="Accounts per CSM (changed only)")
        for column in books.columns:
            view.add_column(str(column), justify="left" if column == "csm" else "right")
        for row in books.itertuples(index=False):
            view.add_row(row[0], str(row[1]), str(row[2]), f"{row[3]:+d}")
        out.print(view)
    out.print(
        f"{len(diff.changes)} accounts change owner"
        + (f"; {len(diff.only_old)} only in the old plan" if diff.only_old else "")
        + (f"; {len(diff.only_new)} only in the new plan" if diff.only_new else "")
    )
    for owner in diff.changes[:show]:
        out.print(
            f"  {owner.account} {owner.account_name}: {owner.old or '-'} -> {owner.new or '-'}",
            markup=False,
        )
    if len(diff.changes) > show:
        out.print(f"  ... and {len(diff.changes) - show} more")
    if output is not None:
        write_csv(diff.changes_frame(), output)
        out.print(f"Wrote {output}")


@click.command("tradeoff")
@click.argument("instance_path", metavar="INSTANCE", type=click.Path(path_type=Path))
@click.option(
    "--points",
    default="0,25,50,100,200,unlimited",
    show_default=True,
    help="Move budgets, comma-separated ('unlimited' for no cap).",
)
@click.option(
    "--time-limit",
    type=click.FloatRange(min=0.1),
    default=10.0,
    show_default=True,
    help="Seconds per point.",
)
@workers_option
@click.option("--seed", type=int, default=0, show_default=True)
@click.option(
    "--balance-only",
    is_flag=True,
    help="Weight every soft term but balance 0 (default: only moves).",
)
@click.option(
    "-o", "--output", type=click.Path(path_type=Path), default=None, help="Write the curve as CSV."
)
@click.option(
    "--chart",
    type=click.Path(path_type=Path),
    default=None,
    help="Write the curve as a self-contained HTML chart (needs plotly).",
)
@guarded
def tradeoff_command(
    instance_path: Path,
    points: str,
    time_limit: float,
    workers: int,
    seed: int,
    balance_only: bool,
    output: Path | None,
    chart: Path | None,
) -> None:
    """Best balance for each move budget: how much each extra move buys."""

    instance = load_instance(instance_path)
    try:
        budgets = parse_points(points)
    except ValueError as error:
        raise InputError("--points", [Problem("points", "", str(error))]) from None

    def progress(point: TradeoffPoint) -> None:
        err.print(
            f"budget {point.label}: {point.status}, objective {num(point.objective)}, "
            f"moves {point.moves if point.moves is not None else '-'}",
            markup=False,
        )

    curve = run_tradeoff(
        instance,
        budgets,
        time_limit=time_limit,
        workers=workers,
        seed=seed,
        balance_only=balance_only,
        on_point=progress,
    )
    frame = points_frame(curve)
    forced = sorted({p.forced_moves for p in curve if p.forced_moves is not None})
    view = Table(
        title=f"{instance.name}: {curve_measure(balance_only)} vs move budget",
        box=box.SIMPLE_HEAD,
        caption=f"forced moves (not capped): {', '.join(map(str, forced)) or '-'}",
    )
    for column in ("budget", "status", "objective", "balance", "moves", "bound", "gap", "checker"):
        view.add_column(
            column, justify="left" if column in ("status", "checker") else "right", no_wrap=True
        )
    for p in curve:
        view.add_row(
            p.label,
            p.status,
            num(p.objective),
            num(p.balance),
            "-" if p.moves is None else str(p.moves),
            num(p.bound),
            "-" if p.gap is None else f"{p.gap:.1%}",
            p.checker,
        )
    out.print(view)
    for p in curve:
        if p.note:
            out.print(f"budget {p.label}: {p.note}", markup=False)
    if output is not None:
        write_csv(frame, output)
        out.print(f"Wrote {output}")
    if chart is not None:
        measure = curve_measure(balance_only)
        write_chart(curve, chart, f"{instance.name}: {measure} vs move budget", measure)
        out.print(f"Wrote {chart}")
    if any(p.checker not in ("ok", "no plan") for p in curve):
        sys.exit(EXIT_CHECKER)
