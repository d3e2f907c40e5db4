"""The instance format: accounts, CSMs, optional per-pair data and the policy.

Everything here is plain data with field-level checks. Cross-record checks (unknown
references, cycles, accounts nobody can take) live in `validation.py` so that they can
report every problem at once.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Collection
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from allocator.schema.limits import (
    MAX_COUNT,
    MAX_EFFORT,
    MAX_FREEZE_DAYS,
    MAX_MONEY,
    MAX_MULTIPLIER,
    MAX_PAIR_COST,
    MAX_SHARE,
    MAX_WEIGHT,
)

Multiplier = Annotated[float, Field(ge=0, le=MAX_MULTIPLIER)]


class _Record(BaseModel):
    # NaN and infinities are refused everywhere: no rule can compare them.
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class Account(_Record):
    """One customer account."""

    id: str = Field(min_length=1, description="Unique account id (e.g. the CRM id).")
    name: str = Field(default="", description="Display name.")
    arr: float = Field(
        ge=0, le=MAX_MONEY, description="Annual recurring revenue, in the instance's currency."
    )
    vertical: str = Field(default="", description="Industry vertical, e.g. finance, telco.")
    region: str = Field(default="", description="Geography, matched against CSM regions.")
    renewal_date: dt.date = Field(description="Next renewal date (ISO 8601).")
    segment: str | None = Field(
        default=None, description="Explicit segment name; overrides the ARR ranges."
    )
    strategic: bool = Field(
        default=False, description="Strategic designation: goes to the policy's strategic segment."
    )
    lifecycle_stage: str | None = Field(
        default=None, description="e.g. onboarding, adoption, steady, at_risk."
    )
    health: float | None = Field(default=None, ge=0, le=100, description="Health score 0-100.")
    contract: Literal["annual", "monthly"] | None = Field(
        default=None, description="Contract type."
    )
    current_csm: str | None = Field(default=None, description="Current owner's CSM id.")
    parent_id: str | None = Field(
        default=None, description="Parent account id; a family shares one owner."
    )
    effort: float | None = Field(
        default=None,
        ge=0,
        le=MAX_EFFORT,
        description="Explicit effort; overrides the policy's effort model.",
    )
    locked: bool = Field(default=False, description="Must stay with current_csm.")
    lock_reason: str = Field(default="", description="Why the account is locked (reported).")


class Csm(_Record):
    """One Customer Success Manager."""

    id: str = Field(min_length=1, description="Unique CSM id.")
    name: str = Field(default="", description="Display name.")
    segments: list[str] = Field(min_length=1, description="Segment names this CSM serves.")
    verticals: list[str] = Field(
        default_factory=list,
        description="Verticals this CSM specialises in (e.g. finance). Empty: a generalist.",
    )
    generalist: bool | None = Field(
        default=None,
        description="Whether the CSM also takes accounts of the verticals that need no "
        "specialist. Default: true without `verticals` (a generalist), false with them (a "
        "specialist, who takes only those verticals). Set true for a generalist who can "
        "also take, e.g., finance accounts.",
    )
    regions: list[str] = Field(
        default_factory=list, description="Regions covered; empty means every region."
    )
    capacity: float = Field(
        ge=0, le=MAX_EFFORT, description="Effort units this CSM can carry at full ramp."
    )
    max_accounts: dict[str, Annotated[int, Field(ge=0, le=MAX_COUNT)]] = Field(
        default_factory=dict, description="Per-segment account cap overriding the policy's."
    )
    annual_cost: float = Field(
        default=0.0, ge=0, le=MAX_MONEY, description="Fully loaded annual cost."
    )
    leaving: bool = Field(default=False, description="Leaving: takes no accounts.")
    ramp: float = Field(
        default=1.0, ge=0, le=1, description="Share of capacity available (new hires ramp)."
    )

    def takes_any_vertical(self) -> bool:
        """A generalist: takes accounts of every vertical that needs no specialist."""
        return self.generalist if self.generalist is not None else not self.verticals

    def specialism(self) -> str:
        """How reports name the CSM's verticals: 'finance' (a specialist), 'generalist', or
        'generalist + finance'."""
        listed = "/".join(self.verticals)
        if not self.takes_any_vertical():
            return listed
        return f"generalist + {listed}" if listed else "generalist"

    def covers(self, vertical: str, specialist_only: Collection[str]) -> bool:
        """Whether the CSM may take an account of `vertical`; `specialist_only` are the
        verticals that need a specialist (specialisation as a hard rule)."""
        if vertical in self.verticals:
            return True
        return self.takes_any_vertical() and vertical not in specialist_only


class Pair(_Record):
    """Sparse per-(account, CSM) data."""

    account: str = Field(description="Account id.")
    csm: str = Field(description="CSM id.")
    cost: float = Field(
        default=0.0,
        ge=-MAX_PAIR_COST,
        le=MAX_PAIR_COST,
        description="Preference/affinity cost; lower is better.",
    )
    effort: float | None = Field(
        default=None, ge=0, le=MAX_EFFORT, description="CSM-specific effort for this account."
    )
    allowed: bool = Field(default=True, description="false forbids this pair.")


class Segment(_Record):
    """A segment: an ARR range, a per-CSM account cap and a base effort."""

    name: str = Field(min_length=1)
    min_arr: float = Field(
        default=0.0, ge=0, le=MAX_MONEY, description="Inclusive lower ARR bound."
    )
    max_arr: float | None = Field(
        default=None, ge=0, le=MAX_MONEY, description="Exclusive upper ARR bound."
    )
    max_accounts: int | None = Field(
        default=None,
        ge=0,
        le=MAX_COUNT,
        description="Accounts of this segment per CSM; null = no cap.",
    )
    base_effort: float = Field(
        default=1.0, ge=0, le=MAX_EFFORT, description="Effort of a typical account."
    )
    pooled: bool = Field(default=False, description="Served by a pool: no named CSM.")
    cost_to_arr_target: float = Field(
        default=0.15, gt=0, le=MAX_SHARE, description="Target CSM cost / ARR for this segment."
    )


def _default_segments() -> list[Segment]:
    # Seed 003's example tiers and caps; base efforts chosen so full books weigh about the same.
    return [
        Segment(name="Global", min_arr=750_000, max_accounts=6, base_effort=8.0),
        Segment(
            name="Enterprise", min_arr=150_000, max_arr=750_000, max_accounts=15, base_effort=3.0
        ),
        Segment(name="Scale", min_arr=0, max_arr=150_000, max_accounts=40, base_effort=1.0),
    ]


class HealthBand(_Record):
    """Accounts with health below `below` get `multiplier` (first matching band wins)."""

    below: float = Field(ge=0, le=101)
    multiplier: float = Field(gt=0, le=MAX_MULTIPLIER)


class EffortModel(_Record):
    """Multipliers applied to a segment's base effort."""

    lifecycle: dict[str, Multiplier] = Field(
        default_factory=lambda: {"onboarding": 1.5, "adoption": 1.2, "steady": 1.0, "at_risk": 1.6},
    )
    health_bands: list[HealthBand] = Field(
        default_factory=lambda: [
            HealthBand(below=40, multiplier=1.4),
            HealthBand(below=70, multiplier=1.15),
        ],
    )
    contract: dict[str, Multiplier] = Field(
        default_factory=lambda: {"annual": 1.0, "monthly": 0.8},
    )


class Specialization(_Record):
    """Vertical specialisation: these verticals go to CSMs who list them."""

    verticals: list[str] = Field(default_factory=lambda: ["finance", "telco"])
    hard: bool = Field(default=True, description="false: a penalised preference instead.")


class RenewalSpread(_Record):
    """At most `max_per_window` renewals per CSM per calendar month or quarter."""

    window: Literal["month", "quarter"] = "quarter"
    max_per_window: int | None = Field(
        default=None, ge=0, le=MAX_COUNT, description="null = rule off."
    )
    hard: bool = Field(default=False, description="false: each excess renewal is penalised.")


class Balance(_Record):
    """Balance of effort within each pool, relative to capacity."""

    band: float | None = Field(
        default=None,
        ge=0,
        le=MAX_SHARE,
        description="Hard band: |utilisation - pool utilisation| <= band (e.g. 0.2).",
    )
    tolerance: float = Field(
        default=0.02,
        ge=0,
        le=MAX_SHARE,
        description="Deviation within +/- tolerance x capacity of the target costs nothing.",
    )


class Continuity(_Record):
    """Moves: their cost, a cap on voluntary moves, and the renewal freeze."""

    cost_per_move: float = Field(default=1.0, ge=0, le=MAX_WEIGHT)
    max_moves: int | None = Field(
        default=None,
        ge=0,
        le=MAX_COUNT,
        description="Cap on voluntary moves (forced moves not counted).",
    )
    freeze_days: int = Field(
        default=0,
        ge=0,
        le=MAX_FREEZE_DAYS,
        description="No voluntary move when renewal is within this many days.",
    )
    fewest_moves: bool = Field(
        default=False,
        description="Only the moves the rules need: the plan makes no more voluntary moves "
        "than the fewest found for any plan obeying every rule, and is the best on the "
        "other terms among such plans.",
    )


class CostToArr(_Record):
    """Cost/ARR enforcement: a minimum book ARR of annual_cost / target per CSM."""

    enforce_per_csm: bool = False


class ObjectiveWeights(_Record):
    """Weights of the objective's named terms, used at a resolution of 0.001."""

    balance: float = Field(default=1.0, ge=0, le=MAX_WEIGHT)
    moves: float = Field(default=1.0, ge=0, le=MAX_WEIGHT)
    renewal_bunching: float = Field(default=1.0, ge=0, le=MAX_WEIGHT)
    pair_cost: float = Field(default=1.0, ge=0, le=MAX_WEIGHT)
    specialization: float = Field(default=5.0, ge=0, le=MAX_WEIGHT)

    @field_validator("*")
    @classmethod
    def _resolution(cls, value: float) -> float:
        # The model's objective is integral; rounding here keeps model and checker equal.
        return round(value, 3)


class Policy(_Record):
    """Leadership's rules; every default is the seeds' example."""

    segments: list[Segment] = Field(default_factory=_default_segments, min_length=1)
    segment_ranges: Literal["exclusive", "first_match"] = Field(
        default="exclusive",
        description="exclusive: segments' ARR ranges may not overlap; first_match: an "
        "account takes the first segment in list order whose range holds its ARR.",
    )
    strategic_segment: str | None = Field(
        default="Global", description="Segment that strategic accounts join regardless of ARR."
    )
    families_share_segment: bool = Field(
        default=True, description="Child accounts without an explicit segment take the root's."
    )
    specialization: Specialization = Field(default_factory=Specialization)
    effort: EffortModel = Field(default_factory=EffortModel)
    renewal_spread: RenewalSpread = Field(default_factory=RenewalSpread)
    balance: Balance = Field(default_factory=Balance)
    continuity: Continuity = Field(default_factory=Continuity)
    cost_to_arr: CostToArr = Field(default_factory=CostToArr)
    weights: ObjectiveWeights = Field(default_factory=ObjectiveWeights)
    effective_date: dt.date | None = Field(
        default=None, description="Plan date for the renewal freeze; defaults to today."
    )

    def segment(self, name: str) -> Segment:
        for seg in self.segments:
            if seg.name == name:
                return seg
        raise KeyError(name)


class Instance(_Record):
    """A complete allocation problem."""

    name: str = Field(default="instance")
    accounts: list[Account]
    csms: list[Csm]
    pairs: list[Pair] = Field(default_factory=list)
    policy: Policy = Field(default_factory=Policy)


def effective_date_of(instance: Instance) -> dt.date:
    """The plan date: the policy's, else today."""
    return instance.policy.effective_date or dt.date.today()


def instance_hash(instance: Instance) -> str:
    """A short SHA-256 of the instance's content: which book and rules a solution was made
    for. How the plan was sought (`continuity.fewest_moves`) is left out: plans of the two
    modes are plans of the same instance."""
    content = instance.model_dump(mode="json")
    content["policy"]["continuity"].pop("fewest_moves", None)
    text = json.dumps(content, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def with_fewest_moves(instance: Instance) -> Instance:
    """`instance` with `policy.continuity.fewest_moves` switched on: only the moves the
    rules need."""
    policy = instance.policy
    continuity = policy.continuity.model_copy(update={"fewest_moves": True})
    return instance.model_copy(
        update={"policy": policy.model_copy(update={"continuity": continuity})}
    )
