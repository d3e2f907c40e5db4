"""families_together: a parent and its children share one owner."""

from __future__ import annotations

from allocator.model.context import ModelContext


class FamiliesTogether:
    name = "families_together"

    def build(self, ctx: ModelContext) -> None:
        in_scope = set(ctx.accounts)
        for root, family in sorted(ctx.facts.families.items()):
            # A block holds whole families; a search neighbourhood may hold part of one.
            members = [m for m in family if m in in_scope]
            if len(members) < 2:
                continue
            head = members[0]
            for other in members:
                if other == head:
                    continue
                csms = {c for c, _ in ctx.by_account[head]} | {c for c, _ in
                                                                ctx.by_account[other]}
                for csm_id in sorted(csms):
                    a = ctx.x.get((head, csm_id))
                    b = ctx.x.get((other, csm_id))
                    if a is not None and b is not None:
                        ctx.enforce(ctx.model.add(a == b), self.name, root)
                    elif a is not None:
                        ctx.enforce(ctx.model.add(a == 0), self.name, root)
                    elif b is not None:
                        ctx.enforce(ctx.model.add(b == 0), self.name, root)
