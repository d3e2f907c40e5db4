"""A lower bound from a small LP over CSM loads, for blocks too big for the full LP.

Per CSM, the LP knows only totals: the effort it keeps of its current book, how much of
that it sheds (each shed account is a voluntary move), how much it takes in, and its
deviation from the balance target. Where the taken-in effort comes from is relaxed to
one pool per block: the accounts that change owner anyway (forced, unowned) plus whatever
the CSMs shed. Eligibility inside the block, renewal windows, families and locks are left
out, and specialisation counts as 0, so every plan of the block maps to a point of the LP
that costs no more: a proven bound.

The moves a CSM makes to shed effort r are at least the piecewise-linear curve through
(sum of its k largest kept efforts, k), which lies under the true staircase; and at least
the quick bound's per-CSM count (caps, band top, hard renewal windows). Each CSM's moves,
deviation and renewal bunching also cost at least its book floor (`book_floor.py`), which
counts whole moves. The LP has a few variables and about one row per kept account per CSM,
so GLOP solves it in well under a second even on bench-L's biggest block (what the floors
gain there: benchmarks/NOTES.md, "Fifth round").
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from ortools.linear_solver import pywraplp

from allocator.bounds.book_floor import book_floor
from allocator.bounds.quick import csm_removals, negative_pair_costs
from allocator.facts import UNITS, Facts

SAFETY = 1e-6  # relative; GLOP's optimum is exact only to its tolerances


def flow_bound(facts: Facts, accounts: Iterable[str], csms: Iterable[str]) -> float | None:
    """A lower bound on the objective of the block of `accounts` and `csms` (natural units),
    or None when the LP could not be solved (then use `quick_bound`)."""
    accounts = list(accounts)
    csm_list = list(csms)
    in_block = set(csm_list)
    weights = facts.weights
    forced = facts.eligibility.forced_move
    move_cost = facts.move_cost
    kept: dict[str, list[str]] = defaultdict(list)
    supply_low = supply_high = 0.0  # effort of accounts that change owner anyway
    ratio_low, ratio_high = 1.0, 1.0  # effort at a new owner / effort at the current one
    forced_moves = 0
    for account_id in accounts:
        owner = facts.accounts[account_id].current_csm
        if not facts.eligibility.allowed[account_id]:
            return None
        least, most = facts.effort_range(account_id)
        if owner is not None and owner in in_block and account_id not in forced:
            here = facts.effort(account_id, owner)
            kept[owner].append(account_id)
            if here > 0:
                ratio_low = min(ratio_low, least / here)
                ratio_high = max(ratio_high, most / here)
            elif most > 0:
                return None  # a free account that costs effort elsewhere: ratios undefined
        else:
            forced_moves += owner is not None
            supply_low += least
            supply_high += most

    solver = pywraplp.Solver.CreateSolver("GLOP")
    if solver is None:
        return None
    infinity = solver.infinity()
    shed_total = []
    taken_total = []
    objective = solver.Objective()
    for csm_id in csm_list:
        book = kept.get(csm_id, [])
        efforts = sorted((facts.effort(a, csm_id) for a in book), reverse=True)
        held = float(sum(efforts))
        shed = solver.NumVar(0.0, held, f"shed[{csm_id}]")
        taken = solver.NumVar(0.0, infinity, f"taken[{csm_id}]")
        moves = solver.NumVar(
            float(csm_removals(facts, csm_id, book)), infinity, f"moves[{csm_id}]"
        )
        objective.SetCoefficient(moves, move_cost)
        shed_total.append(shed)
        taken_total.append(taken)
        # moves >= (k - 1) + (shed - S[k-1]) / e[k]: the convex curve through (S[k], k)
        reached = 0.0
        for k, effort in enumerate(efforts, start=1):
            if effort <= 0:
                break
            row = solver.Constraint(k - 1 - reached / effort, infinity)
            row.SetCoefficient(moves, 1.0)
            row.SetCoefficient(shed, -1.0 / effort)
            reached += effort
        target = facts.balance_target.get(csm_id)
        own: list[tuple[pywraplp.Variable, float]] = [(moves, move_cost)]
        slack = facts.band_slack(csm_id)
        load_low = 0.0 if target is None or slack is None else float(target - slack)
        load_high = float(facts.effort_ceiling(csm_id))
        # load = held - shed + taken, within the band and capacity
        load = solver.Constraint(load_low - held, load_high - held)
        load.SetCoefficient(shed, -1.0)
        load.SetCoefficient(taken, 1.0)
        if target is not None and weights["balance"] > 0:
            free = facts.balance_tolerance(csm_id)
            deviation = solver.NumVar(0.0, infinity, f"deviation[{csm_id}]")
            objective.SetCoefficient(deviation, weights["balance"] / UNITS)
            above = solver.Constraint(held - target - free, infinity)  # dev >= load - t - f
            above.SetCoefficient(deviation, 1.0)
            above.SetCoefficient(shed, 1.0)
            above.SetCoefficient(taken, -1.0)
            below = solver.Constraint(target - free - held, infinity)  # dev >= t - f - load
            below.SetCoefficient(deviation, 1.0)
            below.SetCoefficient(shed, -1.0)
            below.SetCoefficient(taken, 1.0)
            own.append((deviation, weights["balance"] / UNITS))
        _floor_cut(
            solver,
            objective,
            own,
            book_floor(facts, csm_id, book, move_cost),
            weights["renewal_bunching"] * facts.bunching_penalised,
            csm_id,
        )
    # Everything taken in was shed by some CSM or changes owner anyway, at that account's
    # effort under its new owner.
    upper = solver.Constraint(-infinity, supply_high)
    lower = solver.Constraint(supply_low, infinity)
    for shed in shed_total:
        upper.SetCoefficient(shed, -ratio_high)
        lower.SetCoefficient(shed, -ratio_low)
    for taken in taken_total:
        upper.SetCoefficient(taken, 1.0)
        lower.SetCoefficient(taken, 1.0)
    objective.SetMinimization()
    if solver.Solve() != pywraplp.Solver.OPTIMAL:
        return None
    value = objective.Value()
    value -= SAFETY * max(1.0, abs(value))
    return float(
        move_cost * forced_moves
        + max(0.0, value)
        + weights["pair_cost"] * negative_pair_costs(facts, accounts)
    )


def _floor_cut(
    solver: pywraplp.Solver,
    objective: pywraplp.Objective,
    own: list[tuple[pywraplp.Variable, float]],
    floor: float,
    bunching_weight: float,
    csm_id: str,
) -> None:
    """The CSM's moves, deviation and bunching (a variable of its own here, 0 elsewhere in
    the LP) cost at least its book floor (`book_floor.py`)."""
    if floor <= 0:
        return
    terms = list(own)
    if bunching_weight > 0:
        bunching = solver.NumVar(0.0, solver.infinity(), f"bunching[{csm_id}]")
        objective.SetCoefficient(bunching, bunching_weight)
        terms.append((bunching, bunching_weight))
    cut = solver.Constraint(floor, solver.infinity())
    for var, weight in terms:
        cut.SetCoefficient(var, weight)
