"""Headcount: the fewest CSMs to hire, by profile, for a plan obeying every rule with each
segment's cost/ARR within target, or, when none are needed, the spare capacity and how
many CSMs the book could do without.

The staffing model (`allocator.planning.staffing`) gives the count and its proven bound;
the instance with the hires added as placeholder CSMs is then solved by the pipeline and
checked, so the hiring plan comes with the books the hires would get. Before that solve,
the capacity pre-check of the hired book runs on every rule the staffing model relaxes
(families, for one); where it proves a pool still short, one more CSM like that pool's is
added (a few rounds at most). The bound stays what the model proved, so the answer says
how far from proven the count is.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from dataclasses import dataclass, field

from allocator.deadline import Deadline
from allocator.explain.capacity_check import Shortfall, capacity_check
from allocator.explain.precheck import stranded_accounts
from allocator.facts import UNITS, Facts
from allocator.parameters import DEFAULT_WORKERS
from allocator.pipeline import Progress, SolveResult, solve
from allocator.planning.profiles import Profile, hire_profiles, hire_ramp, with_hires, without
from allocator.planning.staffing import (
    TIE_BREAK,
    StaffingOptions,
    StaffingResult,
    solve_staffing,
)
from allocator.schema.instance import Instance, effective_date_of

EXTRA_ROUNDS = 3
"""Most extra hires added when a solve of the hired book finds no plan in its time."""
PRECHECK_ROUNDS = 20
"""Most extra hires added when the pre-check proves the hired book still short."""
MIN_RETRY_SECONDS = 10.0
NOTES_SHOWN = 10
STAFFING_SHARE = 0.4
"""Share of the time limit the staffing model may use before the witness solves."""


@dataclass(frozen=True)
class HeadcountOptions:
    """What `plan_headcount` may do. Money is in the instance's currency."""

    horizon: dt.date | None = None
    ramp_months: float = 3.0
    budget: float | None = None
    max_hires: int | None = None
    keep_move_cap: bool = True
    capacity: float | None = None
    annual_cost: float | None = None
    release: bool = True
    time_limit: float = 60.0
    workers: int = DEFAULT_WORKERS
    seed: int = 0


@dataclass(frozen=True)
class HiringLine:
    """One row of the hiring plan."""

    profile: Profile
    count: int
    placeholders: tuple[str, ...]
    why: str

    @property
    def cost(self) -> float:
        return self.profile.annual_cost * self.count


@dataclass(frozen=True)
class SpareLine:
    """One CSM's room in the plan of the unchanged book."""

    csm: str
    segments: str
    effort: float
    capacity: float
    utilisation: float
    spare_effort: float
    spare_slots: str
    releasable: bool


@dataclass
class HeadcountResult:
    """The answer: hires (or releases), what is proven, and the solved plan."""

    instance: Instance
    hires: list[HiringLine] = field(default_factory=list)
    hires_bound: int = 0
    proven: bool = False
    released: list[str] = field(default_factory=list)
    release_bound: int | None = None
    spare: list[SpareLine] = field(default_factory=list)
    plan: SolveResult | None = None
    notes: list[str] = field(default_factory=list)
    staffing_status: str = ""

    @property
    def total_hires(self) -> int:
        return sum(line.count for line in self.hires)

    @property
    def has_plan(self) -> bool:
        return self.plan is not None and self.plan.feasible

    def summary(self) -> str:
        """One line a leader can read."""
        if not self.has_plan:
            return "no plan obeying every rule was found, even with the hires below"
        if self.hires:
            proof = (
                "the proven minimum"
                if self.proven
                else f"the staffing model proves at least {self.hires_bound}"
            )
            return f"hire {self.total_hires} CSMs ({proof}); the hired book solves checker-clean"
        if self.released:
            return (
                f"no hires needed; {len(self.released)} CSMs could be released with every "
                f"rule still holding (at most {self.release_bound} by the staffing model)"
            )
        return "no hires needed, and no CSM could be released with every rule holding"


def plan_headcount(
    instance: Instance,
    options: HeadcountOptions | None = None,
    on_progress: Callable[[Progress], None] | None = None,
) -> HeadcountResult:
    """The fewest hires by profile for `instance` (see the module docstring)."""
    options = options or HeadcountOptions()
    deadline = Deadline.after(options.time_limit)
    plan_date = effective_date_of(instance)
    book = instance if options.keep_move_cap else _without_move_cap(instance)
    facts = Facts(book, plan_date)
    ramp = hire_ramp(plan_date, options.horizon, options.ramp_months)
    profiles = hire_profiles(facts, ramp, options.capacity, options.annual_cost)
    probe = with_hires(book, {p: 1 for p in profiles})
    placeholders = dict(zip((c.id for c in probe.csms[len(book.csms) :]), profiles, strict=True))
    probe_facts = Facts(probe, plan_date)
    staffing_options = StaffingOptions(
        budget=options.budget,
        max_hires=options.max_hires,
        move_cap=options.keep_move_cap,
    )
    seconds = options.time_limit * STAFFING_SHARE
    staffing = solve_staffing(probe_facts, placeholders, staffing_options, seconds)
    result = HeadcountResult(instance=book, staffing_status=staffing.status)
    if staffing.status == "INFEASIBLE":
        without_targets = StaffingOptions(
            budget=options.budget,
            max_hires=options.max_hires,
            move_cap=options.keep_move_cap,
            cost_targets=False,
        )
        staffing = solve_staffing(probe_facts, placeholders, without_targets, seconds)
        result.staffing_status = staffing.status
        if staffing.status == "INFEASIBLE":
            stranded = stranded_accounts(probe_facts) + _homeless_lines(staffing.homeless)
            result.notes.extend(stranded[:NOTES_SHOWN])
            if len(stranded) > NOTES_SHOWN:
                result.notes.append(f"and {len(stranded) - NOTES_SHOWN} more such accounts")
            result.notes.append(_no_staffing_note(options, bool(stranded)))
            return result
        result.notes.append(
            "no hiring plan keeps every segment's cost/ARR within its target: hiring only "
            "adds cost; the plan below meets the rules, see cost/ARR per segment"
        )
    if staffing.status == "UNKNOWN":
        result.notes.append(
            "the staffing model found no answer in its time: give more --time-limit"
        )
        return result
    result.hires_bound = _count_bound(staffing)
    if staffing.total_hires == 0:
        return _spare(book, facts, result, options, deadline, on_progress)
    return _hire(book, facts, staffing, placeholders, result, options, deadline, on_progress)


def _without_move_cap(instance: Instance) -> Instance:
    policy = instance.policy
    continuity = policy.continuity.model_copy(update={"max_moves": None})
    return instance.model_copy(
        update={"policy": policy.model_copy(update={"continuity": continuity})}
    )


def _homeless_lines(units: list[list[str]]) -> list[str]:
    return [
        f"families_together: family of {unit[0]} ({', '.join(unit[:6])}"
        f"{' ...' if len(unit) > 6 else ''}): no CSM, and no hire of any profile, may own "
        "every member — align their locks, regions, verticals or segments, or split the "
        "family (clear parent_id)"
        for unit in units
        if len(unit) > 1
    ]


def _count_bound(staffing: StaffingResult) -> int:
    """Fewest hires the model proves: each hire weighs between 1 and 1 + TIE_BREAK."""
    if staffing.count_bound is None:
        return 0
    return max(0, math.ceil(staffing.count_bound / (1 + TIE_BREAK) - 1e-6))


def _no_staffing_note(options: HeadcountOptions, stranded: bool) -> str:
    if stranded:
        return "no hire can take the accounts above: no hiring plan makes the book feasible"
    limits = []
    if options.max_hires is not None:
        limits.append(f"--max-hires {options.max_hires}")
    if options.budget is not None:
        limits.append(f"--budget {options.budget:,.0f}")
    if limits:
        return f"no hiring plan within {' and '.join(limits)} lets every rule hold"
    return (
        "no number of hires of the roster's profiles lets every rule hold: accounts "
        "locked or frozen to one CSM, or the move cap, stop it (see `allocate explain`)"
    )


def _solve(
    instance: Instance,
    options: HeadcountOptions,
    deadline: Deadline,
    share: float,
    on_progress: Callable[[Progress], None] | None,
) -> SolveResult:
    seconds = max(1.0, deadline.left() * share)
    return solve(
        instance,
        time_limit=seconds,
        workers=options.workers,
        seed=options.seed,
        on_progress=on_progress,
    )


def _hire(
    book: Instance,
    facts: Facts,
    staffing: StaffingResult,
    placeholders: dict[str, Profile],
    result: HeadcountResult,
    options: HeadcountOptions,
    deadline: Deadline,
    on_progress: Callable[[Progress], None] | None,
) -> HeadcountResult:
    hires = dict(staffing.hires)
    for round_ in range(EXTRA_ROUNDS + 1):
        hired = _precheck_hires(book, hires, result)
        result.instance = hired
        last = round_ == EXTRA_ROUNDS
        result.plan = _solve(hired, options, deadline, 1.0 if last else 0.5, on_progress)
        if result.plan.feasible or result.plan.status == "INFEASIBLE" or last:
            break
        if deadline.left() < MIN_RETRY_SECONDS:
            break
        # No plan in the time, none proven impossible: the pool without one gets a hire.
        tightest = _unplanned_profile(result.plan, hires, placeholders_of(hired, hires))
        if tightest is None:
            break
        hires[tightest] = hires.get(tightest, 0) + 1
        result.notes.append(
            f"no plan of the book with {sum(hires.values()) - 1} hires was found within its "
            f"time (none proven impossible either); one more {tightest.name} CSM added, in "
            "the pool that had no plan"
        )
    result.proven = (
        staffing.status == "OPTIMAL"
        and sum(hires.values()) == result.hires_bound
        and result.has_plan
    )
    shortfalls = capacity_check(facts)
    added = result.instance.csms[len(book.csms) :]
    profile_of = placeholders_of(result.instance, hires)
    for profile, count in sorted(hires.items(), key=lambda item: item[0].name):
        ids = tuple(c.id for c in added if profile_of.get(c.id) == profile)
        why = _why(facts, profile, shortfalls, result.plan, ids)
        result.hires.append(HiringLine(profile, count, ids, why))
    return result


def _precheck_hires(book: Instance, hires: dict[Profile, int], result: HeadcountResult) -> Instance:
    """The book with `hires`, plus one more hire each time the capacity pre-check proves a
    hired pool still short (on rules the staffing model relaxes, such as families)."""
    for _ in range(PRECHECK_ROUNDS):
        hired = with_hires(book, hires, name=f"{book.name}-with-hires")
        short = _short_profile(hired, hires)
        if short is None:
            return hired
        hires[short] += 1
        result.notes.append(f"one more {short.name} CSM: the pre-check proves the pool short")
    return with_hires(book, hires, name=f"{book.name}-with-hires")


def _short_profile(hired: Instance, hires: dict[Profile, int]) -> Profile | None:
    """The hired profile whose pool the pre-check of the hired book proves still short, or
    None when the pre-check finds nothing."""
    facts = Facts(hired, effective_date_of(hired))
    shortfalls = capacity_check(facts)
    for shortfall in shortfalls:
        for profile in sorted(hires, key=lambda p: -hires[p]):
            if any(_fits(facts, profile, a) for a in shortfall.accounts):
                return profile
    return None


def placeholders_of(hired: Instance, hires: dict[Profile, int]) -> dict[str, Profile]:
    """Placeholder CSM id -> its profile, in an instance made by `with_hires`."""
    by_name = {f"({p.name})": p for p in hires}
    found = {}
    for csm in hired.csms:
        if csm.name.startswith("New hire "):
            for suffix, profile in by_name.items():
                if csm.name.endswith(suffix):
                    found[csm.id] = profile
    return found


def _unplanned_profile(
    plan: SolveResult, hires: dict[Profile, int], placeholders: dict[str, Profile]
) -> Profile | None:
    """The profile of the hires (or, failing that, of the accounts) in the first block
    the solve found no plan for."""
    for block in plan.unplanned:
        present = [placeholders[c] for c in block.csms if c in placeholders]
        if present:
            return max(set(present), key=lambda p: (present.count(p), p.name))
        facts = Facts(plan.instance, effective_date_of(plan.instance)) if plan.instance else None
        if facts is not None:
            for profile in sorted(hires, key=lambda p: p.name):
                if any(_fits(facts, profile, a) for a in block.accounts):
                    return profile
    return None


def _why(
    facts: Facts,
    profile: Profile,
    shortfalls: list[Shortfall],
    plan: SolveResult | None,
    ids: tuple[str, ...],
) -> str:
    """The binding rule in the profile's pool, in numbers."""
    for shortfall in shortfalls:
        if any(_fits(facts, profile, a) for a in shortfall.accounts):
            return shortfall.text
    homeless = [
        a
        for a in facts.named_accounts
        if not facts.eligibility.allowed[a] and _fits(facts, profile, a)
    ]
    if homeless:
        shown = ", ".join(homeless[:4]) + (" ..." if len(homeless) > 4 else "")
        return (
            f"eligibility: no staying CSM may take {len(homeless)} {profile.segment} accounts "
            f"of this kind ({shown}): specialism or region rules out every one"
        )
    if plan is None or not plan.feasible:
        return "the staffing model's minimum for the whole book"
    taken = [r for r in plan.solution.csm_summary if r.csm in ids]
    accounts = sum(r.accounts for r in taken)
    effort = sum(r.effort for r in taken)
    room = sum(r.ramped_capacity for r in taken)
    return (
        f"the staffing model's minimum for the whole book (no single pool proves it); in "
        f"the plan they take {accounts} accounts, {effort:,.1f} effort of {room:,.1f} room"
    )


def _fits(facts: Facts, profile: Profile, account_id: str) -> bool:
    account = facts.accounts.get(account_id)
    if account is None or facts.segment_of.get(account_id) not in profile.segments:
        return False
    if profile.regions and account.region not in profile.regions:
        return False
    specialised = facts.specialized_verticals if facts.specialization_hard else frozenset()
    if account.vertical in profile.verticals:
        return True
    return profile.generalist and account.vertical not in specialised


def _spare(
    book: Instance,
    facts: Facts,
    result: HeadcountResult,
    options: HeadcountOptions,
    deadline: Deadline,
    on_progress: Callable[[Progress], None] | None,
) -> HeadcountResult:
    share = 0.5 if options.release else 1.0
    result.plan = _solve(book, options, deadline, share, on_progress)
    if not result.plan.feasible:
        result.notes.append(
            "the staffing model needs no hires, but no plan of the book was found in the "
            "time: the rules it leaves out (families, balance band, minimum book ARR) may "
            "bind; see `allocate explain`"
        )
        return result
    released: list[str] = []
    if options.release:
        staffing = solve_staffing(
            facts,
            {},
            StaffingOptions(release=True, move_cap=False),
            max(1.0, deadline.left() * STAFFING_SHARE),
        )
        candidates = staffing.released
        result.release_bound = len(candidates) if staffing.status == "OPTIMAL" else None
        while candidates:
            trial = without(book, set(candidates), name=f"{book.name}-released")
            solved = _solve(trial, options, deadline, 1.0, on_progress)
            if solved.feasible:
                released = candidates
                break
            candidates = candidates[: len(candidates) // 2]
    result.released = released
    result.spare = spare_lines(facts, result.plan, set(released))
    return result


def spare_lines(facts: Facts, plan: SolveResult, released: set[str]) -> list[SpareLine]:
    """Each active CSM's room in `plan`: effort and account slots left."""
    lines = []
    for row in plan.solution.csm_summary:
        if row.leaving:
            continue
        slots = []
        for segment in facts.csms[row.csm].segments:
            cap = facts.account_cap(row.csm, segment)
            if cap is not None:
                slots.append(f"{segment} {cap - row.accounts_by_segment.get(segment, 0)}")
        capacity = facts.capacity(row.csm) / UNITS
        lines.append(
            SpareLine(
                csm=row.csm,
                segments="/".join(facts.csms[row.csm].segments),
                effort=row.effort,
                capacity=capacity,
                utilisation=row.utilisation,
                spare_effort=round(capacity - row.effort, 2),
                spare_slots="; ".join(slots),
                releasable=row.csm in released,
            )
        )
    return sorted(lines, key=lambda line: (not line.releasable, -line.spare_effort, line.csm))
