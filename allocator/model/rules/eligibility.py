"""eligibility, locked_accounts, renewal_freeze: rules that normally shape which variables
exist. In explain mode the variables are wider and these become guarded constraints."""

from __future__ import annotations

from allocator.model.context import ModelContext


class DomainRules:
    name = "eligibility"

    def build(self, ctx: ModelContext) -> None:
        if not ctx.explain:
            return  # enforced by `ModelContext.candidates`
        eligibility = ctx.facts.eligibility
        for account_id in ctx.accounts:
            account = ctx.facts.accounts[account_id]
            current = account.current_csm
            if current is None:
                continue
            keep = ctx.x.get((account_id, current))
            if keep is None:
                continue
            if current not in eligibility.structural[account_id]:
                csm = ctx.facts.csms[current]
                rule, subject = (("leaver_takes_nothing", current) if csm.leaving
                                 else ("eligibility", f"{account_id} with {current}"))
                ctx.enforce(ctx.model.add(keep == 0), rule, subject)
            if account.locked:
                ctx.enforce(ctx.model.add(keep == 1), "locked_accounts", account_id)
            elif account_id in eligibility.frozen:
                ctx.enforce(ctx.model.add(keep == 1), "renewal_freeze", account_id)
