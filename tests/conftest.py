"""Helpers to build tiny instances from dicts, and to solve and check them quickly.

Defaults: every account is a Scale account (ARR 10,000, explicit effort 1) renewing on
2026-09-15; every CSM serves Scale with capacity 10; the plan date is 2026-01-01.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from allocator.checker.check import CheckReport, check
from allocator.schema.instance import Instance
from allocator.io.loading import instance_from_dict
from allocator.pipeline.result import SolveResult
from allocator.pipeline.solve import solve

EFFECTIVE = dt.date(2026, 1, 1)
RENEWAL = "2026-09-15"

ACCOUNT_DEFAULTS: dict[str, Any] = {"arr": 10_000, "renewal_date": RENEWAL, "effort": 1}
CSM_DEFAULTS: dict[str, Any] = {"segments": ["Scale"], "capacity": 10}


def account(id: str, **fields: Any) -> dict[str, Any]:
    """An account record with defaults; `effort=None` uses the policy's effort model.

    Fields set to None are dropped (so the model's default applies) by `raw_instance`.
    """
    return {"id": id, **ACCOUNT_DEFAULTS, **fields}


def csm(id: str, **fields: Any) -> dict[str, Any]:
    return {"id": id, **CSM_DEFAULTS, **fields}


def raw_instance(
    accounts: list[dict[str, Any] | str],
    csms: list[dict[str, Any] | str],
    policy: dict[str, Any] | None = None,
    pairs: list[dict[str, Any]] | None = None,
    name: str = "test",
) -> dict[str, Any]:
    """The instance as a plain dict (what a JSON file would hold).

    Accounts and CSMs may be given as bare ids or as dicts (missing fields get defaults).
    """
    def fill(record: dict[str, Any] | str, defaults: dict[str, Any]) -> dict[str, Any]:
        merged = {**defaults, **({"id": record} if isinstance(record, str) else record)}
        return {k: v for k, v in merged.items() if v is not None}

    merged_policy: dict[str, Any] = {"effective_date": EFFECTIVE.isoformat(), **(policy or {})}
    # Hand-checked optima count every hundredth of deviation: no free tolerance unless a
    # test asks for one.
    merged_policy["balance"] = {"tolerance": 0.0, **merged_policy.get("balance", {})}
    return {
        "name": name,
        "accounts": [fill(a, ACCOUNT_DEFAULTS) for a in accounts],
        "csms": [fill(c, CSM_DEFAULTS) for c in csms],
        "pairs": pairs or [],
        "policy": merged_policy,
    }


def make_instance(
    accounts: list[dict[str, Any] | str],
    csms: list[dict[str, Any] | str],
    policy: dict[str, Any] | None = None,
    pairs: list[dict[str, Any]] | None = None,
    name: str = "test",
) -> Instance:
    """A validated instance built with `instance_from_dict`."""
    return instance_from_dict(raw_instance(accounts, csms, policy, pairs, name))


def run(instance: Instance, force: dict[str, str] | None = None,
        time_limit: float = 10.0, workers: int = 1) -> SolveResult:
    """Solve a tiny instance on one worker."""
    return solve(instance, time_limit=time_limit, workers=workers, seed=0,
                 effective_date=EFFECTIVE, force=force)


def check_plan(instance: Instance, owners: dict[str, str | None]) -> CheckReport:
    return check(instance, owners, EFFECTIVE)


def rule_names(report: CheckReport) -> set[str]:
    return {v.rule for v in report.violations}


@pytest.fixture
def tmp_json(tmp_path):
    """Write a JSON-able object (or raw text) to a file in tmp_path and return its path."""
    import json

    def write(content: Any, name: str = "instance.json"):
        path = tmp_path / name
        path.write_text(content if isinstance(content, str) else json.dumps(content),
                        encoding="utf-8")
        return path

    return write
