"""The incremental-rebalance benchmark: a solved book, then 5% of its accounts change.

From a solved plan (which becomes everyone's current book), the change touches about 5% of
the named accounts: one CSM leaves (their whole book must move), new accounts arrive
without an owner, and some accounts' ARR crosses the Scale / Enterprise threshold (their
segment changes, so an owner who does not cover the new segment must hand them on).
The re-solve is then judged on time and on moves against the fewest moves any plan needs
(`allocator.bounds.quick.leaving_moves`: forced moves plus what caps and the balance band
make some CSMs shed).
"""

from __future__ import annotations

import random
from typing import Any

from allocator.io.loading import instance_from_dict
from allocator.schema.instance import Instance

SHARE = 0.05
THRESHOLD = 150_000.0  # Scale / Enterprise in the generated tiers' policy


def changed_book(
    instance: Instance, plan: dict[str, str | None], seed: int = 0, share: float = SHARE
) -> tuple[Instance, dict[str, int]]:
    """`instance` with `plan` as the current books and about `share` of the named
    accounts changed; returns the new instance and what changed (counts)."""
    rng = random.Random(seed)
    raw: dict[str, Any] = instance.model_dump(mode="json", exclude_none=True)
    for record in raw["accounts"]:
        owner = plan.get(record["id"])
        if owner is None:
            record.pop("current_csm", None)
        else:
            record["current_csm"] = owner
    named = [r for r in raw["accounts"] if "current_csm" in r]
    budget = round(share * len(named))

    books: dict[str, list[dict[str, Any]]] = {}
    for record in named:
        books.setdefault(record["current_csm"], []).append(record)
    # The leaver holds about a third of the change: the CSM whose book is closest to that.
    # (Not one with a locked account: that plan is refused outright, and says so.)
    staying = [
        c
        for c in raw["csms"]
        if not c.get("leaving")
        and books.get(c["id"])
        and not any(r.get("locked") for r in books[c["id"]])
    ]
    size = max(1, budget // 3)
    closest = min(abs(len(books[c["id"]]) - size) for c in staying)
    leaver = rng.choice(
        sorted(
            (c for c in staying if abs(len(books[c["id"]]) - size) == closest),
            key=lambda c: c["id"],
        )
    )
    leaver["leaving"] = True
    changes = {
        "leaver_accounts": len(books.get(leaver["id"], [])),
        "new_accounts": 0,
        "segment_changes": 0,
    }

    new_count = max(0, budget - changes["leaver_accounts"]) // 2
    templates = rng.sample(named, new_count)
    for index, template in enumerate(templates, start=1):
        record = {
            k: v
            for k, v in template.items()
            if k not in ("current_csm", "parent_id", "locked", "segment", "strategic")
        }
        record["id"] = f"NEW{index:05d}"
        record["name"] = f"New account {index}"
        record["arr"] = round(template["arr"] * rng.uniform(0.8, 1.2), 2)
        record["lifecycle_stage"] = "onboarding"
        raw["accounts"].append(record)
    changes["new_accounts"] = new_count

    near = [
        r
        for r in named
        if r["current_csm"] != leaver["id"]
        and not r.get("locked")
        and "segment" not in r
        and not r.get("strategic")
        and 0.6 * THRESHOLD <= r["arr"] <= 1.6 * THRESHOLD
    ]
    left = max(0, budget - changes["leaver_accounts"] - new_count)
    crossing = rng.sample(near, min(len(near), left))
    for record in crossing:  # across the threshold, by 5-20%
        factor = rng.uniform(1.05, 1.2)
        record["arr"] = round(
            THRESHOLD * factor if record["arr"] < THRESHOLD else THRESHOLD / factor, 2
        )
    changes["segment_changes"] = len(crossing)
    return instance_from_dict(raw, source=f"{instance.name}+{share:.0%} changed"), changes
