"""The `allocate` command line: a thin layer over the Python API (exit codes:
`allocator.cli.common`)."""

from __future__ import annotations

import click

from allocator.cli.explain import explain_command, tight_command, why_command
from allocator.cli.planning import headcount_command, segments_command, sweep_command
from allocator.cli.plans import (
    check_command,
    generate_command,
    schema_command,
    solve_command,
    validate_command,
)
from allocator.cli.rebalance import diff_command, import_command, moves_command, tradeoff_command
from allocator.cli.report import report_command
from allocator.cli.serve import serve_command


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="allocator")
def main() -> None:
    """Assign customer accounts to CSMs, and prove how good the plan is."""


for command in (
    schema_command,
    generate_command,
    validate_command,
    solve_command,
    check_command,
    report_command,
    import_command,
    moves_command,
    diff_command,
    tradeoff_command,
    explain_command,
    why_command,
    tight_command,
    headcount_command,
    segments_command,
    sweep_command,
    serve_command,
):
    main.add_command(command)
