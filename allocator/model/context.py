"""The CP-SAT model: sparse assignment variables plus one named unit per business rule."""

from __future__ import annotations

import math
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from typing import Protocol

from ortools.sat.python import cp_model

from allocator.facts.blocks import Block
from allocator.facts.derived import Facts

WEIGHT_RESOLUTION = 1000

Plan = dict[str, str | None]


class Rule(Protocol):
    """A constraint or objective term: one name, one `build`."""

    name: str

    def build(self, ctx: ModelContext) -> None: ...


@dataclass
class ModelContext:
    """The model under construction: data, variables and objective terms by name.

    `x[(account, csm)]` exists only for pairs the account may go to; `terms[name]` holds
    each objective term as a linear expression in hundredths of its natural unit.
    """

    facts: Facts
    accounts: list[str] = field(default_factory=list)
    csms: list[str] = field(default_factory=list)
    model: cp_model.CpModel = field(default_factory=cp_model.CpModel)
    x: dict[tuple[str, str], cp_model.IntVar] = field(default_factory=dict)
    by_account: dict[str, list[tuple[str, cp_model.IntVar]]] = field(default_factory=dict)
    by_csm: dict[str, list[tuple[str, cp_model.IntVar]]] = field(default_factory=dict)
    terms: dict[str, cp_model.LinearExprT] = field(default_factory=dict)
    derived: list[tuple[cp_model.IntVar, Callable[[Plan], int]]] = field(default_factory=list)
    explain: bool = False
    guards: dict[tuple[str, str], cp_model.IntVar] = field(default_factory=dict)
    # A narrower candidate list per account (the fewest-moves pass), and a cap on voluntary
    # moves among `accounts` that replaces the policy's (a block's or a search group's).
    allowed: dict[str, list[str]] | None = None
    move_cap: int | None = None

    def candidates(self, account_id: str) -> list[str]:
        """CSMs that get a variable: the allowed ones; in explain mode also the current
        owner and every structurally eligible CSM, so locks, freezes and leavers become
        guarded constraints that an infeasibility core can name."""
        eligibility = self.facts.eligibility
        if self.allowed is not None and account_id in self.allowed:
            return self.allowed[account_id]
        if not self.explain:
            return eligibility.allowed[account_id]
        result = list(eligibility.structural[account_id])
        current = self.facts.accounts[account_id].current_csm
        if current is not None and current not in result:
            result.append(current)
        return result

    def enforce(self, constraint: cp_model.Constraint, rule: str, subject: str) -> None:
        """Tag a constraint with its rule instance; in explain mode it is switched by an
        assumption literal so that CP-SAT can return a core of conflicting instances."""
        if not self.explain:
            return
        key = (rule, subject)
        literal = self.guards.get(key)
        if literal is None:
            literal = self.model.new_bool_var(f"guard[{rule}:{subject}]")
            self.guards[key] = literal
        constraint.only_enforce_if(literal)

    def create_variables(self) -> None:
        in_scope = set(self.csms)
        for account_id in self.accounts:
            pairs = []
            for csm_id in self.candidates(account_id):
                if csm_id not in in_scope:
                    continue
                var = self.model.new_bool_var(f"x[{account_id},{csm_id}]")
                self.x[(account_id, csm_id)] = var
                pairs.append((csm_id, var))
                self.by_csm.setdefault(csm_id, []).append((account_id, var))
            self.by_account[account_id] = pairs

    def is_assigned(self, account_id: str, csm_id: str) -> cp_model.IntVar | None:
        return self.x.get((account_id, csm_id))

    def add_term(self, name: str, expr: cp_model.LinearExprT) -> None:
        self.terms[name] = expr

    def add_derived(self, var: cp_model.IntVar, value: Callable[[Plan], int]) -> None:
        """Register how an auxiliary variable's value follows from a plan (for hints)."""
        self.derived.append((var, value))

    def hint(self, plan: Plan) -> None:
        """A complete hint: every assignment variable and every auxiliary one (call once)."""
        for account_id, pairs in self.by_account.items():
            owner = plan.get(account_id)
            for csm_id, var in pairs:
                self.model.add_hint(var, csm_id == owner)
        for var, value in self.derived:
            self.model.add_hint(var, value(plan))

    def force(self, account_id: str, csm_id: str) -> None:
        """Pin an assignment; an ineligible pair makes the model infeasible."""
        var = self.x.get((account_id, csm_id))
        if var is None:
            self.model.add_bool_or([])
        else:
            self.model.add(var == 1)


def objective_coefficients(facts: Facts, names: list[str]) -> tuple[dict[str, int], int]:
    """Integer weight per term and the common divisor that was taken out of them."""
    weights = facts.instance.policy.weights
    raw = {n: round(getattr(weights, n) * WEIGHT_RESOLUTION) for n in names}
    divisor = 0
    for value in raw.values():
        divisor = math.gcd(divisor, value)
    divisor = divisor or 1
    return {n: v // divisor for n, v in raw.items()}, divisor


@dataclass
class BuiltModel:
    ctx: ModelContext
    coefficients: dict[str, int]
    divisor: int

    def objective_value(self, raw: float) -> float:
        """Convert the solver's integer objective to natural units."""
        return raw * self.divisor / (WEIGHT_RESOLUTION * 100)


def build_model(facts: Facts, rules: list[Rule] | None = None,
                force: dict[str, str] | None = None, block: Block | None = None,
                explain: bool = False, allowed: dict[str, list[str]] | None = None,
                move_cap: int | None = None,
                terms: Collection[str] | None = None) -> BuiltModel:
    """Create the variables, apply every rule, and set the weighted objective.

    With `block`, only that block's accounts and CSMs are modelled (see `blocks.py`).
    With `explain`, rule instances are guarded by literals in `ctx.guards` (see `enforce`).
    `allowed` narrows some accounts' candidate CSMs, `move_cap` caps the voluntary moves
    of the modelled accounts, and `terms` keeps only those objective terms.
    """
    from allocator.model.rules import RULES

    accounts = block.accounts if block is not None else facts.named_accounts
    csms = block.csms if block is not None else facts.active_csms
    ctx = ModelContext(facts=facts, accounts=list(accounts), csms=list(csms), explain=explain,
                       allowed=allowed, move_cap=move_cap)
    ctx.create_variables()
    for rule in rules if rules is not None else RULES:
        rule.build(ctx)
    for account_id, csm_id in (force or {}).items():
        if account_id in ctx.by_account:
            ctx.force(account_id, csm_id)
    names = sorted(n for n in ctx.terms if terms is None or n in terms)
    coefficients, divisor = objective_coefficients(facts, names)
    ctx.model.minimize(sum(coefficients[n] * ctx.terms[n] for n in names if coefficients[n]))
    return BuiltModel(ctx=ctx, coefficients=coefficients, divisor=divisor)
