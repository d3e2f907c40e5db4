"""balance: each CSM's effort close to its pool's utilisation times its capacity.

The objective term balance is the sum over CSMs of how far effort lies outside target ±
tolerance x capacity (effort units); with `policy.balance.band`, effort must also lie
within target ± band x capacity (a hard rule, its top and floor named apart). The free
tolerance keeps the search from chasing hundredths of an effort unit, which nobody
rebalances for and which make proofs slow.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from allocator.facts import Facts
from allocator.model.form import Form
from allocator.schema.plan import Plan


def _deviation_in(facts: Facts, accounts: list[str], csm_id: str) -> Callable[[Plan], int]:
    def value(plan: Plan) -> int:
        load = sum(facts.effort(a, csm_id) for a in accounts if plan.get(a) == csm_id)
        return facts.balance_excess(csm_id, load)

    return value


class Balance:
    name = "balance"

    def build(self, form: Form[Any]) -> None:
        facts = form.facts
        deviations = []
        for csm_id in form.csms:
            target = facts.balance_target.get(csm_id)
            if target is None:
                continue
            variables, efforts = form.load(csm_id)
            if form.objective:
                free = facts.balance_tolerance(csm_id)
                # The widest deviation any plan can have (not capped by capacity: in
                # explain mode capacity may be switched off).
                top = max(target, sum(efforts) - target) - free
                accounts = [a for a, _ in form.by_csm.get(csm_id, [])]
                deviation = form.new_int(
                    0, max(top, 0), f"deviation[{csm_id}]", _deviation_in(facts, accounts, csm_id)
                )
                negated = [-e for e in efforts]
                # deviation >= load - target - free, and >= target - free - load
                form.require(
                    [deviation, *variables], [1, *negated], -target - free, None, self.name, csm_id
                )
                form.require(
                    [deviation, *variables], [1, *efforts], target - free, None, self.name, csm_id
                )
                deviations.append(deviation)
            slack = facts.band_slack(csm_id)
            if slack is not None:
                form.require(variables, efforts, None, target + slack, self.name, f"{csm_id} top")
                form.require(variables, efforts, target - slack, None, self.name, f"{csm_id} floor")
        if form.objective:
            form.add_term(self.name, deviations, [1] * len(deviations))
