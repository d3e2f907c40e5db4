"""min_book_arr: when cost/ARR is enforced, each CSM's book carries cost x ramp / target."""

from __future__ import annotations

from ortools.sat.python import cp_model

from allocator.model.context import ModelContext


class MinBookArr:
    name = "min_book_arr"

    def build(self, ctx: ModelContext) -> None:
        facts = ctx.facts
        for csm_id in ctx.csms:
            minimum = facts.min_book_arr(csm_id)
            if minimum is None:
                continue
            pairs = ctx.by_csm.get(csm_id, [])
            arr = [round(facts.accounts[a].arr) for a, _ in pairs]
            book_arr = cp_model.LinearExpr.weighted_sum([v for _, v in pairs], arr)
            ctx.enforce(ctx.model.add(book_arr >= minimum), self.name, csm_id)
