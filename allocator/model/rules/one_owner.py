"""one_owner: every account in a named segment has exactly one CSM."""

from __future__ import annotations

from allocator.model.context import ModelContext


class OneOwner:
    name = "one_owner"

    def build(self, ctx: ModelContext) -> None:
        for account_id in ctx.accounts:
            ctx.model.add_exactly_one(var for _, var in ctx.by_account[account_id])
