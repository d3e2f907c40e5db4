"""one_owner: every account in a named segment has exactly one CSM."""

from __future__ import annotations

from typing import Any

from allocator.model.form import Form


class OneOwner:
    name = "one_owner"

    def build(self, form: Form[Any]) -> None:
        for account_id in form.accounts:
            form.exactly_one([var for _, var in form.by_account[account_id]])
