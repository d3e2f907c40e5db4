"""families_together: a parent and its children share one owner."""

from __future__ import annotations

from allocator.model import ModelContext


class FamiliesTogether:
    name = "families_together"

    def build(self, ctx: ModelContext) -> None:
        in_scope = set(ctx.accounts)
        for root, members in sorted(ctx.data.families.items()):
            if members[0] not in in_scope:
                continue
            head = root if root in ctx.by_account else members[0]
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
