"""Random tiny instances for property tests, and a brute force over every plan.

Random tiny instances: 2-4 CSMs, 1-10 accounts, segments from the default policy via ARR,
random capacities, owners, locks, families, pairs and policy switches. The brute force
tries every assignment of the named accounts to every CSM (eligible or not: the checker
has to reject the ineligible ones).
"""

from __future__ import annotations

import itertools
from typing import Any

from hypothesis import reject
from hypothesis import strategies as st

from allocator.facts import Facts
from allocator.io.loading import instance_from_dict
from allocator.schema.errors import InputError
from allocator.schema.instance import Instance
from tests.builders import EFFECTIVE, raw_instance

MAX_PLANS = 4096
SEGMENTS = ["Global", "Enterprise", "Scale"]
# ARR values landing in Scale (< 150k), Enterprise (150k-750k) and Global (>= 750k).
ARRS = [20_000, 60_000, 90_000, 200_000, 500_000, 900_000]
WEIGHTS = [0.0, 0.5, 1.0, 2.0, 5.0]  # multiples of 0.001 (the weights' resolution)
TOL = 1e-6


@st.composite
def instances(draw: st.DrawFn) -> dict[str, Any]:
    n_csms = draw(st.integers(2, 4))
    max_accounts = max(n for n in range(1, 11) if n_csms**n <= MAX_PLANS)
    n_accounts = draw(st.integers(1, max_accounts))
    csm_ids = [f"C{i}" for i in range(n_csms)]

    csms = []
    for i, cid in enumerate(csm_ids):
        segments = (
            SEGMENTS
            if i == 0
            else draw(st.lists(st.sampled_from(SEGMENTS), min_size=1, max_size=3, unique=True))
        )
        record: dict[str, Any] = {
            "id": cid,
            "segments": segments,
            "capacity": draw(st.sampled_from([4, 8, 12, 20, 30, 60])),
            "ramp": draw(st.sampled_from([1.0, 1.0, 1.0, 0.5, 0.0])),
            "verticals": draw(
                st.sampled_from(
                    [[], [], ["finance", "retail"]]
                    if i == 0
                    else [[], [], ["finance"], ["finance", "retail"]]
                )
            ),
            "regions": [] if i == 0 else draw(st.sampled_from([[], ["EU"], ["US"]])),
            "leaving": i > 0 and draw(st.booleans()) and draw(st.booleans()),
            "annual_cost": draw(st.sampled_from([0, 0, 3_000, 30_000])),
        }
        if draw(st.booleans()) and draw(st.booleans()):
            record["max_accounts"] = {draw(st.sampled_from(SEGMENTS)): draw(st.integers(1, 3))}
        csms.append(record)

    accounts = []
    for j in range(n_accounts):
        current = draw(st.sampled_from([None, *csm_ids]))
        record = {
            "id": f"A{j}",
            "arr": draw(st.sampled_from(ARRS)),
            "renewal_date": f"{draw(st.sampled_from([2025, 2026, 2026]))}-"
            f"{draw(st.integers(1, 12)):02d}-{draw(st.integers(1, 28)):02d}",
            "vertical": draw(st.sampled_from(["retail", "retail", "finance"])),
            "region": draw(st.sampled_from(["EU", "US"])),
            "current_csm": current,
            "effort": draw(st.sampled_from([None, None, 0.5, 1, 2.5, 4])),
            "lifecycle_stage": draw(st.sampled_from([None, "onboarding", "at_risk"])),
            "health": draw(st.sampled_from([None, 30, 60, 90])),
            "contract": draw(st.sampled_from([None, "annual", "monthly"])),
            "segment": draw(st.sampled_from([None, None, None, *SEGMENTS])),
            "strategic": draw(st.booleans()) and draw(st.booleans()),
            "locked": current is not None and draw(st.booleans()) and draw(st.booleans()),
        }
        if j > 0 and draw(st.booleans()) and draw(st.booleans()):
            record["parent_id"] = f"A{draw(st.integers(0, j - 1))}"  # earlier: no cycles
        accounts.append(record)

    pairs = []
    for aid, cid in draw(
        st.lists(
            st.tuples(st.sampled_from([a["id"] for a in accounts]), st.sampled_from(csm_ids)),
            max_size=4,
            unique=True,
        )
    ):  # duplicate pairs are invalid
        pairs.append(
            {
                "account": aid,
                "csm": cid,
                "cost": draw(st.sampled_from([0, 0.5, 1, 3])),
                "effort": draw(st.sampled_from([None, 0.5, 3])),
                "allowed": draw(st.sampled_from([True, True, True, False])),
            }
        )

    policy: dict[str, Any] = {
        "renewal_spread": {
            "window": draw(st.sampled_from(["month", "quarter"])),
            "max_per_window": draw(st.sampled_from([None, None, 1, 2])),
            "hard": draw(st.booleans()),
        },
        "balance": {"band": draw(st.sampled_from([None, None, None, 0.5, 1.0]))},
        "continuity": {
            "cost_per_move": draw(st.sampled_from([0, 1, 2.5])),
            "max_moves": draw(st.sampled_from([None, None, 0, 1])),
            "freeze_days": draw(st.sampled_from([0, 0, 60])),
        },
        "cost_to_arr": {"enforce_per_csm": draw(st.booleans()) and draw(st.booleans())},
        "specialization": {"verticals": ["finance"], "hard": draw(st.booleans())},
        "families_share_segment": draw(st.booleans()),
        "weights": {
            t: draw(st.sampled_from(WEIGHTS))
            for t in ["balance", "moves", "renewal_bunching", "pair_cost", "specialization"]
        },
    }
    if draw(st.booleans()) and draw(st.booleans()):
        # Make Scale a pooled segment (its accounts get no named owner).
        policy["segments"] = [
            {"name": "Global", "min_arr": 750_000, "max_accounts": 6, "base_effort": 8},
            {
                "name": "Enterprise",
                "min_arr": 150_000,
                "max_arr": 750_000,
                "max_accounts": 15,
                "base_effort": 3,
            },
            {"name": "Scale", "min_arr": 0, "max_arr": 150_000, "pooled": True},
        ]
    return raw_instance(accounts, csms, policy, pairs, name="random")


def brute_force(instance: Instance, pins: dict[str, str] | None = None) -> float | None:
    """The lowest checker objective over every plan the checker accepts (None: no plan).

    With `pins`, only plans giving each pinned account its CSM count (a forced
    pooled account can have no such plan, as pooled accounts have no owner).
    """
    facts = Facts(instance, EFFECTIVE)
    checker = facts.checker
    named = facts.named_accounts
    csm_ids = [c.id for c in instance.csms]
    base: dict[str, str | None] = {a.id: None for a in instance.accounts}
    best: float | None = None
    for combo in itertools.product(csm_ids, repeat=len(named)):
        owners = {**base, **dict(zip(named, combo, strict=True))}
        if pins and any(owners[a] != c for a, c in pins.items()):
            continue
        report = checker.check(owners)
        if report.violations:
            continue
        if best is None or report.objective < best:
            best = report.objective
    return best


def to_instance(raw: dict[str, Any]) -> Instance:
    try:
        return instance_from_dict(raw)
    except InputError:
        reject()  # e.g. an account no staying CSM can take: refused, not solved
        raise
