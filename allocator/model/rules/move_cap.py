"""move_cap: at most `continuity.max_moves` voluntary moves over the plan (moves forced
by a leaver or lost eligibility do not count). A block or a search step may carry a cap
of its own (`Form.move_cap`), which replaces the policy's there."""

from __future__ import annotations

from typing import Any

from allocator.model.form import Form


class MoveCap:
    name = "move_cap"

    def build(self, form: Form[Any]) -> None:
        cap = form.move_cap if form.move_cap is not None else form.facts.move_cap
        if cap is None:
            return
        keeps = form.keep_variables()
        if len(keeps) > cap:  # voluntary moves = len(keeps) - kept <= cap
            form.require(
                keeps,
                [1] * len(keeps),
                len(keeps) - cap,
                None,
                self.name,
                "plan" if form.move_cap is None else "block",
            )
