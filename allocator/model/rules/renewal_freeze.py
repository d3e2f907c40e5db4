"""renewal_freeze: no voluntary move within `continuity.freeze_days` before renewal (an
owner who is leaving or may no longer own the account still hands it on).

Enforced by the variables: a frozen account may only go to its current owner
(`allocator.facts.eligibility`). In explain mode it is a constraint a core can name.
"""

from __future__ import annotations

from typing import Any

from allocator.model.form import Form


class RenewalFreeze:
    name = "renewal_freeze"

    def build(self, form: Form[Any]) -> None:
        if not form.explain:
            return
        facts = form.facts
        for account_id in form.accounts:
            account = facts.accounts[account_id]
            keep = form.x.get((account_id, str(account.current_csm)))
            if keep is not None and not account.locked and account_id in facts.eligibility.frozen:
                form.require([keep], [1], 1, 1, self.name, account_id)
