"""The model under construction, whatever solver it is for.

A rule is written once, against `Form`: it reads the facts and the assignment variables
of the modelled accounts and CSMs, and states constraints and objective terms as integer
linear expressions. `cpsat.py` turns a form into a CP-SAT model and `mathopt.py` into a
MathOpt (HiGHS, SCIP) model, so each rule's two forms are one piece of code.

Amounts are integer hundredths of an effort unit (and of a cost), as in `Facts`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from typing import Any, Generic, Protocol, TypeVar

from allocator.facts import Block, Facts
from allocator.schema.plan import Plan

V = TypeVar("V")
"""A solver's handle for one variable."""


class Rule(Protocol):
    """A business rule: the name users see in reports and errors, and its model."""

    name: str

    def build(self, form: Form[Any]) -> None: ...


class Form(ABC, Generic[V]):
    """Assignment variables for the allowed (account, CSM) pairs of a scope, and the
    operations rules use.

    `objective`: whether rules add their objective terms (a feasibility question does not
    need them). `explain`: every rule instance is switched by its own literal so that an
    infeasibility core can name it (CP-SAT only); accounts then also get variables for
    their current owner and every structurally eligible CSM, so that locks, freezes and
    leavers become constraints that a core can name.
    """

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
        self.facts = facts
        self.whole_book = block is None
        self.accounts = list(facts.named_accounts if block is None else block.accounts)
        self.csms = list(facts.active_csms if block is None else block.csms)
        self.allowed = allowed
        self.move_cap = move_cap
        self.objective = objective
        self.explain = explain
        self.x: dict[tuple[str, str], V] = {}
        self.by_account: dict[str, list[tuple[str, V]]] = {}
        self.by_csm: dict[str, list[tuple[str, V]]] = {}

    def candidates(self, account_id: str) -> list[str]:
        """The CSMs an account gets a variable for: the ones the rules allow it (or a
        narrower list given for it); in explain mode see the class docstring."""
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

    def create_variables(self) -> None:
        in_scope = set(self.csms)
        for account_id in self.accounts:
            pairs = []
            for csm_id in self.candidates(account_id):
                if csm_id not in in_scope:
                    continue
                var = self.new_bool(f"x[{account_id},{csm_id}]")
                self.x[(account_id, csm_id)] = var
                pairs.append((csm_id, var))
                self.by_csm.setdefault(csm_id, []).append((account_id, var))
            self.by_account[account_id] = pairs

    def keep_accounts(self) -> list[tuple[str, V]]:
        """(account, x[account, current owner]) for every account whose current owner may
        keep it."""
        keeps = []
        forced = self.facts.eligibility.forced_move
        for account_id in self.accounts:
            current = self.facts.accounts[account_id].current_csm
            if current is not None and account_id not in forced:
                var = self.x.get((account_id, current))
                if var is not None:
                    keeps.append((account_id, var))
        return keeps

    def keep_variables(self) -> list[V]:
        """x[account, current owner] for every account whose current owner may keep it."""
        return [var for _, var in self.keep_accounts()]

    def load(self, csm_id: str) -> tuple[list[V], list[int]]:
        """The variables of a CSM's possible book and their efforts (hundredths)."""
        pairs = self.by_csm.get(csm_id, [])
        return [v for _, v in pairs], [self.facts.effort(a, csm_id) for a, _ in pairs]

    # --- what each solver provides ------------------------------------------------------
    @abstractmethod
    def new_bool(self, name: str) -> V: ...

    @abstractmethod
    def new_int(
        self, lower: int, upper: int, name: str, value: Callable[[Plan], int] | None = None
    ) -> V:
        """An auxiliary variable; `value` says what it is for a given plan (for hints)."""

    @abstractmethod
    def require(
        self,
        variables: Sequence[V],
        coefficients: Sequence[int],
        lower: int | None,
        upper: int | None,
        rule: str,
        subject: str,
    ) -> None:
        """lower <= sum(coefficient x variable) <= upper, as an instance of `rule` for
        `subject` (what an infeasibility core names)."""

    @abstractmethod
    def exactly_one(self, variables: Sequence[V]) -> None: ...

    @abstractmethod
    def add_term(
        self, name: str, variables: Sequence[V], coefficients: Sequence[int], constant: int = 0
    ) -> None:
        """Objective term `name` (hundredths of its natural unit)."""

    @abstractmethod
    def pin(self, account_id: str, csm_id: str) -> None:
        """The account must go to this CSM; a pair with no variable makes the model
        infeasible."""

    # --- putting it together -------------------------------------------------------------
    def build(self, rules: Sequence[Rule], pins: dict[str, str] | None = None) -> None:
        self.create_variables()
        for rule in rules:
            rule.build(self)
        for account_id, csm_id in (pins or {}).items():
            if account_id in self.by_account:
                self.pin(account_id, csm_id)
