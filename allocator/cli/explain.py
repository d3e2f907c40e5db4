"""`allocate explain | why | tight`: why no plan fits, why an account moved, what is tight."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from rich.table import Table

from allocator.analysis.tight import binding_limits, what_ifs
from allocator.analysis.why import why_lines
from allocator.cli.common import (
    EXIT_INFEASIBLE,
    EXIT_NO_PLAN,
    guarded,
    load_plan,
    out,
    print_findings,
    warn_if_other_instance,
    workers_option,
)
from allocator.explain import diagnose
from allocator.facts import Facts
from allocator.io import load_instance
from allocator.schema import InputError, Instance, Problem, instance_hash


@click.command("explain")
@click.argument("instance_path", metavar="INSTANCE", type=click.Path(path_type=Path))
@click.option(
    "--time-limit",
    type=click.FloatRange(min=0.5),
    default=30.0,
    show_default=True,
    help="Seconds for the conflict search.",
)
@workers_option
@click.option("--all", "show_all", is_flag=True, help="List every finding.")
@guarded
def explain_command(instance_path: Path, time_limit: float, workers: int, show_all: bool) -> None:
    """Say why no plan fits INSTANCE (exit 3), or that one exists (exit 0)."""
    instance = load_instance(instance_path)
    diagnosis = diagnose(instance, time_limit=time_limit, workers=workers)
    if diagnosis.status == "FEASIBLE":
        out.print(
            f"{instance_path}: a plan exists — the capacity pre-check found no "
            f"shortfall and the solver found a plan ({diagnosis.seconds:.1f} s)",
            markup=False,
        )
        return
    if diagnosis.status == "UNKNOWN":
        out.print(
            f"{instance_path}: undecided within {time_limit:g} s — " + "; ".join(diagnosis.lines),
            markup=False,
        )
        sys.exit(EXIT_NO_PLAN)
    source = (
        "capacity pre-check"
        if diagnosis.source == "precheck"
        else "a minimal set of rule instances that cannot all hold"
    )
    out.print(
        f"{instance_path}: no plan satisfies every rule ({source}, {diagnosis.seconds:.1f} s):",
        markup=False,
    )
    print_findings(diagnosis.lines, show_all)
    sys.exit(EXIT_INFEASIBLE)


def _account_id(instance: Instance, given: str, source: Path) -> str:
    """The account `given` names: its id, else its name (ignoring case and spacing)."""
    if given in {a.id for a in instance.accounts}:
        return given
    folded = " ".join(given.split()).casefold()
    named = [a.id for a in instance.accounts if " ".join(a.name.split()).casefold() == folded]
    if len(named) == 1:
        return named[0]
    record = f"accounts[id={given}]"
    if named:
        raise InputError(
            str(source),
            [
                Problem(
                    record,
                    "",
                    f"{len(named)} accounts have this name ({', '.join(named[:5])}): give the id",
                )
            ],
        )
    raise InputError(
        str(source), [Problem(record, "", "no such account id or name in the instance")]
    )


@click.command("why")
@click.argument("instance_path", metavar="INSTANCE", type=click.Path(path_type=Path))
@click.argument("solution_path", metavar="SOLUTION", type=click.Path(path_type=Path))
@click.argument("account_id", metavar="ACCOUNT")  # an id, or a name
@click.option(
    "--time-limit",
    type=click.FloatRange(min=0.1),
    default=20.0,
    show_default=True,
    help="Seconds for the re-solve that keeps the previous owner.",
)
@workers_option
@click.option("--seed", type=int, default=0, show_default=True)
@guarded
def why_command(
    instance_path: Path,
    solution_path: Path,
    account_id: str,
    time_limit: float,
    workers: int,
    seed: int,
) -> None:
    """Explain one account's assignment, and what keeping its previous owner would cost."""
    instance = load_instance(instance_path)
    solution = load_plan(solution_path)
    account_id = _account_id(instance, account_id, instance_path)
    if account_id not in solution.owners():
        raise InputError(
            str(solution_path),
            [
                Problem(
                    f"assignments[account={account_id}]", "", "the plan does not list this account"
                )
            ],
        )
    warn_if_other_instance(instance_path, solution_path, solution, instance_hash(instance))
    for line in why_lines(instance, solution, account_id, time_limit, workers, seed):
        out.print(line, markup=False)


@click.command("tight")
@click.argument("instance_path", metavar="INSTANCE", type=click.Path(path_type=Path))
@click.argument("solution_path", metavar="SOLUTION", type=click.Path(path_type=Path))
@click.option(
    "--time-limit",
    type=click.FloatRange(min=0.1),
    default=10.0,
    show_default=True,
    help="Seconds per what-if re-solve.",
)
@click.option(
    "--top",
    type=click.IntRange(min=0),
    default=3,
    show_default=True,
    help="Most binding caps and capacities to re-solve with one more slot "
    "(plus one more CSM in the tightest pool); 0 skips the re-solves.",
)
@click.option(
    "--rows",
    type=click.IntRange(min=1),
    default=20,
    show_default=True,
    help="Binding limits to list.",
)
@workers_option
@click.option("--seed", type=int, default=0, show_default=True)
@guarded
def tight_command(
    instance_path: Path,
    solution_path: Path,
    time_limit: float,
    top: int,
    rows: int,
    workers: int,
    seed: int,
) -> None:
    """List the caps, capacities and bands a plan binds, and what relaxing them is worth."""
    instance = load_instance(instance_path)
    solution = load_plan(solution_path)
    warn_if_other_instance(instance_path, solution_path, solution, instance_hash(instance))
    facts = Facts(instance, solution.effective_date)
    tight = binding_limits(instance, solution, facts)
    if not tight:
        out.print("Nothing is tight: every limit has room for at least two more accounts.")
        return
    table = Table(title=f"{len(tight)} limits at or within one account of binding")
    for column in ("rule", "CSM", "of", "used", "limit", "room (accounts)"):
        table.add_column(column, justify="right" if column in ("used", "limit") else "left")
    for item in tight[:rows]:
        table.add_row(
            item.rule,
            item.csm or "-",
            item.subject or "-",
            f"{item.used:g}",
            f"{item.limit:g}",
            f"{item.room:g}",
        )
    out.print(table)
    if len(tight) > rows:
        out.print(f"... and {len(tight) - rows} more (--rows to show them)")
    if top <= 0:
        return
    out.print(f"What relaxing the most binding would change (re-solves of {time_limit:g} s):")
    for what_if in what_ifs(instance, solution, tight, top, time_limit, workers, seed, facts):
        out.print(f"  {what_if.text}", markup=False)
    out.print(
        "Capacity and headcount shift every balance target in their pool, so they can "
        "raise the objective as well as lower it."
    )
