"""`allocate report INSTANCE SOLUTION -o report.html`: the plan as one offline HTML page."""

from __future__ import annotations

from pathlib import Path

import click

from allocator.checker.audit import audit
from allocator.cli.common import force_option, guarded, out, out_option, refuse_unless_clean
from allocator.io import load_instance, load_solution
from allocator.report import check_pairing, write_report
from allocator.schema import InputError, Problem


@click.command("report")
@click.argument("instance_path", metavar="INSTANCE", type=click.Path(path_type=Path))
@click.argument("solution_path", metavar="SOLUTION", type=click.Path(path_type=Path))
@out_option("out_path", "HTML file to write (default: report.html beside SOLUTION).")
@force_option
@guarded
def report_command(
    instance_path: Path, solution_path: Path, out_path: Path | None, force: bool
) -> None:
    """Write a self-contained HTML report of a plan (charts, moves with reasons; offline)."""
    instance = load_instance(instance_path)
    solution = load_solution(solution_path)
    check_pairing(instance, solution, str(solution_path))
    target = out_path or solution_path.with_name("report.html")
    if target.is_dir():
        raise InputError(str(target), [Problem("output", "", "is a folder, not a file")])
    if solution.assignments:
        refuse_unless_clean(audit(instance, solution), solution_path, "report", force)
    try:
        size = write_report(instance, solution, target)
    except OSError as error:
        raise InputError(str(target), [Problem("output", "", f"cannot write: {error}")]) from None
    note = "" if solution.assignments else f" (no plan: status {solution.status})"
    out.print(f"Wrote {target} ({size / 1e6:.1f} MB){note}", markup=False)
