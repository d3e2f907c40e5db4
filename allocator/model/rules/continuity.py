"""moves (objective term: cost per move) and move_cap (a cap on voluntary moves).

A move is voluntary when the current owner could keep the account; moves forced by a
leaver, a segment change or lost eligibility cost the same but are not capped.
"""

from __future__ import annotations

from ortools.sat.python import cp_model

from allocator.model.context import ModelContext


def keep_variables(ctx: ModelContext) -> list[cp_model.IntVar]:
    """x[account, current owner] for every account whose current owner may keep it."""
    keeps = []
    forced = ctx.facts.eligibility.forced_move
    for account_id in ctx.accounts:
        current = ctx.facts.accounts[account_id].current_csm
        if current is not None and account_id not in forced:
            var = ctx.x.get((account_id, current))
            if var is not None:
                keeps.append(var)
    return keeps


def minimise_voluntary_moves(ctx: ModelContext) -> None:
    """Make voluntary moves the model's only objective, whatever the policy's weight or
    cost per move (either may be 0)."""
    ctx.model.maximize(cp_model.LinearExpr.sum(keep_variables(ctx)))


class Moves:
    name = "moves"

    def build(self, ctx: ModelContext) -> None:
        cost = round(ctx.facts.instance.policy.continuity.cost_per_move * 100)
        keeps = keep_variables(ctx)
        # moves = forced + sum(1 - keep); the constant part does not change the optimum.
        # Pooled accounts that had an owner are forced moves outside any block: see solve.py.
        forced = sum(1 for a in ctx.accounts
                     if ctx.facts.accounts[a].current_csm is not None) - len(keeps)
        ctx.add_term(self.name, cost * (forced + len(keeps) - cp_model.LinearExpr.sum(keeps)))


class MoveCap:
    name = "move_cap"

    def build(self, ctx: ModelContext) -> None:
        cap = ctx.move_cap
        if cap is None:
            cap = ctx.facts.instance.policy.continuity.max_moves
        if cap is None:
            return
        keeps = keep_variables(ctx)
        if len(keeps) > cap:
            ctx.enforce(ctx.model.add(len(keeps) - cp_model.LinearExpr.sum(keeps) <= cap),
                        self.name, "plan" if ctx.move_cap is None else "block")
