"""Among plans equally good on the objective, the one with the fewest moves: a move that
buys nothing is not made, and where a move must be made, accounts far from renewal and
with smaller ARR go first (`Facts.keep_priority`).

Two steps on each block's plan. CP-SAT, where the block fits a whole model and time is
left in its share: the objective is held at the plan's value and what current owners keep
is maximised, with the plan as the hint. Then, on every block, each voluntary move is
undone where putting the account back breaks no rule and costs nothing (a few book scans
per move, by the checker).
"""

from __future__ import annotations

from dataclasses import replace

from ortools.sat.python import cp_model

from allocator.deadline import Deadline
from allocator.facts import Block, Facts
from allocator.model import build_model, run_cpsat
from allocator.pipeline.outcome import BlockOutcome
from allocator.pipeline.settings import Settings
from allocator.schema.plan import Plan
from allocator.search.revert import undo_free_moves


def _fewer_moves_by_cpsat(
    facts: Facts,
    block: Block,
    plan: Plan,
    deadline: Deadline,
    settings: Settings,
    move_cap: int | None,
) -> Plan | None:
    built = build_model(facts, block, pins=dict(settings.pins), move_cap=move_cap)
    built.prefer_fewer_moves(block.objective(facts, plan))
    built.form.hint(plan)
    run = run_cpsat(built.model, deadline.left(), 1, settings.seed)
    if run.solver is None or run.status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None
    return built.form.owners(run.solver)


def polish(
    facts: Facts, block: Block, outcome: BlockOutcome, deadline: Deadline, settings: Settings
) -> BlockOutcome:
    """`outcome` with its plan's pointless moves undone (see the module docstring)."""
    if outcome.plan is None or outcome.interrupted or outcome.status == "INFEASIBLE":
        return outcome
    plan: Plan = outcome.plan
    params = settings.params
    variables = sum(len(facts.eligibility.allowed[a]) for a in block.accounts)
    fits = (
        variables <= params.full_model_limit
        and variables * params.build_seconds_per_variable < 0.5 * deadline.left()
    )
    if fits and any(facts.accounts[a].current_csm is not None for a in block.accounts):
        move_cap = None if outcome.fewest is None else outcome.fewest.voluntary
        try:
            found = _fewer_moves_by_cpsat(facts, block, plan, deadline, settings, move_cap)
        except KeyboardInterrupt:
            return replace(outcome, interrupted=True)
        if found is not None:
            plan = found
    # A pinned account stays where the user put it, even where its move buys nothing.
    unpinned = [a for a in block.accounts if a not in settings.pins]
    plan = undo_free_moves(facts, unpinned, plan, deadline)
    if plan == outcome.plan:
        return outcome
    objective = block.objective(facts, plan)
    bound = None if outcome.bound is None else min(outcome.bound, objective)
    proven = outcome.status == "OPTIMAL" or (bound is not None and bound >= objective - 1e-9)
    return replace(
        outcome,
        status="OPTIMAL" if proven else outcome.status,
        plan=plan,
        objective=objective,
        bound=bound,
    )
