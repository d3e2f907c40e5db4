"""A seeded generator of realistic instances, for the bundled example, benchmarks and tests.

The shape follows the domain brief: heavy-tailed ARR (most accounts small, a few very large),
finance and telco specialists, regional generalists, renewals bunched at quarter ends, small
parent/child families, and a current book that has drifted for a year (uneven books, leavers,
ramping hires, new customers without an owner, accounts whose ARR crossed a segment line).

Capacities are sized from a plan the generator builds itself and that passes the independent
checker, so every generated instance is feasible by construction.
"""

from __future__ import annotations

import datetime as dt
import heapq
import json
import math
import random
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from allocator.checker import check
from allocator.facts import UNITS, Facts
from allocator.facts.effort import account_effort
from allocator.facts.eligibility import LEAVER, structural_reasons
from allocator.facts.segmentation import segment_accounts, segment_by_arr
from allocator.io.files import write_text_atomic
from allocator.io.validation import validate
from allocator.schema.instance import (
    Account,
    Balance,
    Continuity,
    Csm,
    Instance,
    Policy,
    RenewalSpread,
    Segment,
)
from allocator.schema.plan import Owners, Plan

T = TypeVar("T")

EFFECTIVE_DATE = dt.date(2027, 1, 1)
"""Fixed plan date: generated files must not depend on the day they were made."""

REGIONS: tuple[tuple[str, float], ...] = (("NA", 0.50), ("EMEA", 0.32), ("APAC", 0.18))

# (vertical, share of accounts, ARR factor): banks and telcos are larger customers.
VERTICALS: tuple[tuple[str, float, float], ...] = (
    ("software", 0.22, 1.0),
    ("finance", 0.16, 1.4),
    ("retail", 0.13, 0.9),
    ("manufacturing", 0.13, 1.0),
    ("healthcare", 0.12, 1.0),
    ("telco", 0.08, 1.5),
    ("education", 0.08, 0.6),
    ("media", 0.08, 0.8),
)
LIFECYCLE: tuple[tuple[str, float], ...] = (
    ("onboarding", 0.15),
    ("adoption", 0.22),
    ("steady", 0.53),
    ("at_risk", 0.10),
)
# Lognormal ARR, calibrated so the default tiers give ~2.5% Global by ARR (~4% with the
# strategic designations), ~20% Enterprise and the rest Scale.
ARR_MU, ARR_SIGMA = 11.0, 1.25  # median ~$60k, mean ~$130k, top 1% above ~$1.1M
# Renewal weight per calendar month: quarter-end months and December (fiscal year end) heavy.
MONTH_WEIGHTS = (1.0, 0.9, 1.4, 0.9, 0.9, 1.5, 0.8, 0.8, 1.5, 1.0, 1.1, 2.2)
CHILD_SHARE = 0.04  # accounts that are subsidiaries of another account
NEW_SHARE_OF_ONBOARDING = 0.35  # onboarding accounts closed so recently they have no owner
LOCK_SHARE = 0.01
MAX_CHILDREN = {"Global": 1, "Enterprise": 2, "Scale": 3}  # keeps every family placeable
COST_RANGE = {
    "Global": (160_000, 180_000),
    "Enterprise": (140_000, 165_000),
    "Scale": (120_000, 140_000),
}
CAP_HEADROOM = 0.85  # a team is sized so its accounts fill at most 85% of the account caps
POOL_THRESHOLDS = range(5_000, 100_001, 5_000)  # candidate ARR ceilings of the tech-touch tier
LOCK_REASONS = (
    "executive sponsor relationship",
    "open escalation",
    "renewal negotiation in progress",
    "reference customer",
)

_PREFIXES = (
    "Apex",
    "Northwind",
    "Summit",
    "Bluewater",
    "Ironwood",
    "Crescent",
    "Harbor",
    "Pinnacle",
    "Evergreen",
    "Redstone",
    "Silverline",
    "Granite",
    "Lakeside",
    "Meridian",
    "Orion",
    "Polar",
    "Quantum",
    "Riverbend",
    "Sterling",
    "Trident",
    "Union",
    "Vantage",
    "Westfield",
    "Zenith",
    "Atlas",
    "Beacon",
    "Cobalt",
    "Delta",
    "Ember",
    "Falcon",
    "Global",
    "Horizon",
    "Keystone",
    "Liberty",
    "Monarch",
    "Nova",
    "Oakridge",
    "Prairie",
    "Sable",
    "Tidewater",
)
_NOUNS = {
    "software": ("Software", "Labs", "Systems", "Technologies"),
    "finance": ("Bank", "Capital", "Financial", "Insurance"),
    "retail": ("Stores", "Retail", "Outfitters", "Market"),
    "manufacturing": ("Industries", "Manufacturing", "Components", "Works"),
    "healthcare": ("Health", "Medical", "Clinics", "Care"),
    "telco": ("Telecom", "Networks", "Mobile", "Communications"),
    "education": ("University", "Academy", "Schools", "College"),
    "media": ("Media", "Studios", "Publishing", "Broadcasting"),
}
_FIRST = (
    "Alex",
    "Priya",
    "Jordan",
    "Mei",
    "Sam",
    "Fatima",
    "Lucas",
    "Aisha",
    "Noah",
    "Elena",
    "Kenji",
    "Sofia",
    "Omar",
    "Hannah",
    "Diego",
    "Ingrid",
    "Ravi",
    "Chloe",
    "Tomas",
    "Zara",
    "Marcus",
    "Yuki",
    "Leila",
    "Ben",
    "Carmen",
    "Felix",
    "Nadia",
    "Owen",
    "Rosa",
    "Idris",
    "Grace",
    "Mateo",
    "Anya",
    "Kwame",
    "Lina",
    "Jonas",
    "Maya",
    "Pedro",
    "Sara",
    "Theo",
)
_LAST = (
    "Nguyen",
    "Smith",
    "Okafor",
    "Garcia",
    "Muller",
    "Tanaka",
    "Rossi",
    "Kowalski",
    "Haddad",
    "Johansson",
    "Patel",
    "Dubois",
    "Kim",
    "Silva",
    "Brennan",
    "Novak",
    "Ahmed",
    "Larsen",
    "Moreau",
    "Singh",
    "Costa",
    "Fischer",
    "Ivanova",
    "Mensah",
    "O'Neill",
    "Park",
    "Reyes",
    "Schmidt",
    "Takahashi",
    "Walsh",
    "Yilmaz",
    "Zhang",
    "Bauer",
    "Chen",
    "Diaz",
    "Evans",
    "Ferreira",
    "Gupta",
    "Hughes",
    "Jansen",
)


def _names(rng: random.Random, n: int) -> list[str]:
    """`n` distinct person names (a middle initial once the 1,600 pairs run out)."""
    pairs = [(f, last) for f in _FIRST for last in _LAST]
    rng.shuffle(pairs)
    names = []
    for i in range(n):
        first, last = pairs[i % len(pairs)]
        middle = f" {chr(ord('A') + (i // len(pairs) - 1) % 26)}." if i >= len(pairs) else ""
        names.append(f"{first}{middle} {last}")
    return names


class GenerationError(RuntimeError):
    """The generator produced something that fails its own feasibility check (a bug)."""


@dataclass
class _Draft:
    """An account while it is being drawn (Account itself is frozen)."""

    id: str
    name: str
    arr: float
    vertical: str
    region: str
    renewal_date: dt.date
    lifecycle_stage: str
    health: float | None
    contract: str
    strategic: bool = False
    new: bool = False
    parent_id: str | None = None
    current_csm: str | None = None
    locked: bool = False
    lock_reason: str = ""


@dataclass
class _Team:
    """CSMs serving one segment and one vertical group (generalists: no verticals)."""

    segment: str
    verticals: tuple[str, ...]
    cap: int | None = None  # the segment's accounts-per-CSM cap
    demand: float = 0.0
    accounts: int = 0
    region_demand: dict[str, float] = field(default_factory=dict)
    region_accounts: dict[str, int] = field(default_factory=dict)
    size: int = 0
    members: list[_Member] = field(default_factory=list)


@dataclass
class _Member:
    team: _Team
    regions: list[str] = field(default_factory=list)
    leaving: bool = False
    ramp: float = 1.0
    id: str = ""
    name: str = ""
    annual_cost: float = 0.0
    capacity: float = 0.0


def _pick(rng: random.Random, options: Sequence[tuple[T, float]]) -> T:
    return rng.choices([o for o, _ in options], weights=[w for _, w in options])[0]


def _round_to(value: float, step: float) -> float:
    return round(value / step) * step


def _renewal_date(rng: random.Random, months: Sequence[int]) -> dt.date:
    """A 2027 renewal date: quarter-end months heavy, and within them the last days heavy."""
    month = rng.choices(list(months), weights=[MONTH_WEIGHTS[m - 1] for m in months])[0]
    last = (dt.date(2027 + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)).day
    if month % 3 == 0 and rng.random() < 0.4:
        day = rng.randint(last - 4, last)
    else:
        day = rng.randint(1, last)
    return dt.date(2027, month, day)


def _health(rng: random.Random, stage: str) -> float | None:
    if stage == "onboarding" and rng.random() < 0.5:
        return None  # no score until the first usage data arrives
    mean, sd = {
        "onboarding": (70, 12),
        "adoption": (68, 14),
        "steady": (78, 10),
        "at_risk": (35, 12),
    }[stage]
    return float(min(100, max(1, round(rng.gauss(mean, sd)))))


def _draw_accounts(rng: random.Random, n: int) -> list[_Draft]:
    width = max(5, len(str(n)))
    drafts = []
    for i in range(1, n + 1):
        vertical, factor = _pick(rng, [((v, f), s) for v, s, f in VERTICALS])
        arr = max(2_000.0, _round_to(factor * rng.lognormvariate(ARR_MU, ARR_SIGMA), 100))
        stage = _pick(rng, LIFECYCLE)
        new = stage == "onboarding" and rng.random() < NEW_SHARE_OF_ONBOARDING
        # An annual contract renews on its anniversary: recently closed accounts renew late
        # in the year, the newest (no owner yet) in Q4.
        months = range(10, 13) if new else range(7, 13) if stage == "onboarding" else range(1, 13)
        # Strategic: most very large logos, plus a few upsell or beachhead accounts below.
        p_strategic = 0.5 if arr >= 750_000 else 0.06 if arr >= 150_000 else 0.005
        drafts.append(
            _Draft(
                id=f"A{i:0{width}d}",
                name=f"{rng.choice(_PREFIXES)} {rng.choice(_NOUNS[vertical])}",
                arr=arr,
                vertical=vertical,
                region=_pick(rng, REGIONS),
                renewal_date=_renewal_date(rng, months),
                lifecycle_stage=stage,
                health=_health(rng, stage),
                contract="monthly" if arr < 60_000 and rng.random() < 0.15 else "annual",
                strategic=rng.random() < p_strategic,
                new=new,
            )
        )
    return drafts


def _link_families(rng: random.Random, drafts: list[_Draft], policy: Policy) -> None:
    """Turn a few percent of accounts into subsidiaries of another account.

    Children take the parent's region and vertical (one owner must be able to take them all)
    and a smaller ARR; half co-term with the parent.
    """
    pool = [d for d in drafts if not d.strategic and not d.new]
    rng.shuffle(pool)
    left = round(CHILD_SHARE * len(drafts))
    position = 0
    while left > 0 and position + 1 < len(pool):
        root = pool[position]
        segment = segment_by_arr(policy, root.arr) or "Scale"
        k = min(
            _pick(rng, [(1, 0.6), (2, 0.3), (3, 0.1)]),
            MAX_CHILDREN.get(segment, 1),
            left,
            len(pool) - position - 1,
        )
        for j, child in enumerate(pool[position + 1 : position + 1 + k], start=1):
            child.parent_id = root.id
            child.vertical, child.region = root.vertical, root.region
            child.name = f"{root.name} (subsidiary {j})"
            child.arr = max(2_000.0, _round_to(root.arr * rng.uniform(0.05, 0.5), 100))
            if rng.random() < 0.5:
                child.renewal_date = root.renewal_date
        position += k + 1
        left -= k


def _account(d: _Draft) -> Account:
    return Account(
        id=d.id,
        name=d.name,
        arr=d.arr,
        vertical=d.vertical,
        region=d.region,
        renewal_date=d.renewal_date,
        strategic=d.strategic,
        lifecycle_stage=d.lifecycle_stage,
        health=d.health,
        contract="monthly" if d.contract == "monthly" else "annual",
        current_csm=d.current_csm,
        parent_id=d.parent_id,
        locked=d.locked,
        lock_reason=d.lock_reason,
    )


def _teams(
    policy: Policy,
    accounts: list[Account],
    segment_of: dict[str, str | None],
    effort: dict[str, float],
    active: int,
) -> list[_Team] | None:
    """Teams per segment and vertical group, headcount split by effort demand.

    Each team first gets enough CSMs to keep its accounts under CAP_HEADROOM of the account
    caps; None when `active` CSMs are too few for that.

    Specialised verticals of a segment share one team when each alone would not fill about
    one CSM (small companies have one "FS & telco" specialist, not two half-empty ones).
    """
    specialised = policy.specialization.verticals
    demand: dict[tuple[str, str], float] = defaultdict(float)
    for a in accounts:
        seg = segment_of[a.id]
        if seg is not None and not policy.segment(seg).pooled:
            demand[(seg, a.vertical if a.vertical in specialised else "")] += effort[a.id]
    total = sum(demand.values())
    teams: dict[tuple[str, tuple[str, ...]], _Team] = {}
    for seg in (s.name for s in policy.segments if not s.pooled):
        present = [v for v in specialised if demand.get((seg, v), 0.0) > 0]
        ideal = sum(active * demand[(seg, v)] / total for v in present)
        groups = [tuple(present)] if len(present) > 1 and ideal < 2.5 else [(v,) for v in present]
        for verticals in [*groups, ()]:
            teams[(seg, verticals)] = _Team(
                segment=seg, verticals=verticals, cap=policy.segment(seg).max_accounts
            )
    for a in accounts:
        seg = segment_of[a.id]
        if seg is None or policy.segment(seg).pooled:
            continue
        team = next(
            t
            for (s, vs), t in teams.items()
            if s == seg and (a.vertical in vs if a.vertical in specialised else not vs)
        )
        team.demand += effort[a.id]
        team.accounts += 1
        team.region_demand[a.region] = team.region_demand.get(a.region, 0.0) + effort[a.id]
        team.region_accounts[a.region] = team.region_accounts.get(a.region, 0) + 1
    used = [t for t in teams.values() if t.accounts > 0]
    if not used:
        return None  # no account needs a named CSM: not an allocation problem
    for t in used:
        t.size = max(1, math.ceil(t.accounts / (t.cap * CAP_HEADROOM)) if t.cap else 1)
    needed = sum(t.size for t in used)
    if needed > active:
        return None
    # D'Hondt: each further CSM goes to the team with the most effort per CSM.
    for _ in range(active - needed):
        max(used, key=lambda t: t.demand / t.size).size += 1
    return used


def _coverage(rng: random.Random, home: str, names: list[str]) -> list[str]:
    """Most regional CSMs cover their home region; some a second region, some all."""
    draw = rng.random()
    if draw < 0.70:
        return [home]
    others = [r for r in names if r != home]
    if draw < 0.85 and others:
        other = rng.choice(others)
        return [r for r, _ in REGIONS if r in (home, other)]
    return []


def _regions(rng: random.Random, team: _Team) -> None:
    """Specialists and small teams cover every region; larger generalist teams are regional.

    Staying CSMs get home regions so that each region first has enough CSMs for its account
    count under the caps, then in proportion to its effort demand; a ramping hire counts as
    half a CSM. When the regions cannot all be staffed that way the team stays global.
    Leavers' homes are drawn by demand (their book is handed off anyway).
    """
    names = [r for r, _ in REGIONS if team.region_demand.get(r, 0.0) > 0]
    staying = sorted((m for m in team.members if not m.leaving), key=lambda m: -m.ramp)
    if team.verticals or len(staying) < 2 * len(names):
        return
    per_unit = sum(m.ramp for m in staying) / sum(team.region_demand[r] for r in names)
    need = {
        r: team.region_accounts[r] / (team.cap * CAP_HEADROOM) if team.cap else 0.0 for r in names
    }
    held = dict.fromkeys(names, 0.0)
    homes = []
    for m in staying:
        short = [r for r in names if held[r] == 0 or held[r] < need[r]]
        home = max(
            short or names,
            key=lambda r: (
                (need[r] - held[r]) if short else team.region_demand[r] * per_unit - held[r]
            ),
        )
        held[home] += m.ramp
        homes.append(home)
    if any(held[r] < need[r] for r in names):
        return
    for m, home in zip(staying, homes, strict=True):
        m.regions = _coverage(rng, home, names)
    for m in team.members:
        if m.leaving:
            home = _pick(rng, [(r, team.region_demand[r]) for r in names])
            m.regions = _coverage(rng, home, names)


def _staff(rng: random.Random, teams: list[_Team], csms: int, active: int) -> list[_Member]:
    """CSMs for every team, then leavers (extra people with a book) and ramping hires."""
    for team in teams:
        team.members = [_Member(team=team) for _ in range(team.size)]
    leavers = csms - active
    generalists = [t for t in teams if not t.verticals] or teams
    for _ in range(leavers):
        team = rng.choices(generalists, weights=[t.size for t in generalists])[0]
        team.members.append(_Member(team=team, leaving=True))
    hires = max(1, round(0.05 * csms)) if csms >= 10 else 0
    for floor in (3, 2, 1):  # a hire should not be the only one able to serve a team
        candidates = [m for t in teams if t.size >= floor for m in t.members if not m.leaving]
        if len(candidates) >= hires:
            break
    for member in rng.sample(candidates, min(hires, len(candidates))):
        member.ramp = 0.5
    for team in teams:
        _regions(rng, team)
    members = [m for t in teams for m in t.members]
    rng.shuffle(members)  # ids should not reveal the team structure
    width = max(3, len(str(csms)))
    for i, (m, name) in enumerate(zip(members, _names(rng, len(members)), strict=True), start=1):
        m.id = f"C{i:0{width}d}"
        m.name = name
        low, high = COST_RANGE.get(m.team.segment, (120_000, 180_000))
        m.annual_cost = _round_to(rng.uniform(low, high), 1000)
    return sorted(members, key=lambda m: m.id)


def _csm(m: _Member) -> Csm:
    return Csm(
        id=m.id,
        name=m.name,
        segments=[m.team.segment],
        verticals=list(m.team.verticals),
        regions=m.regions,
        capacity=max(m.capacity, 0.5),
        annual_cost=m.annual_cost,
        leaving=m.leaving,
        ramp=m.ramp,
    )


def _families(drafts: list[_Draft]) -> list[list[_Draft]]:
    """Accounts that share an owner: a parent with its children, or one account alone."""
    children: dict[str, list[_Draft]] = defaultdict(list)
    for d in drafts:
        if d.parent_id is not None:
            children[d.parent_id].append(d)
    return [[d, *children.get(d.id, [])] for d in drafts if d.parent_id is None]


def _current_owners(
    rng: random.Random,
    policy: Policy,
    drafts: list[_Draft],
    segment_of: dict[str, str | None],
    effort: dict[str, float],
    members: list[_Member],
) -> None:
    """Last year's owners: uneven books, leavers' books, and ARR that crossed a tier line.

    Everyone but this year's hires held a book; each CSM's share is skewed (lognormal weight)
    the way books drift after a year of churn. A family has one owner; new customers none.
    """
    csms = {m.id: _csm(m) for m in members}
    # Book target: the team's fair share (hires held nothing) times a lognormal skew; owners
    # are drawn in proportion to the room left under target, so books end near their skew.
    target: dict[str, float] = {}
    for team in {id(m.team): m.team for m in members}.values():
        holders = [m for m in team.members if m.ramp == 1.0]
        for m in holders:
            skew = min(1.7, max(0.6, rng.lognormvariate(0.0, 0.3)))  # no book is absurd
            target[m.id] = team.demand / len(holders) * skew
    load: dict[str, float] = defaultdict(float)
    specialised = frozenset(policy.specialization.verticals)
    cache: dict[tuple[str, str, str], list[str]] = {}

    def servers(segment: str, vertical: str, region: str) -> list[str]:
        key = (segment, vertical, region)
        if key not in cache:
            cache[key] = [
                m.id
                for m in members
                if m.ramp == 1.0
                and not [
                    r
                    for r in structural_reasons(
                        csms[m.id], segment, vertical, region, specialised, True
                    )
                    if r != LEAVER
                ]
            ]
        return cache[key]

    for family in _families(drafts):
        head = family[0]
        if head.new:
            continue
        segment = segment_of[head.id] or ""
        if len(family) == 1 and not head.strategic:
            # ARR moves up to +-20% a year; last year's tier decided last year's owner.
            segment = segment_by_arr(policy, head.arr * rng.uniform(0.8, 1.2)) or segment
        options = servers(segment, head.vertical, head.region)
        if not options and segment != segment_of[head.id]:
            options = servers(segment_of[head.id] or "", head.vertical, head.region)
        if not options:
            continue
        if len(options) > 12:  # a short list keeps large teams fast; the skew is unchanged
            options = rng.sample(options, 12)
        room = [max(0.02 * target[c], target[c] - load[c]) for c in options]
        owner = rng.choices(options, weights=room)[0]
        for d in family:
            d.current_csm = owner
            load[owner] += effort[d.id]
        if (
            len(family) == 1
            and not csms[owner].leaving
            and segment == segment_of[head.id]
            and rng.random() < LOCK_SHARE
        ):
            head.locked, head.lock_reason = True, rng.choice(LOCK_REASONS)


HEADROOM = (1.15, 1.3)
"""Capacity as a multiple of a fair share of the team's effort: a team with room."""


def _size_capacities(rng: random.Random, teams: list[_Team], headroom: tuple[float, float]) -> None:
    """Capacity: `headroom` times the fair share of the team's effort over its staying
    CSMs (1.15-1.3 by default; 1.00-1.05 is a team at capacity)."""
    low, high = headroom
    for team in teams:
        staying = [m for m in team.members if not m.leaving]
        fair = team.demand / sum(m.ramp for m in staying)
        for m in team.members:
            m.capacity = _round_to(fair * rng.uniform(low, high), 0.5)


def _reference_plan(facts: Facts) -> tuple[Owners, dict[str, int]]:
    """A plan meeting every hard rule, and the capacity (hundredths) each CSM needs for it.

    Families move as one; pinned (locked or frozen) units go first, then the largest; each
    goes to the least utilised eligible CSM with room. When nobody has effort room, the least
    utilised CSM's capacity is raised: that is the sizing step. One lazy heap per distinct
    option list keeps this fast at 50,000 accounts.
    """
    units = [members for members in facts.families.values()]
    in_family = {a for members in units for a in members}
    units += [[a] for a in facts.named_accounts if a not in in_family]
    options: dict[str, tuple[str, ...]] = {}
    for unit in units:
        allowed = [set(facts.eligibility.allowed[a]) for a in unit[1:]]
        options[unit[0]] = tuple(
            c for c in facts.eligibility.allowed[unit[0]] if all(c in s for s in allowed)
        )
    unit_effort = {unit[0]: sum(facts.default_effort(a) for a in unit) for unit in units}
    # Pinned units first, then largest first: sorting by fewest options instead would spread
    # a small region's accounts over every CSM that also covers it, starving its own CSMs.
    units.sort(key=lambda u: (len(options[u[0]]) > 1, -unit_effort[u[0]], u[0]))
    capacity = {c: facts.capacity(c) for c in facts.active_csms}
    load: dict[str, int] = defaultdict(int)
    count: dict[tuple[str, str], int] = defaultdict(int)
    caps: dict[tuple[str, str], int | None] = {}
    heaps: dict[tuple[str, ...], list[tuple[float, str]]] = {}
    heaps_of: dict[str, list[tuple[str, ...]]] = defaultdict(list)
    plan: Owners = {a.id: None for a in facts.instance.accounts}

    def has_room(csm: str, segment: str, size: int) -> bool:
        if (csm, segment) not in caps:
            caps[(csm, segment)] = facts.account_cap(csm, segment)
        cap = caps[(csm, segment)]
        return cap is None or count[(csm, segment)] + size <= cap

    for unit in units:
        segment, effort, key = (
            str(facts.segment_of[unit[0]]),
            unit_effort[unit[0]],
            options[unit[0]],
        )
        if key not in heaps:
            heaps[key] = [(load[c] / capacity[c], c) for c in key]
            heapq.heapify(heaps[key])
            for c in key:
                heaps_of[c].append(key)
        heap, popped, chosen = heaps[key], [], None
        while heap:
            utilisation, c = heapq.heappop(heap)
            if utilisation != load[c] / capacity[c]:
                continue  # stale: a newer entry for c is in the heap
            popped.append((utilisation, c))
            if has_room(c, segment, len(unit)) and load[c] + effort <= capacity[c]:
                chosen = c
                break
        if chosen is None:
            roomy = [c for _, c in popped if has_room(c, segment, len(unit))]
            if not roomy:
                raise GenerationError(f"no CSM has account room for {unit[0]} ({segment})")
            chosen = roomy[0]  # least utilised: popped in heap order
            capacity[chosen] = load[chosen] + effort
        for entry in popped:
            if entry[1] != chosen:
                heapq.heappush(heap, entry)
        for a in unit:
            plan[a] = chosen
        load[chosen] += effort
        count[(chosen, segment)] += len(unit)
        for other in heaps_of[chosen]:
            heapq.heappush(heaps[other], (load[chosen] / capacity[chosen], chosen))
    return plan, capacity


def _renewal_cap(facts: Facts, teams: list[_Team]) -> int:
    """Renewals per CSM per quarter: 10% above the busiest quarter's average book share.

    The cap binds on the larger books (the current plan breaks it) but the segment as a
    whole can meet it, so the penalised rule shapes plans without dominating them.
    """
    staying: dict[str, int] = defaultdict(int)
    for t in teams:
        staying[t.segment] += sum(1 for m in t.members if not m.leaving)
    per_window: dict[tuple[str, str], int] = defaultdict(int)
    for a in facts.named_accounts:
        per_window[(str(facts.segment_of[a]), facts.window_of(a))] += 1
    busiest = max((n / staying[s] for (s, _), n in per_window.items() if staying[s]), default=1.0)
    return max(1, math.ceil(1.1 * busiest))


def _band(facts: Facts, plan: Plan) -> float:
    """A loose balance band (0.35) that the reference plan is known to meet."""
    load: dict[str, int] = defaultdict(int)
    for a, c in plan.items():
        if c is not None:
            load[c] += facts.effort(a, c)
    worst = max(
        (abs(load[c] - target) / facts.capacity(c) for c, target in facts.balance_target.items()),
        default=0.0,
    )
    return max(0.35, math.ceil((worst + 0.01) * 20) / 20)


def _with_pool(policy: Policy, ceiling: int | None) -> Policy:
    """The policy, plus a pooled tech-touch tier "Digital" for ARR below `ceiling`.

    Named books are full at about 26 accounts per CSM under the default caps (6/15/40 for
    this account mix); companies with more accounts than that per CSM serve their smallest
    customers digitally, with no named CSM.
    """
    if ceiling is None:
        return policy
    segments = [
        s.model_copy(update={"min_arr": float(ceiling)}) if s.name == "Scale" else s
        for s in policy.segments
    ]
    digital = Segment(name="Digital", min_arr=0, max_arr=ceiling, pooled=True)
    return policy.model_copy(update={"segments": [*segments, digital]})


def generate_instance(
    accounts: int,
    csms: int,
    seed: int,
    name: str | None = None,
    headroom: tuple[float, float] = HEADROOM,
) -> Instance:
    """A realistic, feasible instance; the same arguments always give the same instance.

    `headroom`: the range of each CSM's capacity as a multiple of a fair share of the
    team's effort (1.00-1.05: the team at capacity; capacities are raised where a plan
    needs it, so the instance stays feasible).

    Policy: the defaults, with a quarterly renewal cap (penalised), a loose balance band, a
    move cost of 2 and a 30-day renewal freeze. When the named tiers' account caps cannot
    hold every account with headroom (beyond about 22 accounts per CSM), the smallest
    accounts go to a pooled tech-touch tier "Digital" (the lowest ARR ceiling, in $5k steps,
    that fits). Raises ValueError when even that leaves `csms` too few.
    """
    if accounts < 1 or csms < 1:
        raise ValueError("accounts and csms must be at least 1")
    rng = random.Random(seed)
    leavers = max(1, round(0.025 * csms)) if csms >= 10 else 0
    base_policy = Policy(
        effective_date=EFFECTIVE_DATE, continuity=Continuity(cost_per_move=2.0, freeze_days=30)
    )
    drafts = _draw_accounts(rng, accounts)
    _link_families(rng, drafts, base_policy)
    bare_accounts = [_account(d) for d in drafts]
    for ceiling in (None, *POOL_THRESHOLDS):
        policy = _with_pool(base_policy, ceiling)
        bare = Instance(accounts=bare_accounts, csms=[], policy=policy)
        segment_of = segment_accounts(bare)
        effort = {a.id: account_effort(policy, a, segment_of[a.id]) for a in bare.accounts}
        teams = _teams(policy, bare.accounts, segment_of, effort, csms - leavers)
        if teams is not None:
            break
    else:
        raise ValueError(
            f"cannot staff {accounts} accounts with {csms} CSMs under the account "
            "caps, even with a tech-touch tier for accounts under $100k"
        )
    members = _staff(rng, teams, csms, csms - leavers)
    _current_owners(rng, policy, drafts, segment_of, effort, members)
    if not 0 < headroom[0] <= headroom[1]:
        raise ValueError(f"headroom must be a range of positive multiples, got {headroom}")
    _size_capacities(rng, teams, headroom)

    draft_instance = Instance(
        name=name or f"generated-{accounts}x{csms}-seed{seed}",
        accounts=[_account(d) for d in drafts],
        csms=[_csm(m) for m in members],
        policy=policy,
    )
    facts = Facts(draft_instance, EFFECTIVE_DATE)
    plan, needed = _reference_plan(facts)
    for m in members:
        if m.id in needed:
            # Smallest half-unit capacity whose ramped hundredths hold the needed effort.
            m.capacity = max(m.capacity, math.ceil(needed[m.id] / (UNITS * m.ramp) * 2) / 2)
    sized = draft_instance.model_copy(update={"csms": [_csm(m) for m in members]})
    facts = Facts(sized, EFFECTIVE_DATE)
    policy = policy.model_copy(
        update={
            "renewal_spread": RenewalSpread(
                window="quarter", max_per_window=_renewal_cap(facts, teams), hard=False
            ),
            "balance": Balance(band=_band(facts, plan)),
        }
    )
    instance = sized.model_copy(update={"policy": policy})

    problems = validate(instance)
    report = check(instance, plan, EFFECTIVE_DATE)
    if problems or report.violations:
        raise GenerationError(
            "generated instance fails its own check: "
            + "; ".join([*map(str, problems[:3]), *map(str, report.violations[:3])])
        )
    return instance


def instance_json(instance: Instance) -> str:
    """Compact JSON: defaults left out, one account / CSM / pair per line (small, diffable)."""
    facts = instance.model_dump(mode="json", exclude_defaults=True)
    parts = []
    for key, value in facts.items():
        if isinstance(value, list) and value:
            rows = ",\n".join("  " + json.dumps(r, separators=(",", ":")) for r in value)
            parts.append(f" {json.dumps(key)}: [\n{rows}\n ]")
        else:
            text = json.dumps(value, indent=1).replace("\n", "\n ")
            parts.append(f" {json.dumps(key)}: {text}")
    return "{\n" + ",\n".join(parts) + "\n}\n"


def write_instance(instance: Instance, path: str | Path) -> Path:
    """Write `instance` as compact JSON (atomically); returns the path written."""
    target = Path(path)
    write_text_atomic(target, instance_json(instance))
    return target


__all__ = [
    "EFFECTIVE_DATE",
    "GenerationError",
    "generate_instance",
    "instance_json",
    "write_instance",
]
