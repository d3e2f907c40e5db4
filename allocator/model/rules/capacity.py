"""account_caps (accounts per segment per CSM) and effort_capacity (effort x ramp)."""

from __future__ import annotations

from ortools.sat.python import cp_model

from allocator.model.context import ModelContext


class AccountCaps:
    name = "account_caps"

    def build(self, ctx: ModelContext) -> None:
        facts = ctx.facts
        for csm_id, pairs in ctx.by_csm.items():
            by_segment: dict[str, list[cp_model.IntVar]] = {}
            for account_id, var in pairs:
                segment = facts.segment_of[account_id]
                if segment is not None:
                    by_segment.setdefault(segment, []).append(var)
            for segment, variables in by_segment.items():
                cap = facts.account_cap(csm_id, segment)
                if cap is not None and cap < len(variables):
                    ctx.enforce(ctx.model.add(cp_model.LinearExpr.sum(variables) <= cap),
                                self.name, f"{csm_id} {segment}")


class EffortCapacity:
    name = "effort_capacity"

    def build(self, ctx: ModelContext) -> None:
        facts = ctx.facts
        for csm_id, pairs in ctx.by_csm.items():
            efforts = [facts.effort(a, csm_id) for a, _ in pairs]
            capacity = facts.capacity(csm_id)
            if sum(efforts) > capacity:
                load = cp_model.LinearExpr.weighted_sum([v for _, v in pairs], efforts)
                ctx.enforce(ctx.model.add(load <= capacity), self.name, csm_id)
