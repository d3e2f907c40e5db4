"""families_together: a parent and its children share one owner."""

from __future__ import annotations

from typing import Any

from allocator.model.form import Form


class FamiliesTogether:
    name = "families_together"

    def build(self, form: Form[Any]) -> None:
        in_scope = set(form.accounts)
        for root, family in sorted(form.facts.families.items()):
            # A block holds whole families; a search neighbourhood may hold part of one.
            members = [m for m in family if m in in_scope]
            if len(members) < 2:
                continue
            head = members[0]
            for other in members[1:]:
                csms = {c for c, _ in form.by_account[head]} | {
                    c for c, _ in form.by_account[other]
                }
                for csm_id in sorted(csms):
                    a = form.x.get((head, csm_id))
                    b = form.x.get((other, csm_id))
                    if a is not None and b is not None:
                        form.require([a, b], [1, -1], 0, 0, self.name, root)
                    elif a is not None:
                        form.require([a], [1], 0, 0, self.name, root)
                    elif b is not None:
                        form.require([b], [1], 0, 0, self.name, root)
