"""pair_cost (preference/affinity cost of pairs) and specialization (soft form).

specialization counts specialised-vertical accounts given to a generalist; it exists only
when the policy makes specialisation a preference rather than a hard rule.
"""

from __future__ import annotations

from ortools.sat.python import cp_model

from allocator.model.context import ModelContext


class PairCost:
    name = "pair_cost"

    def build(self, ctx: ModelContext) -> None:
        costs = ctx.facts.pair_cost
        if not costs:
            return
        variables, coefficients = [], []
        for key, cost in sorted(costs.items()):
            var = ctx.x.get(key)
            if var is not None:
                variables.append(var)
                coefficients.append(cost)
        ctx.add_term(self.name, cp_model.LinearExpr.weighted_sum(variables, coefficients))


class Specialization:
    name = "specialization"

    def build(self, ctx: ModelContext) -> None:
        spec = ctx.facts.instance.policy.specialization
        if spec.hard:
            return
        specialized = set(spec.verticals)
        off = []
        for (account_id, csm_id), var in ctx.x.items():
            vertical = ctx.facts.accounts[account_id].vertical
            if vertical in specialized and vertical not in ctx.facts.csms[csm_id].verticals:
                off.append(var)
        ctx.add_term(self.name, 100 * cp_model.LinearExpr.sum(off))
