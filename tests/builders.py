"""Builders of tiny instances from dicts, and helpers to solve and check them quickly.

Defaults: every account is a Scale account (ARR 10,000, explicit effort 1) renewing on
2026-09-15; every CSM serves Scale with capacity 10; the plan date is 2026-01-01.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from allocator.checker import CheckReport, check
from allocator.io.loading import instance_from_dict
from allocator.pipeline import solve
from allocator.pipeline.result import SolveResult
from allocator.schema.instance import (
    Account,
    Balance,
    Continuity,
    CostToArr,
    Csm,
    Instance,
    ObjectiveWeights,
    Pair,
    Policy,
    RenewalSpread,
    Segment,
    Specialization,
)

ROOT = Path(__file__).resolve().parents[1]
"""The repository's root folder."""
INSTANCES = ROOT / "instances"

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


def run(
    instance: Instance,
    pins: dict[str, str] | None = None,
    time_limit: float = 10.0,
    workers: int = 1,
) -> SolveResult:
    """Solve a tiny instance on one worker."""
    return solve(
        instance,
        time_limit=time_limit,
        workers=workers,
        seed=0,
        effective_date=EFFECTIVE,
        pins=pins,
    )


def check_plan(instance: Instance, owners: dict[str, str | None]) -> CheckReport:
    return check(instance, owners, EFFECTIVE)


def rule_names(report: CheckReport) -> set[str]:
    return {v.rule for v in report.violations}


DAY = EFFECTIVE


def _account(
    aid: str, arr: float, days: int, current: str | None = None, **extra: object
) -> Account:
    return Account.model_validate(
        {
            "id": aid,
            "arr": arr,
            "current_csm": current,
            "renewal_date": DAY + dt.timedelta(days=days),
            **extra,
        }
    )


def multi_rule_instance() -> Instance:
    """Small, but with every rule of the model switched on and most of them binding."""
    policy = Policy(
        segments=[
            Segment(name="Enterprise", min_arr=100_000, max_accounts=3, base_effort=3),
            Segment(name="Scale", min_arr=0, max_arr=100_000, max_accounts=4, base_effort=1),
            Segment(name="Digital", min_arr=0, max_arr=1, pooled=True),
        ],
        strategic_segment="Enterprise",
        specialization=Specialization(verticals=["finance"], hard=False),
        renewal_spread=RenewalSpread(window="quarter", max_per_window=2, hard=False),
        balance=Balance(band=0.6),
        continuity=Continuity(cost_per_move=1.5, max_moves=3, freeze_days=30),
        cost_to_arr=CostToArr(enforce_per_csm=True),
        weights=ObjectiveWeights(
            balance=0.5, moves=2, renewal_bunching=1.5, pair_cost=1, specialization=3
        ),
        effective_date=DAY,
    )
    csms = [
        Csm(id="gen", segments=["Enterprise", "Scale"], capacity=11, annual_cost=45_000),
        Csm(id="fin", segments=["Enterprise", "Scale"], verticals=["finance"], capacity=10),
        Csm(id="scale", segments=["Scale"], capacity=8, ramp=0.75, regions=["EU"]),
        Csm(id="eu", segments=["Enterprise", "Scale"], capacity=7, regions=["EU"]),
        Csm(id="gone", segments=["Scale"], capacity=8, leaving=True),
    ]
    accounts = [
        _account("e1", 300_000, 10, "fin", vertical="finance"),  # frozen with fin
        _account("e2", 200_000, 40, "gen", region="US"),
        _account("e3", 150_000, 50, "gen", vertical="finance", region="US"),
        _account("e4", 120_000, 60, "fin", parent_id="e2", region="US"),  # family of e2
        _account("e5", 50_000, 70, strategic=True, region="EU"),  # strategic: Enterprise
        _account("e6", 250_000, 200, "eu", region="EU", lifecycle_stage="onboarding"),
        _account("s1", 20_000, 20, "gone", region="EU"),  # forced move
        _account("s2", 30_000, 25, "gone", region="EU", health=30),
        _account("s3", 40_000, 45, "scale", region="EU", locked=True),
        _account("s4", 60_000, 55, "scale", region="EU", vertical="finance"),
        _account("s5", 25_000, 65, "gen", region="US", vertical="finance"),
        _account("s6", 35_000, 75, region="EU", contract="monthly"),
        _account("s7", 45_000, 120, "eu", region="EU"),
        _account("s8", 15_000, 130, "fin", region="US", vertical="finance"),
        _account("d1", 0, 90, "gen", segment="Digital"),  # pooled: no named owner
    ]
    pairs = [
        Pair(account="s5", csm="fin", cost=-2.5),
        Pair(account="s6", csm="eu", cost=1.25),
        Pair(account="s7", csm="gen", cost=0.75, effort=0.5),
        Pair(account="e2", csm="eu", allowed=False),
        Pair(account="e2", csm="gen", cost=2),
        Pair(account="e6", csm="gen", cost=3),
    ]
    return Instance(name="multi-rule", accounts=accounts, csms=csms, pairs=pairs, policy=policy)
