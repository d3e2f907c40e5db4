"""Hire profiles: the kinds of CSM a team can add, and placeholder CSMs standing for hires.

A profile is a set of segments (usually one), one specialism and one set of regions, with
the capacity and annual cost of a typical CSM of those segments on the roster (the median;
an option can set either). The profiles offered are those of the roster itself, each CSM
read one segment at a time and, when it serves several, as a whole (a family spanning
segments needs such a CSM); leavers count too (a team losing all its finance specialists
can hire them back); plus one for each kind of account no roster profile could take.
"""

from __future__ import annotations

import datetime as dt
import re
import statistics
from dataclasses import dataclass

from allocator.facts import Facts
from allocator.planning.roster import leave
from allocator.schema.instance import Csm, Instance

HIRE_PREFIX = "NEW"
ProfileKey = tuple[tuple[str, ...], tuple[str, ...], bool, tuple[str, ...]]
"""Segments, verticals, whether a generalist, regions."""


@dataclass(frozen=True)
class Profile:
    """A kind of CSM one could hire."""

    segments: tuple[str, ...]
    verticals: tuple[str, ...]
    generalist: bool
    regions: tuple[str, ...]
    capacity: float
    annual_cost: float
    ramp: float = 1.0

    @property
    def specialism(self) -> str:
        """'generalist', 'finance', or 'generalist+finance'."""
        listed = "+".join(self.verticals)
        if not self.generalist:
            return listed
        return f"generalist+{listed}" if listed else "generalist"

    @property
    def region_label(self) -> str:
        return "+".join(self.regions) if self.regions else "any-region"

    @property
    def segment(self) -> str:
        """'Enterprise', or 'Enterprise+Global' for a CSM serving both."""
        return "+".join(self.segments)

    @property
    def name(self) -> str:
        """How reports name the profile: 'Enterprise / finance / EMEA'."""
        return f"{self.segment} / {self.specialism} / {self.region_label}"

    def placeholder_id(self, number: int) -> str:
        """'NEW-Enterprise-finance-EMEA-1'."""
        parts = [HIRE_PREFIX, self.segment, self.specialism, self.region_label, str(number)]
        return "-".join(re.sub(r"[^A-Za-z0-9+_.-]+", "_", p) for p in parts)

    def placeholder(self, number: int) -> Csm:
        """A placeholder CSM standing for the `number`-th hire of this profile."""
        return Csm(
            id=self.placeholder_id(number),
            name=f"New hire {number} ({self.name})",
            segments=list(self.segments),
            verticals=list(self.verticals),
            generalist=self.generalist if self.verticals else None,
            regions=list(self.regions),
            capacity=self.capacity,
            annual_cost=self.annual_cost,
            ramp=self.ramp,
        )


def hire_ramp(plan_date: dt.date, horizon: dt.date | None, ramp_months: float) -> float:
    """Share of capacity a hire starting on the plan date carries at the horizon: a linear
    ramp over `ramp_months`. Without a horizon, hires count fully ramped."""
    if horizon is None or ramp_months <= 0:
        return 1.0
    months = max(0, (horizon - plan_date).days) / (365.25 / 12)
    return round(min(1.0, months / ramp_months), 4)


def _typical(values: list[float], fallback: float) -> float:
    return float(statistics.median(values)) if values else fallback


def hire_profiles(
    facts: Facts,
    ramp: float = 1.0,
    capacity: float | None = None,
    annual_cost: float | None = None,
) -> list[Profile]:
    """Every profile worth offering, in a stable order."""
    instance = facts.instance
    named = {s.name for s in instance.policy.segments if not s.pooled}
    everyone = list(instance.csms)
    keys: set[ProfileKey] = set()
    for csm in everyone:
        served = tuple(s for s in csm.segments if s in named)
        looks = (tuple(csm.verticals), csm.takes_any_vertical(), tuple(csm.regions))
        for segment in served:
            keys.add(((segment,), *looks))
        if len(served) > 1:
            keys.add((served, *looks))
    specialised = frozenset(instance.policy.specialization.verticals)
    keys |= _uncovered(instance, facts, keys, specialised, instance.policy.specialization.hard)
    profiles = []
    for segments, verticals, generalist, regions in sorted(keys):
        serving = [c for c in everyone if set(segments) <= set(c.segments)]
        alike = [c for c in serving if tuple(c.segments) == segments] or serving or everyone
        profiles.append(
            Profile(
                segments=segments,
                verticals=verticals,
                generalist=generalist,
                regions=regions,
                capacity=capacity or _typical([c.capacity for c in alike], 1.0),
                annual_cost=(
                    annual_cost
                    if annual_cost is not None
                    else _typical([c.annual_cost for c in alike], 0.0)
                ),
                ramp=ramp,
            )
        )
    return profiles


def _uncovered(
    instance: Instance,
    facts: Facts,
    keys: set[ProfileKey],
    specialised: frozenset[str],
    hard: bool,
) -> set[ProfileKey]:
    """A profile for each (segment, vertical, region) of accounts no roster profile takes."""
    found: set[ProfileKey] = set()
    for account in instance.accounts:
        segment = facts.segment_of.get(account.id)
        if segment is None or facts.is_pooled(account.id):
            continue
        needs_specialist = hard and account.vertical in specialised
        covered = any(
            segment in segs
            and (not regions or account.region in regions)
            and (account.vertical in verticals or (generalist and not needs_specialist))
            for segs, verticals, generalist, regions in keys
        )
        if not covered:
            verticals = (account.vertical,) if needs_specialist else ()
            regions = (account.region,) if account.region else ()
            found.add(((segment,), verticals, not needs_specialist, regions))
    return found


def with_hires(instance: Instance, hires: dict[Profile, int], name: str | None = None) -> Instance:
    """`instance` with `hires[profile]` placeholder CSMs of each profile added."""
    taken = {c.id for c in instance.csms}
    added: list[Csm] = []
    for profile, count in hires.items():
        number = 0
        for _ in range(count):
            number += 1
            while profile.placeholder_id(number) in taken:
                number += 1
            csm = profile.placeholder(number)
            taken.add(csm.id)
            added.append(csm)
    return instance.model_copy(
        update={"csms": [*instance.csms, *added], "name": name or instance.name}
    )


def without(instance: Instance, released: set[str], name: str | None = None) -> Instance:
    """`instance` with the `released` CSMs leaving (`allocator.planning.roster.leave`)."""
    left = leave(instance, released)
    return left.model_copy(update={"name": name or instance.name})
