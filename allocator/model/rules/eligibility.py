"""eligibility: a CSM may own an account only if it serves the account's segment, matches
vertical specialisation and region, the pair is not forbidden (`pairs.allowed: false`),
and the CSM is staying (leaver_takes_nothing).

Which CSMs pass is derived once (`allocator.facts.eligibility`); the rule is enforced by
which variables exist: an account gets variables only for the CSMs it may go to. In
explain mode the current owner gets a variable too, and keeping an account its owner may
no longer own becomes a constraint an infeasibility core can name.
"""

from __future__ import annotations

from typing import Any

from allocator.model.form import Form

LEAVER = "leaver_takes_nothing"


class Eligibility:
    name = "eligibility"

    def build(self, form: Form[Any]) -> None:
        if not form.explain:
            return  # enforced by the variables `Form.candidates` creates
        facts = form.facts
        for account_id in form.accounts:
            current = facts.accounts[account_id].current_csm
            keep = form.x.get((account_id, current)) if current is not None else None
            if keep is None or current in facts.eligibility.structural[account_id]:
                continue
            if facts.csms[str(current)].leaving:
                form.require([keep], [1], 0, 0, LEAVER, str(current))
            else:
                form.require([keep], [1], 0, 0, self.name, f"{account_id} with {current}")
