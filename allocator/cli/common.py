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

from rich.console import Console

from allocator.io import load_solution
from allocator.schema import InputError, Problem, Solution

EXIT_OK = 0
EXIT_VIOLATIONS = 1
EXIT_INPUT = 2
EXIT_INFEASIBLE = 3
EXIT_NO_PLAN = 4
EXIT_CHECKER = 5
EXIT_INTERRUPTED = 130

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)


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
