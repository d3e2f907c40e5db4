"""A block as counts of interchangeable accounts: a MIP small enough to solve at scale.

Accounts with the same effort, the same allowed CSMs, the same segment and the same
renewal window cost the same wherever they go, so a plan only has to say, per CSM and
class, how many of its current accounts leave (`shed`) and how many it takes in
(`taken`); per class, what is taken in is what was shed plus the accounts that change
owner anyway (forced moves, new accounts). Balance, moves, account caps, the band,
capacity and renewal bunching are then exact; families are left out, and specialisation
outside a CSM's verticals counts as 0. Every plan of the block therefore maps to a point of
this model that costs no more, so HiGHS's dual bound on it is a proven bound on the block.
A block of thousands of accounts has a few thousand counts instead of millions of
assignment variables (sizes and what it proves on bench-L: benchmarks/NOTES.md, "Fifth
round").

`counts_plan` turns the counts back into owners: each CSM sheds those of its accounts of a
class that are not in a family first, and each class's pool goes out in id order. Such a
plan could split a family, so where the block has families the plan comes from a second
model in which each family stays with its owner in the starting plan (no longer a
relaxation: its bound is not used); reuniting the families a free plan splits costs more
than pinning them. The caller checks the plan. Blocks whose efforts or pair costs depend on
the CSM, with a cost/ARR floor on a CSM's book, or with a cap on moves, are not modelled.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from allocator.bounds.counts_cpsat import solve_with_cpsat
from allocator.bounds.quick import kept_books
from allocator.deadline import Deadline, Stopwatch
from allocator.facts import UNITS, Block, Facts
from allocator.model.mathopt import Affine, LinearModel, solve_highs
from allocator.model.mip import MipResult
from allocator.parameters import SolveParams
from allocator.schema.plan import Owners, Plan
from allocator.schema.solution import Status

ClassKey = tuple[int, tuple[str, ...], str, str]  # effort, allowed CSMs, segment, window


@dataclass
class CountsModel:
    """The counts model of one block, and what is needed to turn counts into owners."""

    model: LinearModel
    objective: Affine
    members: dict[int, list[str]] = field(default_factory=dict)  # class -> its accounts
    held: dict[tuple[str, int], list[str]] = field(default_factory=dict)  # kept by a CSM
    shed: dict[tuple[str, int], int] = field(default_factory=dict)  # (csm, class) -> var
    taken: dict[tuple[str, int], int] = field(default_factory=dict)
    fixed: dict[str, str] = field(default_factory=dict)  # account -> its only CSM
    allowed: dict[int, list[str]] = field(default_factory=dict)  # class -> its CSMs


def modelled(facts: Facts, block: Block) -> bool:
    """Whether the counts model holds every rule a CSM's book must obey, and the block's
    accounts cost the same with every CSM they may go to."""
    with_pairs = {a for a, _ in facts.pair_cost} | facts.accounts_with_pair_effort
    return (
        facts.move_cap is None
        and not any(facts.min_book_arr(c) for c in block.csms)
        and not any(a in with_pairs for a in block.accounts)
    )


def build_counts_model(
    facts: Facts, block: Block, pinned: dict[str, str] | None = None, windows: bool = True
) -> CountsModel:
    """Shed and taken-in counts per CSM and class, with the per-CSM rules as rows;
    `pinned` accounts stay with the CSM given (then the model is no longer a relaxation).
    Without `windows`, renewal windows are left out (a relaxation still, and smaller)."""
    forced = facts.eligibility.forced_move
    in_block = set(block.csms)
    model = LinearModel()
    built = CountsModel(model=model, objective=Affine())
    classes: dict[ClassKey, int] = {}
    keys: list[ClassKey] = []
    supply: Counter[int] = Counter()
    fixed_load: Counter[str] = Counter()
    fixed_count: Counter[tuple[str, str]] = Counter()
    fixed_window: Counter[tuple[str, str]] = Counter()
    for account_id in sorted(block.accounts):
        allowed = tuple(c for c in facts.eligibility.allowed[account_id] if c in in_block)
        effort = facts.default_effort(account_id)
        segment = str(facts.segment_of[account_id])
        window = facts.window_of(account_id) if windows else ""
        if pinned and account_id in pinned:
            allowed = (pinned[account_id],)
        if len(allowed) <= 1:
            if allowed:
                built.fixed[account_id] = allowed[0]
                fixed_load[allowed[0]] += effort
                fixed_count[(allowed[0], segment)] += 1
                fixed_window[(allowed[0], window)] += 1
            continue
        key = (effort, allowed, segment, window)
        if key not in classes:
            classes[key] = len(keys)
            keys.append(key)
        j = classes[key]
        built.members.setdefault(j, []).append(account_id)
        owner = facts.accounts[account_id].current_csm
        if owner in allowed and account_id not in forced:
            built.held.setdefault((str(owner), j), []).append(account_id)
        else:
            supply[j] += 1
    per_move = facts.move_cost * UNITS
    flows: dict[int, dict[int, float]] = defaultdict(dict)
    by_csm: dict[str, list[int]] = defaultdict(list)
    for (csm_id, j), accounts in sorted(built.held.items()):
        var = model.var(f"shed[{csm_id},{j}]", 0, len(accounts))
        built.shed[(csm_id, j)] = var
        flows[j][var] = -1.0
        built.objective.coefs[var] = per_move
        by_csm[csm_id].append(j)
    for j, key in enumerate(keys):
        for csm_id in key[1]:
            var = model.var(f"taken[{csm_id},{j}]", 0, len(built.members[j]))
            built.taken[(csm_id, j)] = var
            flows[j][var] = 1.0
            by_csm[csm_id].append(j)
    for j in range(len(keys)):
        model.row(flows[j], supply[j], supply[j])
    for csm_id in block.csms:
        _csm_rows(
            facts,
            built,
            keys,
            csm_id,
            sorted(set(by_csm[csm_id])),
            fixed_load[csm_id],
            fixed_count,
            fixed_window,
        )
    built.objective.constant = per_move * kept_books(facts, block.accounts)[1]  # forced
    built.allowed = {j: list(key[1]) for j, key in enumerate(keys)}
    return built


def _csm_rows(
    facts: Facts,
    built: CountsModel,
    keys: list[ClassKey],
    csm_id: str,
    classes: list[int],
    fixed_load: int,
    fixed_count: Counter[tuple[str, str]],
    fixed_window: Counter[tuple[str, str]],
) -> None:
    """Load within the band and capacity, its deviation, account caps and renewal windows
    of one CSM."""
    weights = facts.weights
    model = built.model
    load: dict[int, float] = {}
    held_load = fixed_load
    count: dict[str, dict[int, float]] = defaultdict(dict)
    held_count: Counter[str] = Counter()
    window: dict[str, dict[int, float]] = defaultdict(dict)
    held_window: Counter[str] = Counter()
    for j in classes:
        effort, _, segment, renewal = keys[j]
        for var, sign in ((built.shed.get((csm_id, j)), -1.0), (built.taken.get((csm_id, j)), 1.0)):
            if var is None:
                continue
            load[var] = sign * effort
            count[segment][var] = sign
            window[renewal][var] = sign
        kept = len(built.held.get((csm_id, j), []))
        held_load += effort * kept
        held_count[segment] += kept
        held_window[renewal] += kept
    ceiling = facts.effort_ceiling(csm_id)
    target = facts.balance_target.get(csm_id)
    slack = facts.band_slack(csm_id)
    low = 0 if target is None or slack is None else target - slack
    # A band floor above capacity leaves no plan; a row with its ends crossed would be an
    # invalid model for MathOpt, so the floor is dropped (still a relaxation).
    low = min(low, ceiling)
    model.row(load, low - held_load, ceiling - held_load)
    if target is not None and weights["balance"] > 0:
        free = facts.balance_tolerance(csm_id)
        deviation = model.var(f"deviation[{csm_id}]", 0, float("inf"), integer=False)
        model.at_least(deviation, Affine(dict(load), held_load - target - free))
        model.at_least(
            deviation, Affine({v: -c for v, c in load.items()}, target - free - held_load)
        )
        built.objective.coefs[deviation] = weights["balance"]
    for segment in sorted(set(count) | {s for c, s in fixed_count if c == csm_id}):
        cap = facts.account_cap(csm_id, segment)
        if cap is not None:
            base = held_count[segment] + fixed_count[(csm_id, segment)]
            model.row(count[segment], upper=cap - base)
    limit = facts.renewal_limit
    if limit is None or not any(window):
        return
    for renewal in sorted(set(window) | {w for c, w in fixed_window if c == csm_id}):
        base = held_window[renewal] + fixed_window[(csm_id, renewal)]
        if facts.renewal_limit_hard:
            model.row(window[renewal], upper=limit - base)
        elif weights["renewal_bunching"] > 0:
            bunching = model.var(f"bunching[{csm_id},{renewal}]", 0, float("inf"), integer=False)
            model.at_least(bunching, Affine(dict(window[renewal]), base - limit))
            built.objective.coefs[bunching] = weights["renewal_bunching"] * UNITS


def counts_plan(facts: Facts, block: Block, built: CountsModel, values: list[float]) -> Owners:
    """Owners for the block's accounts from the model's counts (see the module docstring)."""
    in_family = {a for members in facts.families.values() for a in members}
    owners: Owners = dict.fromkeys(block.accounts)
    owners.update(built.fixed)
    pool: dict[int, list[str]] = defaultdict(list)
    held: set[str] = set()
    for (csm_id, j), accounts in sorted(built.held.items()):
        leaving = round(values[built.shed[(csm_id, j)]])
        ordered = sorted(accounts, key=lambda a: (a in in_family, a))
        pool[j].extend(ordered[:leaving])
        for account_id in ordered[leaving:]:
            owners[account_id] = csm_id
        held.update(accounts)
    for j, accounts in built.members.items():
        pool[j].extend(a for a in accounts if a not in held)
        pool[j].sort(reverse=True)  # handed out from the end: in id order
    for (csm_id, j), var in sorted(built.taken.items()):
        for _ in range(min(round(values[var]), len(pool[j]))):
            owners[pool[j].pop()] = csm_id
    for j, left in pool.items():  # none, unless HiGHS's counts were off its tolerances
        for account_id in left:
            current = facts.accounts[account_id].current_csm
            owners[account_id] = current if current in built.allowed[j] else built.allowed[j][0]
    return owners


def solve_counts(
    facts: Facts,
    block: Block,
    deadline: Deadline,
    start: Plan | None,
    params: SolveParams,
    on_bound: Callable[[MipResult], None] | None = None,
    start_value: float | None = None,
) -> MipResult | None:
    """The counts model for a companion: a proven bound from the model with families
    free, and its plan when that splits no family; else a plan from the model with each
    family at its owner in `start`, in the time left (`on_bound` gets the first model's
    result before that), by HiGHS, or by CP-SAT where HiGHS's first plan was worse than
    the start (`start_value`: its block objective, when the caller has it). The plan's
    objective is the checker's; a plan that meets the bound is optimal."""
    if not modelled(facts, block):
        return None
    clock = Stopwatch.start()
    in_block = set(block.accounts)
    family = {a for members in facts.families.values() for a in members if a in in_block}
    pinned = {a: str(start[a]) for a in family if start is not None and start.get(a) is not None}
    if len(pinned) < len(family):
        pinned = {}
    # Time is kept back at the end to turn counts into owners and price them.
    solving = Deadline(max(deadline.before(params.counts_plan_seconds).at, Deadline.after(0.1).at))
    windows = _bunched(facts, block, start)
    relaxed = build_counts_model(facts, block, windows=windows)
    first_share = params.counts_bound_share if pinned else 1 - params.counts_overrun_share
    outcome = solve_highs(relaxed.model, relaxed.objective, solving.left() * first_share)
    bound = (
        None if outcome.bound is None or outcome.status == "INFEASIBLE" else outcome.bound / UNITS
    )
    owners: Owners = {}
    highs_plans = True  # whether HiGHS's plans are worth waiting for (else CP-SAT's)
    if outcome.values is not None and outcome.status != "INFEASIBLE":
        owners = counts_plan(facts, block, relaxed, outcome.values)
        if _splits_a_family(facts, in_block, owners):
            owners = {}
        if start is not None and outcome.objective is not None:
            if start_value is None:
                start_value = block.objective(facts, start)
            highs_plans = outcome.objective / UNITS < start_value
    if not owners and pinned and solving.left() > 1.0:
        if on_bound is not None and bound is not None:
            on_bound(
                MipResult(
                    status="UNKNOWN",
                    objective=None,
                    bound=bound,
                    seconds=round(clock.seconds(), 3),
                    owners={},
                    solver="highs counts",
                )
            )
        restricted = build_counts_model(facts, block, pinned, windows)
        values = None
        if highs_plans:
            outcome = solve_highs(
                restricted.model,
                restricted.objective,
                solving.left() * (1 - params.counts_overrun_share),
            )
            if outcome.status != "INFEASIBLE":
                values = outcome.values
        else:  # HiGHS's first plan was worse than the start (`counts_cpsat.py`)
            values = solve_with_cpsat(
                restricted.model,
                restricted.objective,
                solving.left(),
                workers=params.counts_cpsat_workers,
            )
        if values is not None:
            owners = counts_plan(facts, block, restricted, values)
    objective = block.objective(facts, owners) if owners else None
    status: Status = "FEASIBLE" if owners else "UNKNOWN"  # infeasibility is CP-SAT's to prove
    if bound is not None and objective is not None:
        if bound >= objective - 1e-6:
            status = "OPTIMAL"
        bound = min(bound, objective)
    return MipResult(
        status=status,
        objective=objective,
        bound=bound,
        seconds=round(clock.seconds(), 3),
        owners=owners,
        solver="highs counts",
    )


def _splits_a_family(facts: Facts, in_block: set[str], owners: Plan) -> bool:
    return any(
        members[0] in in_block and len({owners.get(a) for a in members}) > 1
        for members in facts.families.values()
        if members
    )


def _bunched(facts: Facts, block: Block, start: Plan | None) -> bool:
    """Whether renewal windows are worth modelling: a hard limit, or a starting plan that
    already goes over the limit somewhere in the block."""
    limit = facts.renewal_limit
    if limit is None:
        return False
    if facts.renewal_limit_hard or start is None:
        return True
    counts = Counter((start.get(a), facts.window_of(a)) for a in block.accounts)
    return any(owner is not None and n > limit for (owner, _), n in counts.items())
