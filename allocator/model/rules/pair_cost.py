"""pair_cost: the objective term summing `pairs[].cost` over the chosen pairs (a
preference or affinity cost; lower is better)."""

from __future__ import annotations

from typing import Any

from allocator.model.form import Form


class PairCost:
    name = "pair_cost"

    def build(self, form: Form[Any]) -> None:
        costs = form.facts.pair_cost
        if not costs or not form.objective:
            return
        variables, coefficients = [], []
        # The form's own pairs, not every pair of the instance: a neighbourhood step's
        # model holds a few hundred of an instance's hundred thousand.
        for key, var in form.x.items():
            cost = costs.get(key)
            if cost is not None:
                variables.append(var)
                coefficients.append(cost)
        form.add_term(self.name, variables, coefficients)
