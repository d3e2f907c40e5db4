"""min_book_arr: with `cost_to_arr.enforce_per_csm`, each CSM's book carries at least its
annual cost x ramp / its most lenient cost-to-ARR target."""

from __future__ import annotations

from typing import Any

from allocator.model.form import Form


class MinBookArr:
    name = "min_book_arr"

    def build(self, form: Form[Any]) -> None:
        facts = form.facts
        for csm_id in form.csms:
            minimum = facts.min_book_arr(csm_id)
            if minimum is None:
                continue
            pairs = form.by_csm.get(csm_id, [])
            form.require(
                [v for _, v in pairs],
                [round(facts.accounts[a].arr) for a, _ in pairs],
                minimum,
                None,
                self.name,
                csm_id,
            )
