"""Writes `instances/bench-tight85.json`: the 85 accounts of the Gainsight-shaped test export
(`tests/data/rebalance/gainsight/`) on 12 interchangeable generalist CSMs, with no balance
tolerance, a soft cap of 2 renewals per CSM per quarter and a move cost of 0.25.

A block this small was expected to prove optimal in about a second; this shape does not (see
`benchmarks/NOTES.md`, "A small block that does not prove"). Run from the repository root:
`python benchmarks/tight85.py`.
"""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

from allocator.crm import import_files
from allocator.io import write_instance
from allocator.schema import Csm, Instance

ROOT = Path(__file__).resolve().parent.parent
EXPORT = ROOT / "tests" / "data" / "rebalance" / "gainsight"
OUT = ROOT / "instances" / "bench-tight85.json"


def tight85() -> Instance:
    imported = import_files(EXPORT / "companies.xlsx", EXPORT / "roster.xlsx", "gainsight")
    instance = imported.instance
    rng = random.Random(3)
    model = instance.csms[0]
    csms = [
        Csm(
            id=f"H{i}",
            name=f"Generalist {i}",
            segments=model.segments,
            capacity=rng.choice([12.0, 15.0, 18.0]),
            annual_cost=model.annual_cost,
        )
        for i in range(12)
    ]
    accounts = [
        a.model_copy(update={"current_csm": rng.choice(csms).id}) for a in instance.accounts
    ]
    policy = instance.policy.model_copy(
        update={
            "effective_date": dt.date(2027, 1, 1),
            "specialization": instance.policy.specialization.model_copy(update={"verticals": []}),
            "renewal_spread": instance.policy.renewal_spread.model_copy(
                update={"window": "quarter", "max_per_window": 2}
            ),
            "balance": instance.policy.balance.model_copy(update={"tolerance": 0.0}),
            "continuity": instance.policy.continuity.model_copy(update={"cost_per_move": 0.25}),
        }
    )
    return Instance(name="bench-tight85", accounts=accounts, csms=csms, policy=policy)


if __name__ == "__main__":
    write_instance(tight85(), OUT)
    print(f"Wrote {OUT}")
