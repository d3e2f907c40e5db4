"""moves: the objective term cost per move, forced moves included (they are constant).

A move is voluntary when the current owner could keep the account; moves forced by a
leaver, a segment change or lost eligibility cost the same but are not capped (move_cap).
"""

from __future__ import annotations

from typing import Any

from allocator.model.form import Form


class Moves:
    name = "moves"

    def build(self, form: Form[Any]) -> None:
        if not form.objective:
            return
        facts = form.facts
        cost = round(facts.policy.continuity.cost_per_move * 100)
        keeps = form.keep_variables()
        owned = [a for a in form.accounts if facts.accounts[a].current_csm is not None]
        forced = len(owned) - len(keeps)
        if form.whole_book:  # pooled accounts that had an owner: always moved
            forced += sum(
                1
                for a in facts.instance.accounts
                if a.current_csm is not None and facts.is_pooled(a.id)
            )
        # moves = forced + sum(1 - keep)
        form.add_term(self.name, keeps, [-cost] * len(keeps), cost * (forced + len(keeps)))
