"""The CP-SAT form of the model: every rule of `rules/` on CP-SAT variables.

The objective is integral: each term is held in hundredths of its natural unit and
weighted by `policy.weights` at a resolution of 0.001, the common divisor taken out.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass

from ortools.sat.python import cp_model

from allocator.facts import Block, Facts
from allocator.model.form import Form, Rule
from allocator.model.rules import RULES
from allocator.schema.plan import Owners, Plan

WEIGHT_RESOLUTION = 1000
"""Objective weights are used at a resolution of 0.001."""


class CpSatForm(Form[cp_model.IntVar]):
    """A form whose variables are CP-SAT's."""

    def __init__(
        self,
        facts: Facts,
        block: Block | None = None,
        *,
        allowed: dict[str, list[str]] | None = None,
        move_cap: int | None = None,
        objective: bool = True,
        explain: bool = False,
    ):
        super().__init__(
            facts, block, allowed=allowed, move_cap=move_cap, objective=objective, explain=explain
        )
        self.model = cp_model.CpModel()
        self.terms: dict[str, cp_model.LinearExprT] = {}
        self.guards: dict[tuple[str, str], cp_model.IntVar] = {}
        self.derived: list[tuple[cp_model.IntVar, Callable[[Plan], int]]] = []

    def new_bool(self, name: str) -> cp_model.IntVar:
        return self.model.new_bool_var(name)

    def new_int(
        self, lower: int, upper: int, name: str, value: Callable[[Plan], int] | None = None
    ) -> cp_model.IntVar:
        var = self.model.new_int_var(lower, upper, name)
        if value is not None:
            self.derived.append((var, value))
        return var

    def guard(self, rule: str, subject: str) -> cp_model.IntVar:
        """The literal that switches one rule instance on (explain mode)."""
        key = (rule, subject)
        literal = self.guards.get(key)
        if literal is None:
            literal = self.model.new_bool_var(f"guard[{rule}:{subject}]")
            self.guards[key] = literal
        return literal

    def require(
        self,
        variables: Sequence[cp_model.IntVar],
        coefficients: Sequence[int],
        lower: int | None,
        upper: int | None,
        rule: str,
        subject: str,
    ) -> None:
        expr = cp_model.LinearExpr.weighted_sum(variables, coefficients)
        if lower is not None and upper is not None:
            constraint = self.model.add_linear_constraint(expr, lower, upper)
        elif upper is not None:
            constraint = self.model.add(expr <= upper)
        elif lower is not None:
            constraint = self.model.add(expr >= lower)
        else:
            return
        if self.explain:
            constraint.only_enforce_if(self.guard(rule, subject))

    def exactly_one(self, variables: Sequence[cp_model.IntVar]) -> None:
        self.model.add_exactly_one(variables)

    def add_term(
        self,
        name: str,
        variables: Sequence[cp_model.IntVar],
        coefficients: Sequence[int],
        constant: int = 0,
    ) -> None:
        self.terms[name] = cp_model.LinearExpr.weighted_sum(variables, coefficients) + constant

    def pin(self, account_id: str, csm_id: str) -> None:
        var = self.x.get((account_id, csm_id))
        if var is None:
            self.model.add_bool_or([])
        else:
            self.model.add(var == 1)

    def hint(self, plan: Plan) -> None:
        """A complete hint: every assignment variable and every auxiliary one (call once)."""
        for account_id, pairs in self.by_account.items():
            owner = plan.get(account_id)
            for csm_id, var in pairs:
                self.model.add_hint(var, csm_id == owner)
        for var, value in self.derived:
            self.model.add_hint(var, value(plan))

    def owners(self, solver: cp_model.CpSolver) -> Owners:
        """The modelled accounts' owners in the solver's plan."""
        return {a: c for (a, c), var in self.x.items() if solver.boolean_value(var)}

    def minimise_voluntary_moves(self) -> None:
        """Voluntary moves as the model's only objective, whatever the policy's weight or
        cost per move (either may be 0)."""
        self.model.maximize(cp_model.LinearExpr.sum(self.keep_variables()))


def objective_coefficients(facts: Facts, names: Collection[str]) -> tuple[dict[str, int], int]:
    """Integer weight per term and the common divisor that was taken out of them."""
    weights = facts.instance.policy.weights
    raw = {n: round(getattr(weights, n) * WEIGHT_RESOLUTION) for n in names}
    divisor = 0
    for value in raw.values():
        divisor = math.gcd(divisor, value)
    divisor = divisor or 1
    return {n: v // divisor for n, v in raw.items()}, divisor


@dataclass
class CpSatModel:
    """A built CP-SAT model and how to read its objective in natural units."""

    form: CpSatForm
    coefficients: dict[str, int]
    divisor: int

    @property
    def model(self) -> cp_model.CpModel:
        return self.form.model

    def objective_value(self, raw: float) -> float:
        """The solver's integer objective in natural units."""
        return raw * self.divisor / (WEIGHT_RESOLUTION * 100)

    def raw_objective(self, value: float) -> int:
        """A natural-unit objective value as the solver's integer."""
        return round(value * WEIGHT_RESOLUTION * 100 / self.divisor)

    def objective_expression(self) -> cp_model.LinearExprT:
        """The weighted objective the model minimises (0 without objective terms)."""
        names = [n for n in sorted(self.form.terms) if self.coefficients.get(n)]
        return cp_model.LinearExpr.sum([self.coefficients[n] * self.form.terms[n] for n in names])

    def prefer_fewer_moves(self, at_most: float) -> None:
        """Keep the objective at or below `at_most` (natural units) and, among such plans,
        maximise what current owners keep, weighted so that fewer voluntary moves always
        win, then moves of accounts far from renewal and with smaller ARR
        (`Facts.keep_priority`)."""
        facts, form = self.form.facts, self.form
        self.model.add(self.objective_expression() <= self.raw_objective(at_most))
        keeps = form.keep_accounts()
        unit = 50 * len(keeps) + 1  # more than every priority together: one keep is worth more
        self.model.maximize(
            cp_model.LinearExpr.weighted_sum(
                [var for _, var in keeps], [unit + facts.keep_priority(a) for a, _ in keeps]
            )
        )


def build_model(
    facts: Facts,
    block: Block | None = None,
    *,
    rules: Sequence[Rule] = RULES,
    pins: dict[str, str] | None = None,
    allowed: dict[str, list[str]] | None = None,
    move_cap: int | None = None,
    objective: bool = True,
    explain: bool = False,
) -> CpSatModel:
    """The CP-SAT model of a block (or, with None, the whole book): variables, every rule,
    and the weighted objective. `pins` fix accounts to CSMs; `allowed` narrows some
    accounts' candidate CSMs; `move_cap` caps the voluntary moves of the modelled accounts;
    without `objective` the model states the hard rules only (see `Form`)."""
    form = CpSatForm(
        facts, block, allowed=allowed, move_cap=move_cap, objective=objective, explain=explain
    )
    form.build(rules, pins)
    names = sorted(form.terms)
    coefficients, divisor = objective_coefficients(facts, names)
    built = CpSatModel(form, coefficients, divisor)
    if names:
        form.model.minimize(built.objective_expression())
    return built
