"""`allocate report INSTANCE SOLUTION -o report.html`: the plan as one offline HTML page."""

from __future__ import annotations

from pathlib import Path

import click

from allocator.cli.common import err, guarded, out
from allocator.io import load_instance, load_solution
from allocator.report import check_pairing, hash_matches, write_report
from allocator.schema import InputError, Problem


@click.command("report")
@click.argument("instance_path", metavar="INSTANCE", type=click.Path(path_type=Path))
@click.argument("solution_path", metavar="SOLUTION", type=click.Path(path_type=Path))
@click.option(
    "-o",
    "--out",
    "out_path",
    type=click.Path(path_type=Path),
    default=None,
    help="HTML file to write (default: report.html beside SOLUTION).",
)
@guarded
def report_command(instance_path: Path, solution_path: Path, out_path: Path | None) -> None:
    """Write a self-contained HTML report of a plan (charts, moves with reasons; offline)."""
    instance = load_instance(instance_path)
    solution = load_solution(solution_path)
    check_pairing(instance, solution, str(solution_path))
    target = out_path or solution_path.with_name("report.html")
    if target.is_dir():
        raise InputError(str(target), [Problem("output", "", "is a folder, not a file")])
    if not hash_matches(instance, solution):
        err.print(
            f"warning: {solution_path} was solved for a different version of "
            f"{instance_path} (instance hash differs); the report shows both as they are",
            markup=False,
        )
    try:
        size = write_report(instance, solution, target)
    except OSError as error:
        raise InputError(str(target), [Problem("output", "", f"cannot write: {error}")]) from None
    note = "" if solution.assignments else f" (no plan: status {solution.status})"
    out.print(f"Wrote {target} ({size / 1e6:.1f} MB){note}", markup=False)
