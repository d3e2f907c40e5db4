"""renewal_spread: at most N renewals per CSM per month or quarter (hard or penalised).

The penalised form adds the objective term renewal_bunching: renewals above the cap.
"""

from __future__ import annotations

from collections.abc import Callable

from ortools.sat.python import cp_model

from allocator.model.context import ModelContext, Plan


def _excess_in(accounts: list[str], csm_id: str, limit: int) -> Callable[[Plan], int]:
    def value(plan: Plan) -> int:
        return max(0, sum(1 for a in accounts if plan.get(a) == csm_id) - limit)

    return value


class RenewalSpread:
    name = "renewal_spread"
    term = "renewal_bunching"

    def build(self, ctx: ModelContext) -> None:
        spread = ctx.facts.instance.policy.renewal_spread
        if spread.max_per_window is None:
            return
        limit = spread.max_per_window
        excess_vars: list[cp_model.IntVar] = []
        for csm_id, pairs in ctx.by_csm.items():
            by_window: dict[str, list[cp_model.IntVar]] = {}
            for account_id, var in pairs:
                by_window.setdefault(ctx.facts.window_of(account_id), []).append(var)
            accounts_in: dict[str, list[str]] = {}
            for account_id, _ in pairs:
                accounts_in.setdefault(ctx.facts.window_of(account_id), []).append(account_id)
            for window, variables in sorted(by_window.items()):
                if len(variables) <= limit:
                    continue
                count = cp_model.LinearExpr.sum(variables)
                if spread.hard:
                    ctx.enforce(ctx.model.add(count <= limit), self.name, f"{csm_id} {window}")
                else:
                    excess = ctx.model.new_int_var(0, len(variables) - limit,
                                                   f"excess[{csm_id},{window}]")
                    ctx.model.add(excess >= count - limit)
                    excess_vars.append(excess)
                    ctx.add_derived(excess, _excess_in(accounts_in[window], csm_id, limit))
        if not spread.hard:
            ctx.add_term(self.term, 100 * cp_model.LinearExpr.sum(excess_vars))
