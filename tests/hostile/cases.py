"""Hostile inputs, generated: a small valid instance, and every way of spoiling one value in
it or its JSON text. Each case runs through the real command line in-process."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner, Result

from allocator.cli.main import main

BAD = "__BAD__"


def base() -> dict[str, Any]:
    """A valid instance touching every numeric field an instance file can hold."""
    return {
        "name": "hostile",
        "accounts": [
            {
                "id": "A1",
                "name": "Acme",
                "arr": 50_000,
                "renewal_date": "2027-06-01",
                "health": 60,
                "effort": 1.5,
                "current_csm": "C1",
                "lifecycle_stage": "steady",
                "contract": "annual",
            },
            {"id": "A2", "arr": 20_000, "renewal_date": "2027-03-01", "current_csm": "C2"},
        ],
        "csms": [
            {
                "id": "C1",
                "segments": ["Scale"],
                "capacity": 10,
                "annual_cost": 90_000,
                "ramp": 1.0,
                "max_accounts": {"Scale": 30},
            },
            {"id": "C2", "segments": ["Scale"], "capacity": 10},
        ],
        "pairs": [{"account": "A1", "csm": "C2", "cost": 1.0, "effort": 2.0}],
        "policy": {
            "effective_date": "2027-01-01",
            "strategic_segment": None,
            "segments": [
                {
                    "name": "Scale",
                    "min_arr": 0,
                    "max_arr": 150_000,
                    "max_accounts": 40,
                    "base_effort": 1.0,
                    "cost_to_arr_target": 0.15,
                },
                {"name": "Enterprise", "min_arr": 150_000},
            ],
            "effort": {
                "lifecycle": {"steady": 1.0, "onboarding": 1.5},
                "contract": {"annual": 1.0, "monthly": 0.8},
                "health_bands": [{"below": 40, "multiplier": 1.4}],
            },
            "renewal_spread": {"max_per_window": 5},
            "balance": {"band": 0.5, "tolerance": 0.02},
            "continuity": {"cost_per_move": 1.0, "max_moves": 10, "freeze_days": 30},
            "weights": {
                "balance": 1,
                "moves": 1,
                "renewal_bunching": 1,
                "pair_cost": 1,
                "specialization": 5,
            },
        },
    }


def numeric_paths(node: Any, path: tuple[str | int, ...] = ()) -> list[tuple[str | int, ...]]:
    """Every path to a number in `node` (booleans are not numbers here)."""
    if isinstance(node, dict):
        return [p for k, v in node.items() for p in numeric_paths(v, (*path, k))]
    if isinstance(node, list):
        return [p for i, v in enumerate(node) for p in numeric_paths(v, (*path, i))]
    if isinstance(node, int | float) and not isinstance(node, bool):
        return [path]
    return []


def spoiled(path: tuple[str | int, ...], token: str) -> str:
    """The base instance's JSON with the number at `path` replaced by `token` verbatim."""
    raw = base()
    node: Any = raw
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = BAD
    return json.dumps(raw).replace(json.dumps(BAD), token)


def run(args: list[str]) -> Result:
    return CliRunner().invoke(main, args)


def assert_clean_failure(result: Result, code: int, source: str | Path) -> list[str]:
    """Exit `code`, every line of output naming `source` (one line per problem), and
    neither a traceback nor an exception escaping."""
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert lines, "no message"
    for line in lines:
        assert line.startswith(str(source)), line
    return lines
