"""A start for a new, tight book from its LP relaxation: what the greedy start cannot give
when capacity is scarce.

HiGHS solves the block's LP relaxation (dual simplex and the barrier race: `lp_race`);
accounts the LP gives wholly to one CSM keep it, and CP-SAT places the rest (in a basic
LP solution, at most about one per CSM) on a model where the kept accounts have only that
CSM. If that small model has no plan in its time, the rounded plan goes through the
single-account repair instead. On the tight GAP sets
this start is within a few percent of the LP bound in seconds, where the greedy start
breaks capacity (`benchmarks/NOTES.md`, issue 16).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from ortools.sat.python import cp_model

from allocator.deadline import Deadline
from allocator.facts import Block, Facts
from allocator.model.cpsat import build_model
from allocator.model.lp_race import solve_lp
from allocator.model.mathopt import MathOptForm, build_mip
from allocator.model.mip import relaxation_bound
from allocator.model.run import Incumbent, run_cpsat
from allocator.schema.plan import Owners, Plan
from allocator.search.repair import repair_books

WHOLE = 1 - 1e-6
"""An LP value this close to 1 gives the account to that CSM."""


NEAR_PER_ACCOUNT = 4
"""CSMs per account counted as near-optimal for it: those of least LP reduced cost."""


Ranked = dict[str, list[tuple[str, int]]]
"""Account -> its (CSM, LP variable) pairs, least reduced cost first."""


def rank_csms(form: MathOptForm, reduced: list[float]) -> Ranked:
    """Each account's CSMs by LP reduced cost, least first (ties by CSM id)."""
    return {
        account_id: sorted(pairs, key=lambda pair: (reduced[pair[1]], pair[0]))
        for account_id, pairs in form.by_account.items()
    }


def near_csms(ranked: Ranked, values: list[float], count: int) -> dict[str, list[str]]:
    """For each account, its `count` CSMs of least LP reduced cost (least first), then
    any other CSM the LP gives part of it. Restricted to these, the block is a far
    smaller model whose plans are near the LP's: CP-SAT on it finds plans the whole
    model's search does not (tight GAP books: `benchmarks/NOTES.md`, issue 16)."""
    return {
        account_id: [c for c, _ in pairs[:count]]
        + [c for c, var in pairs[count:] if values[var] > 1e-9]
        for account_id, pairs in ranked.items()
    }


def near_choices(
    facts: Facts, near: dict[str, list[str]], plan: Plan, accounts: Iterable[str]
) -> dict[str, list[str]]:
    """For each account, the CSMs a model restricted to `near` may give it: its near CSMs
    (every CSM it may have where `near` names none) and its owner in `plan`."""
    return {
        a: list(dict.fromkeys([*near.get(a, facts.eligibility.allowed[a]), str(plan[a])]))
        for a in accounts
    }


def lp_partners(near: dict[str, list[str]]) -> dict[str, list[str]]:
    """For each CSM, the CSMs that share its accounts' cheapest alternatives in the LP
    (the first `NEAR_PER_ACCOUNT` of `near_csms` per account), most shared first: a group
    of them can trade accounts the LP values nearly alike, where a random group mostly
    cannot (tight GAP books: `benchmarks/NOTES.md`, issue 16)."""
    shared: dict[str, dict[str, int]] = {}
    for csms in near.values():
        closest = csms[:NEAR_PER_ACCOUNT]
        for csm_id in closest:
            counts = shared.setdefault(csm_id, {})
            for other in closest:
                if other != csm_id:
                    counts[other] = counts.get(other, 0) + 1
    return {c: sorted(counts, key=lambda o: (-counts[o], o)) for c, counts in shared.items()}


@dataclass(frozen=True)
class LpStarted:
    """The LP-rounded plan and the LP's proven bound on the block (None unless the LP
    was solved to optimality)."""

    plan: Owners
    bound: float | None
    partners: dict[str, list[str]] = field(default_factory=dict)
    """CSM -> the CSMs the LP finds good for the same accounts, most shared first."""
    ranked: Ranked = field(default_factory=dict)
    """Account -> its CSMs by LP reduced cost (`rank_csms`); empty without reduced costs."""
    values: list[float] = field(default_factory=list)
    """The LP's value of each assignment variable."""

    def near(self, count: int) -> dict[str, list[str]]:
        """Account -> its `count` CSMs of least LP reduced cost and any CSM the LP gives
        part of it (`near_csms`); empty without reduced costs."""
        return near_csms(self.ranked, self.values, count)


def lp_start(
    facts: Facts,
    block: Block,
    base: Plan,
    deadline: Deadline,
    seed: int = 0,
    on_plan: Callable[[float], None] | None = None,
    race: bool = True,
) -> LpStarted | None:
    """`base` with `block`'s accounts placed from the block's LP relaxation, or None when
    the LP has no answer in time. The plan may still break a rule when neither step can
    place every account. `on_plan(objective)` hears of each better placement as CP-SAT
    finds it (the block's objective: every account is in that model), so progress shows
    the first plan before the placement is proven best. `race`: dual simplex and the
    barrier race for the LP (`lp_race`); off, the same start every time."""
    form = build_mip(facts, block)
    objective = form.weighted_objective()
    outcome = solve_lp(form.model, objective, deadline.left(), race)
    if outcome.values is None:
        return None
    bound = relaxation_bound(outcome, form.model.integral(objective))
    plan = _placed(facts, block, base, form, outcome.values, deadline, seed, on_plan)
    if outcome.reduced_costs is None:
        return LpStarted(plan, bound)
    # After the plan: it is the first the user sees.
    ranked = rank_csms(form, outcome.reduced_costs)
    partners = lp_partners(near_csms(ranked, outcome.values, NEAR_PER_ACCOUNT))
    return LpStarted(plan, bound, partners, ranked, outcome.values)


def _placed(
    facts: Facts,
    block: Block,
    base: Plan,
    form: MathOptForm,
    values: list[float],
    deadline: Deadline,
    seed: int,
    on_plan: Callable[[float], None] | None,
) -> Owners:
    """The LP's whole assignments kept, the rest placed by CP-SAT (or the repair)."""
    best: dict[str, tuple[str, float]] = {}
    for (account_id, csm_id), var in form.x.items():
        value = values[var]
        if value > best.get(account_id, ("", -1.0))[1]:
            best[account_id] = (csm_id, value)
    kept = {a: c for a, (c, value) in best.items() if value >= WHOLE}
    rounded: Owners = {**base, **{a: c for a, (c, _) in best.items()}}
    if len(kept) == len(best):
        return rounded
    allowed = {a: [c] for a, c in kept.items()}
    built = build_model(facts, block, allowed=allowed)
    built.form.hint(rounded)

    def tick(incumbent: Incumbent) -> None:
        if on_plan is not None and incumbent.objective is not None:
            on_plan(built.objective_value(incumbent.objective))

    run = run_cpsat(built.model, max(0.1, deadline.left()), 1, seed, on_tick=tick)
    if run.solver is not None and run.status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return {**rounded, **built.form.owners(run.solver)}
    return repair_books(facts, rounded, sorted(block.csms))
