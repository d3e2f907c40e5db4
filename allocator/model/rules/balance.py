"""balance: each CSM's effort close to its pool's utilisation times its capacity.

Adds the objective term `balance`: the sum over CSMs of how far effort lies outside
target ± tolerance x capacity (effort units); and, when the policy sets a band, the hard
rule |effort - target| <= band x capacity. The free tolerance keeps the search from chasing
hundredths of an effort unit, which nobody rebalances for and which make proofs slow.
"""

from __future__ import annotations

from collections.abc import Callable

from ortools.sat.python import cp_model

from allocator.model.context import ModelContext, Plan


def _deviation_in(ctx: ModelContext, csm_id: str) -> Callable[[Plan], int]:
    accounts = [a for a, _ in ctx.by_csm.get(csm_id, [])]

    def value(plan: Plan) -> int:
        load = sum(ctx.facts.effort(a, csm_id) for a in accounts if plan.get(a) == csm_id)
        return ctx.facts.balance_excess(csm_id, load)

    return value


class Balance:
    name = "balance"

    def build(self, ctx: ModelContext) -> None:
        facts = ctx.facts
        deviations: list[cp_model.IntVar] = []
        for csm_id in ctx.csms:
            target = facts.balance_target.get(csm_id)
            if target is None:
                continue
            pairs = ctx.by_csm.get(csm_id, [])
            efforts = [facts.effort(a, csm_id) for a, _ in pairs]
            load = cp_model.LinearExpr.weighted_sum([v for _, v in pairs], efforts)
            free = facts.balance_tolerance(csm_id)
            # The widest deviation any plan can have (not capped by capacity: in explain
            # mode capacity may be switched off, and the bound must not stand in for it).
            top = max(target, sum(efforts) - target) - free
            deviation = ctx.model.new_int_var(0, max(top, 0), f"deviation[{csm_id}]")
            ctx.model.add(deviation >= load - target - free)
            ctx.model.add(deviation >= target - free - load)
            deviations.append(deviation)
            ctx.add_derived(deviation, _deviation_in(ctx, csm_id))
            slack = facts.band_slack(csm_id)
            if slack is not None:
                ctx.enforce(ctx.model.add(load <= target + slack), self.name, csm_id)
                ctx.enforce(ctx.model.add(load >= target - slack), self.name, csm_id)
        ctx.add_term(self.name, cp_model.LinearExpr.sum(deviations))
