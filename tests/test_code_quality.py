"""The code stays lint-clean, formatted and strictly typed: ruff and mypy run with the
tests, so CI fails on a regression."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


@pytest.mark.parametrize(
    "command",
    [
        ("ruff", "check", "allocator", "tests", "benchmarks"),
        ("ruff", "format", "--check", "allocator", "tests", "benchmarks"),
        ("mypy", "--strict", "allocator"),
    ],
    ids=["ruff-check", "ruff-format", "mypy-strict"],
)
def test_clean(command: tuple[str, ...]) -> None:
    done = _run(*command)
    assert done.returncode == 0, done.stdout + done.stderr
