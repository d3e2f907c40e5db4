"""renewal_spread: at most N renewals per CSM per calendar month or quarter.

As a hard rule, a cap per CSM and window; as a preference, the objective term
renewal_bunching counts the renewals above the cap.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from allocator.model.form import Form
from allocator.schema.plan import Plan

TERM = "renewal_bunching"


def _excess_in(accounts: list[str], csm_id: str, limit: int) -> Callable[[Plan], int]:
    def value(plan: Plan) -> int:
        return max(0, sum(1 for a in accounts if plan.get(a) == csm_id) - limit)

    return value


class RenewalSpread:
    name = "renewal_spread"

    def build(self, form: Form[Any]) -> None:
        facts = form.facts
        limit = facts.renewal_limit
        hard = facts.renewal_limit_hard
        if limit is None or not (hard or form.objective):
            return
        excess_vars = []
        for csm_id, pairs in form.by_csm.items():
            by_window: dict[str, list[tuple[str, Any]]] = {}
            for account_id, var in pairs:
                by_window.setdefault(facts.window_of(account_id), []).append((account_id, var))
            for window, members in sorted(by_window.items()):
                if len(members) <= limit:
                    continue
                variables = [v for _, v in members]
                if hard:
                    form.require(
                        variables,
                        [1] * len(variables),
                        None,
                        limit,
                        self.name,
                        f"{csm_id} {window}",
                    )
                    continue
                accounts = [a for a, _ in members]
                excess = form.new_int(
                    0,
                    len(members) - limit,
                    f"excess[{csm_id},{window}]",
                    _excess_in(accounts, csm_id, limit),
                )
                # excess >= renewals - limit
                form.require(
                    [excess, *variables],
                    [1] + [-1] * len(variables),
                    -limit,
                    None,
                    self.name,
                    f"{csm_id} {window}",
                )
                excess_vars.append(excess)
        if not hard:
            form.add_term(TERM, excess_vars, [100] * len(excess_vars))
