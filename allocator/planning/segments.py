"""Segment design: what a set of ARR thresholds (and per-CSM account caps) would mean for
the book, segment by segment, before anything is solved.

For each candidate, per segment: accounts and ARR, effort, the CSMs serving it today,
the CSMs it needs (account slots: accounts / cap; effort: effort / a typical CSM's
capacity; the larger), what they cost against the segment's cost/ARR target, and how many
accounts change segment and must change owner because their CSM does not serve the new one.
The counts are per segment; pools by specialism and region can need more, which
`allocate headcount` on the redesigned book answers exactly.
"""

from __future__ import annotations

import math
import re
import statistics
from dataclasses import dataclass, field

from allocator.facts import UNITS, Facts
from allocator.facts.segmentation import segment_accounts
from allocator.schema.errors import InputError, Problem
from allocator.schema.instance import Instance, Segment, effective_date_of
from allocator.schema.limits import MAX_COUNT, MAX_MONEY

_AMOUNT = re.compile(r"^\s*\$?\s*(\d+(?:\.\d+)?)\s*([kKmMbB]?)\s*$")
_SCALE = {"": 1.0, "k": 1e3, "m": 1e6, "b": 1e9}


def parse_amount(text: str) -> float:
    """'150k' -> 150000.0, '1.5M' -> 1500000.0; ValueError for anything else."""
    match = _AMOUNT.match(text)
    if match is None:
        raise ValueError(f"{text!r} is not an amount (e.g. 150000, 150k, 1.5M)")
    value = float(match.group(1)) * _SCALE[match.group(2).lower()]
    if value > MAX_MONEY:
        raise ValueError(f"{text!r} is above the largest amount allowed ({MAX_MONEY:,.0f})")
    return value


@dataclass(frozen=True)
class SegmentDesign:
    """ARR thresholds between the ARR-ranged segments (lowest first), and account caps."""

    thresholds: tuple[float, ...] = ()
    caps: dict[str, int] = field(default_factory=dict)

    @property
    def label(self) -> str:
        parts = []
        if self.thresholds:
            parts.append("thresholds " + ", ".join(_short(t) for t in self.thresholds))
        if self.caps:
            parts.append("caps " + ", ".join(f"{s} {c}" for s, c in self.caps.items()))
        return "; ".join(parts) or "today's segments"


def _short(value: float) -> str:
    for suffix, scale in (("M", 1e6), ("k", 1e3)):
        if value >= scale and value % (scale / 100) == 0:
            return f"{value / scale:g}{suffix}"
    return f"{value:g}"


def ranged_segments(instance: Instance) -> list[Segment]:
    """The segments accounts join by ARR, lowest range first."""
    return sorted(instance.policy.segments, key=lambda s: s.min_arr)


def apply_design(instance: Instance, design: SegmentDesign, source: str = "") -> Instance:
    """`instance` with the design's thresholds and caps; an `InputError` (naming `source`)
    when they do not fit its segments."""
    segments = ranged_segments(instance)
    names = [s.name for s in segments]
    problems = []
    if design.thresholds:
        if len(design.thresholds) != len(segments) - 1:
            problems.append(
                Problem(
                    "thresholds",
                    "",
                    f"{len(design.thresholds)} thresholds given; the segments "
                    f"{', '.join(names)} (lowest ARR first) need {len(segments) - 1}",
                )
            )
        elif list(design.thresholds) != sorted(set(design.thresholds)) or design.thresholds[0] <= 0:
            problems.append(Problem("thresholds", "", "must be positive and increasing"))
    for name, cap in design.caps.items():
        if name not in names:
            problems.append(
                Problem("caps", name, f"no such segment (segments: {', '.join(names)})")
            )
        elif not 0 <= cap <= MAX_COUNT:
            problems.append(Problem("caps", name, f"{cap} is out of range 0-{MAX_COUNT}"))
    if problems:
        raise InputError(source or instance.name, problems)
    by_name = {}
    for index, segment in enumerate(segments):
        update: dict[str, object] = {}
        if design.thresholds:
            update["min_arr"] = 0.0 if index == 0 else design.thresholds[index - 1]
            update["max_arr"] = None if index == len(segments) - 1 else design.thresholds[index]
        if segment.name in design.caps:
            update["max_accounts"] = design.caps[segment.name]
        by_name[segment.name] = segment.model_copy(update=update)
    policy = instance.policy.model_copy(
        update={"segments": [by_name[s.name] for s in instance.policy.segments]}
    )
    return instance.model_copy(update={"policy": policy})


@dataclass(frozen=True)
class SegmentRow:
    """One segment under one design."""

    design: str
    segment: str
    pooled: bool
    accounts: int
    arr: float
    effort: float
    csms_today: int
    csms_needed: int | None
    needed_by: str
    cost: float | None
    cost_to_arr: float | None
    target: float
    within_target: bool | None
    accounts_changing_segment: int
    moves_at_least: int


def design_rows(instance: Instance, design: SegmentDesign, source: str = "") -> list[SegmentRow]:
    """Per segment, what `design` would mean for `instance` (see the module docstring)."""
    redesigned = apply_design(instance, design, source)
    before = segment_accounts(instance)
    facts = Facts(redesigned, effective_date_of(redesigned))
    active = [c for c in redesigned.csms if not c.leaving]
    rows = []
    for segment in redesigned.policy.segments:
        members = [a for a in redesigned.accounts if facts.segment_of[a.id] == segment.name]
        effort = sum(facts.default_effort(a.id) for a in members) / UNITS
        arr = sum(a.arr for a in members)
        serving = [c for c in active if segment.name in c.segments]
        only = [c for c in serving if c.segments == [segment.name]] or serving
        capacity = statistics.median([c.capacity for c in only]) if only else None
        cost_each = statistics.median([c.annual_cost for c in only]) if only else None
        needed: int | None = None
        needed_by = ""
        if not segment.pooled and members:
            by_slots = math.ceil(len(members) / segment.max_accounts) if segment.max_accounts else 0
            by_effort = math.ceil(effort / capacity - 1e-9) if capacity else 0
            needed = max(by_slots, by_effort)
            needed_by = "account cap" if by_slots >= by_effort else "effort"
        elif not segment.pooled:
            needed, needed_by = 0, "no accounts"
        cost = None if needed is None or cost_each is None else needed * cost_each
        ratio = None if cost is None or arr <= 0 else cost / arr
        changing = [a for a in members if before.get(a.id) != segment.name]
        moves = sum(
            1
            for a in changing
            if a.current_csm is not None
            and a.current_csm in facts.csms
            and segment.name not in facts.csms[a.current_csm].segments
            and not segment.pooled
        )
        rows.append(
            SegmentRow(
                design=design.label,
                segment=segment.name,
                pooled=segment.pooled,
                accounts=len(members),
                arr=arr,
                effort=round(effort, 2),
                csms_today=len(serving),
                csms_needed=needed,
                needed_by=needed_by,
                cost=cost,
                cost_to_arr=None if ratio is None else round(ratio, 4),
                target=segment.cost_to_arr_target,
                within_target=None if ratio is None else ratio <= segment.cost_to_arr_target,
                accounts_changing_segment=len(changing),
                moves_at_least=moves,
            )
        )
    return rows
