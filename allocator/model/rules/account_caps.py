"""account_caps: at most N accounts of a segment per CSM (the policy's cap for the
segment, or the CSM's own override)."""

from __future__ import annotations

from typing import Any

from allocator.model.form import Form


class AccountCaps:
    name = "account_caps"

    def build(self, form: Form[Any]) -> None:
        facts = form.facts
        for csm_id, pairs in form.by_csm.items():
            by_segment: dict[str, list[Any]] = {}
            for account_id, var in pairs:
                segment = facts.segment_of[account_id]
                if segment is not None:
                    by_segment.setdefault(segment, []).append(var)
            for segment, variables in by_segment.items():
                cap = facts.account_cap(csm_id, segment)
                if cap is not None and cap < len(variables):
                    form.require(
                        variables, [1] * len(variables), None, cap, self.name, f"{csm_id} {segment}"
                    )
