"""locked_accounts: a locked account stays with its current owner.

Enforced by the variables: a locked account may only go to its current owner
(`allocator.facts.eligibility`). In explain mode it is a constraint a core can name.
"""

from __future__ import annotations

from typing import Any

from allocator.model.form import Form


class LockedAccounts:
    name = "locked_accounts"

    def build(self, form: Form[Any]) -> None:
        if not form.explain:
            return
        for account_id in form.accounts:
            account = form.facts.accounts[account_id]
            keep = form.x.get((account_id, str(account.current_csm)))
            if account.locked and keep is not None:
                form.require([keep], [1], 1, 1, self.name, account_id)
