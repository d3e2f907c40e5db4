"""What every command shares: the consoles, the exit codes, and turning user mistakes into
one line per problem.

Exit codes: 0 solved (or valid / clean), 1 `check` found violations, 2 invalid input,
3 proven infeasible, 4 no plan within the time limit, 5 a plan failed the checker (a bug),
130 interrupted before any plan was found.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn

import click
from rich.console import Console
from rich.text import Text

from allocator.checker.audit import Audit
from allocator.io import OutputError, load_solution
from allocator.parameters import DEFAULT_WORKERS
from allocator.schema import InputError, Problem, Solution
from allocator.schema.errors import printable

EXIT_OK = 0
EXIT_VIOLATIONS = 1
EXIT_INPUT = 2
EXIT_INFEASIBLE = 3
EXIT_NO_PLAN = 4
EXIT_CHECKER = 5
EXIT_OUTPUT = 6
EXIT_INTERRUPTED = 130
EXIT_TERMINATED = 143


class _PlainConsole(Console):
    """A console that never interprets what it prints: no markup (`[/x]` in a name is
    text), and control characters shown as escapes (an ANSI sequence in an id cannot
    drive the terminal). Newlines and tabs in our own messages stay."""

    def render_str(self, text: str, *args: Any, **kwargs: Any) -> Text:
        return super().render_str(printable(text, keep="\n\t"), *args, **kwargs)


out = _PlainConsole(highlight=False, soft_wrap=True, markup=False)
err = _PlainConsole(stderr=True, highlight=False, soft_wrap=True, markup=False)


def fail_input(error: InputError) -> NoReturn:
    for line in error.lines():
        err.print(line, markup=False, soft_wrap=True)
    sys.exit(EXIT_INPUT)


def guarded(func: Callable[..., None]) -> Callable[..., None]:
    """Turn user mistakes into one line per problem and exit code 2, and a Ctrl-C the command
    did not handle itself into one line and exit code 130: never a traceback."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> None:
        try:
            func(*args, **kwargs)
        except InputError as error:
            fail_input(error)
        except OutputError as error:
            err.print(f"{error.path}: cannot write: {error.reason}; nothing there was changed")
            sys.exit(EXIT_OUTPUT)
        except KeyboardInterrupt:
            err.print("interrupted; nothing written")
            sys.exit(EXIT_INTERRUPTED)

    return wrapper


def warn(lines: list[str]) -> None:
    for line in lines:
        err.print(f"warning: {line}", markup=False)


FINDINGS_SHOWN = 20


def print_findings(lines: list[str], show_all: bool) -> None:
    """Each finding on its own indented line; past FINDINGS_SHOWN, a count instead, because a
    shortfall that touches every account would otherwise bury the few lines that explain it."""
    shown = lines if show_all else lines[:FINDINGS_SHOWN]
    for line in shown:
        out.print(f"  {line}", markup=False)
    if len(shown) < len(lines):
        out.print(f"  … and {len(lines) - len(shown)} more (--all lists every one)", markup=False)


workers_option = click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=DEFAULT_WORKERS,
    show_default=True,
    help="CP-SAT threads; the default is one per CPU this process may use. "
    "With more than one, runs differ a little unless --deterministic (where offered).",
)


def out_option(dest: str, help: str) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """The `-o/--out PATH` option, stored as `dest`."""
    return click.option(
        "-o", "--out", dest, type=click.Path(path_type=Path), default=None, help=help
    )


force_option = click.option(
    "--force",
    is_flag=True,
    help="Go on with a plan the checker rejects (the output says so).",
)

VIOLATIONS_SHOWN = 20


def refuse_unless_clean(verdict: Audit, source: Path, action: str, force: bool) -> None:
    """A plan the checker rejects stops the command (exit 1, one line per violation), or
    with `force` goes on with a warning."""
    if verdict.clean:
        return
    violations = verdict.violations
    for violation in violations[:VIOLATIONS_SHOWN]:
        err.print(f"violation: {violation}")
    if len(violations) > VIOLATIONS_SHOWN:
        err.print(f"violation: … and {len(violations) - VIOLATIONS_SHOWN} more")
    if not force:
        err.print(
            f"{source}: the checker rejects this plan ({len(violations)} violations): "
            f"{action} refused (--force to go on anyway)"
        )
        sys.exit(EXIT_VIOLATIONS)
    err.print(f"warning: {source}: {len(violations)} violations; {action} anyway (--force)")


def load_plan(solution_path: Path) -> Solution:
    """A solution file that holds a plan (an INFEASIBLE or UNKNOWN one is invalid input)."""
    solution = load_solution(solution_path)
    if not solution.assignments:
        raise InputError(
            str(solution_path),
            [
                Problem(
                    "solution",
                    "assignments",
                    f"no plan in this solution (status {solution.status})",
                )
            ],
        )
    return solution


def warn_if_other_instance(
    instance_path: Path, solution_path: Path, solution: Solution, instance_hash: str
) -> None:
    if solution.instance_hash and solution.instance_hash != instance_hash:
        err.print(
            f"warning: {solution_path} was solved for a different version of "
            f"{instance_path} (instance hash differs)",
            markup=False,
        )


def num(value: float | None) -> str:
    return "-" if value is None else f"{value:,.2f}"
