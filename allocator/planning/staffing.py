"""The staffing model: how many CSMs of each profile a book needs, as a MIP with a proven
bound.

Accounts are grouped into classes that the rules cannot tell apart for staffing: the same
CSMs allowed, the same segment, and (when those rules are hard) the same renewal window
and the same current owner. Per class and CSM, `count` says how many of the class's
accounts the CSM takes and `load` how much effort they bring, between the class's lightest
and heaviest account times the count. Each CSM's rows are the rules a book must obey:
effort capacity (capacity x ramp), the per-segment account caps, the hard renewal spread;
the move cap counts accounts leaving their owner. A profile's placeholder stands for all
its hires: its rows are scaled by the number hired (an integer); an existing CSM's rows by
whether it is kept (a binary) when releases are asked for.

Every plan obeying the rules maps to a point of this model (families kept together, the
balance band and the minimum book ARR are left out), so its optimum is a lower bound on the
hires any plan needs, and an upper bound on the CSMs any plan can spare. The placeholders'
plan is then solved for real to show the bound is met.

Cost/ARR per segment: hires' cost counts in full against their segment; an existing CSM's
cost counts by the effort it carries there over its capacity, never more than the share
of effort the reports use, so the target rows stay a relaxation.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field

from allocator.facts import Facts
from allocator.model.mathopt import Affine, LinearModel, solve_highs
from allocator.planning.profiles import Profile

TIE_BREAK = 1e-3
"""Weight of cost among plans with the same count (cost / most expensive profile)."""


@dataclass(frozen=True)
class StaffingOptions:
    """What the staffing model may change and must respect."""

    release: bool = False
    budget: float | None = None
    max_hires: int | None = None
    move_cap: bool = True
    cost_targets: bool = True


@dataclass
class StaffingResult:
    """The model's answer: hires per profile, CSMs it releases, and what is proven."""

    status: str
    hires: dict[Profile, int] = field(default_factory=dict)
    released: list[str] = field(default_factory=list)
    count_bound: float | None = None
    tightness: dict[Profile, float] = field(default_factory=dict)
    homeless: list[list[str]] = field(default_factory=list)
    """Units no CSM or hire may own whole (e.g. a family locked to two CSMs)."""
    """Per hired profile, the larger of its hires' effort and account-slot use (1 = full)."""

    @property
    def total_hires(self) -> int:
        return sum(self.hires.values())


@dataclass
class _Class:
    """Units (single accounts, or whole families) the staffing rules cannot tell apart."""

    units: int = 0
    segments: tuple[tuple[str, int], ...] = ()  # accounts per segment in one unit
    windows: tuple[tuple[str, int], ...] = ()  # renewals per hard window in one unit
    owner: str | None = None
    allowed: tuple[str, ...] = ()
    lightest: int = 0
    heaviest: int = 0
    effort: int = 0

    @property
    def size(self) -> int:
        return sum(n for _, n in self.segments)

    @property
    def segment(self) -> str | None:
        """The segment of every account in the unit, or None when they differ."""
        return self.segments[0][0] if len(self.segments) == 1 else None


def unit_allowed(facts: Facts, unit: list[str]) -> tuple[str, ...]:
    """The CSMs every account of the unit may go to (a family needs one owner)."""
    allowed = list(facts.eligibility.allowed[unit[0]])
    for account_id in unit[1:]:
        others = set(facts.eligibility.allowed[account_id])
        allowed = [c for c in allowed if c in others]
    return tuple(allowed)


def _classes(facts: Facts, with_owner: bool) -> tuple[list[_Class], list[list[str]]]:
    """The classes, and units no CSM (or hire) may own whole."""
    hard_windows = facts.renewal_limit_hard and facts.renewal_limit is not None
    forced = facts.eligibility.forced_move
    found: dict[tuple[object, ...], _Class] = {}
    homeless = []
    for unit in facts.units:
        allowed = unit_allowed(facts, unit)
        if not allowed:
            homeless.append(unit)
            continue
        segments = tuple(sorted(Counter(str(facts.segment_of[a]) for a in unit).items()))
        windows = (
            tuple(sorted(Counter(facts.window_of(a) for a in unit).items())) if hard_windows else ()
        )
        owners = {facts.accounts[a].current_csm for a in unit}
        owner = owners.pop() if with_owner and len(owners) == 1 else None
        if owner not in allowed or any(a in forced for a in unit):
            owner = None
        ranges = [facts.effort_range(a) for a in unit]
        lo, hi = sum(r[0] for r in ranges), sum(r[1] for r in ranges)
        key = (allowed, segments, windows, owner)
        entry = found.get(key)
        if entry is None:
            entry = found[key] = _Class(0, segments, windows, owner, allowed, lo, hi, 0)
        entry.units += 1
        entry.lightest = min(entry.lightest, lo)
        entry.heaviest = max(entry.heaviest, hi)
        entry.effort += lo
    return list(found.values()), homeless


def solve_staffing(
    facts: Facts, placeholders: dict[str, Profile], options: StaffingOptions, time_limit: float
) -> StaffingResult:
    """Fewest hires (or, with `options.release` and no profiles, most CSMs released) for
    which the relaxed book has a plan. `facts` is of the instance with one placeholder CSM
    per profile (`placeholders`: id -> profile)."""
    model = LinearModel()
    classes, homeless = _classes(facts, with_owner=options.move_cap and facts.move_cap is not None)
    if homeless:
        return StaffingResult("INFEASIBLE", homeless=homeless)
    existing = [c for c in facts.active_csms if c not in placeholders]
    scale: dict[str, int] = {}  # CSM -> the integer its rows are scaled by
    objective = Affine()
    top_cost = max([p.annual_cost for p in placeholders.values()] + [1.0])
    for csm_id, profile in placeholders.items():
        limit = options.max_hires if options.max_hires is not None else 10_000
        scale[csm_id] = model.var(f"hire[{csm_id}]", 0, limit)
        objective.coefs[scale[csm_id]] = 1 + TIE_BREAK * profile.annual_cost / top_cost
    if options.release:
        top_cost = max([facts.csms[c].annual_cost for c in existing] + [1.0])
        for csm_id in existing:
            scale[csm_id] = model.var(f"keep[{csm_id}]", 0, 1)
            # fewest kept: most released, the dearest first among equal counts
            cost = facts.csms[csm_id].annual_cost
            objective.coefs[scale[csm_id]] = 1 - TIE_BREAK * cost / top_cost
    count: dict[str, list[tuple[_Class, int]]] = defaultdict(list)
    load: dict[str, list[tuple[_Class, int]]] = defaultdict(list)
    moves = Affine()
    for cls in classes:
        in_class: dict[int, float] = {}
        class_load: dict[int, float] = {}
        for csm_id in cls.allowed:
            if csm_id not in facts.csms or facts.csms[csm_id].leaving:
                continue
            n = model.var(f"count[{csm_id}]", 0, cls.units, integer=False)
            e = model.var(f"load[{csm_id}]", 0, cls.heaviest * cls.units, integer=False)
            model.row({e: 1.0, n: -float(cls.lightest)}, lower=0.0)
            model.row({e: 1.0, n: -float(cls.heaviest)}, upper=0.0)
            in_class[n] = 1.0
            class_load[e] = 1.0
            count[csm_id].append((cls, n))
            load[csm_id].append((cls, e))
            if cls.owner is not None and csm_id != cls.owner:
                moves.coefs[n] = float(cls.size)
        if not in_class:
            return StaffingResult("INFEASIBLE")
        model.row(in_class, lower=cls.units, upper=cls.units)
        model.row(class_load, lower=cls.effort)
    for csm_id in set(count):
        _csm_rows(facts, model, csm_id, scale.get(csm_id), count[csm_id], load[csm_id])
    if facts.move_cap is not None and moves.coefs:
        model.row(moves.coefs, upper=facts.move_cap)
    _limits(facts, model, placeholders, scale, options, load)
    if not objective.coefs:
        objective.constant = 0.0
    outcome = solve_highs(model, objective, time_limit)
    if outcome.values is None:
        return StaffingResult(outcome.status)
    values = outcome.values
    hires = {
        placeholders[c]: round(values[scale[c]])
        for c in placeholders
        if round(values[scale[c]]) > 0
    }
    released = [c for c in existing if options.release and values[scale[c]] < 0.5]
    return StaffingResult(outcome.status, hires, released, outcome.bound)


def _csm_rows(
    facts: Facts,
    model: LinearModel,
    csm_id: str,
    scale: int | None,
    counts: list[tuple[_Class, int]],
    loads: list[tuple[_Class, int]],
) -> None:
    """Effort capacity, account caps and hard renewal windows of one CSM (or profile)."""

    def at_most(coefs: dict[int, float], limit: float) -> None:
        if scale is None:
            model.row(coefs, upper=limit)
        else:
            model.row({**coefs, scale: -limit}, upper=0.0)

    at_most({e: 1.0 for _, e in loads}, facts.capacity(csm_id))
    by_segment: dict[str, dict[int, float]] = defaultdict(dict)
    by_window: dict[str, dict[int, float]] = defaultdict(dict)
    for cls, n in counts:
        for segment, many in cls.segments:
            by_segment[segment][n] = float(many)
        for window, many in cls.windows:
            by_window[window][n] = float(many)
    for segment, coefs in by_segment.items():
        cap = facts.account_cap(csm_id, segment)
        at_most(coefs, cap if cap is not None else sum(c.units * c.size for c, _ in counts))
    limit = facts.renewal_limit
    for coefs in by_window.values():
        if limit is not None:
            at_most(coefs, limit)


def _limits(
    facts: Facts,
    model: LinearModel,
    placeholders: dict[str, Profile],
    scale: dict[str, int],
    options: StaffingOptions,
    load: dict[str, list[tuple[_Class, int]]],
) -> None:
    """Budget, most hires, and each segment's cost/ARR target."""
    hires = {scale[c]: 1.0 for c in placeholders}
    if options.max_hires is not None and hires:
        model.row(hires, upper=options.max_hires)
    if options.budget is not None and hires:
        model.row({scale[c]: p.annual_cost for c, p in placeholders.items()}, upper=options.budget)
    if not options.cost_targets:
        return
    arr: dict[str, float] = defaultdict(float)
    for account_id in facts.named_accounts:
        arr[str(facts.segment_of[account_id])] += facts.accounts[account_id].arr
    for segment in facts.instance.policy.segments:
        if segment.pooled or arr[segment.name] <= 0:
            continue
        cost: dict[int, float] = {}
        for csm_id in facts.active_csms:
            csm = facts.csms[csm_id]
            if csm_id in placeholders:
                if segment.name in csm.segments:
                    cost[scale[csm_id]] = csm.annual_cost
            elif facts.capacity(csm_id) > 0:
                per_unit = csm.annual_cost / facts.capacity(csm_id)
                for cls, e in load.get(csm_id, []):
                    if cls.segment == segment.name:  # a mixed family's share is left out
                        cost[e] = cost.get(e, 0.0) + per_unit
        limit = segment.cost_to_arr_target * arr[segment.name]
        if cost:
            model.row(cost, upper=limit)
