"""The solution format (solution.json) and its per-account / per-CSM / per-segment rows."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from allocator.schema.plan import Owners

Status = Literal["OPTIMAL", "FEASIBLE", "INFEASIBLE", "UNKNOWN"]


class _Row(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AssignmentRow(_Row):
    account: str
    account_name: str = ""
    segment: str | None
    csm: str | None = Field(description="Owner; null when the account is pooled.")
    previous_csm: str | None
    moved: bool
    forced: bool = Field(default=False, description="Move forced (owner leaving/ineligible).")
    pooled: bool = False
    effort: float = 0.0
    arr: float = 0.0
    renewal_window: str = ""


class CsmSummaryRow(_Row):
    csm: str
    name: str = ""
    pool: str = Field(description="Who the CSM serves: segments / specialism / regions.")
    balance_pool: str | None = Field(
        description="The segments whose utilisation sets the CSM's balance target."
    )
    leaving: bool
    accounts: int
    accounts_by_segment: dict[str, int]
    effort: float
    full_capacity: float = Field(description="Effort the CSM carries at full ramp.")
    ramp: float
    ramped_capacity: float = Field(description="Capacity now: full capacity x ramp.")
    utilisation: float = Field(description="Effort / ramped capacity.")
    target_effort: float | None
    arr: float
    annual_cost: float
    cost_to_arr: float | None
    renewals_by_window: dict[str, int]
    moved_in: int = Field(description="Accounts taken over from another CSM.")
    new_accounts: int = Field(description="Accounts with no previous owner, placed here.")
    lost: int = Field(description="Accounts that left this CSM.")


class SegmentSummaryRow(_Row):
    segment: str
    pooled: bool
    accounts: int
    arr: float
    csm_cost: float = Field(description="CSM cost attributed by share of effort.")
    cost_to_arr: float | None
    target: float
    within_target: bool | None


class Violation(_Row):
    rule: str
    subject: str
    message: str

    def __str__(self) -> str:
        return f"{self.rule} [{self.subject}]: {self.message}"


class BlockSummaryRow(_Row):
    """One independent block (accounts and CSMs sharing no rule with the rest): its share
    of the objective and its own proven bound; the plan's bound is their sum."""

    block: int = Field(description="1-based, in the order solved (smallest first).")
    accounts: int
    csms: int
    segments: list[str]
    status: str = Field(
        description="OPTIMAL (proven), FEASIBLE, or NOT SOLVED (stopped "
        "before the block: the constructive plan stands)."
    )
    objective: float
    bound: float
    gap: float | None = Field(description="(objective - bound) / objective; None at 0.")
    seconds: float
    companion: str = Field(
        default="",
        description="What the companion process gave: "
        "HiGHS's plan or bound, or the Lagrangian "
        "bound.",
    )


class Solution(_Row):
    instance: str
    instance_hash: str = Field(default="", description="SHA-256 of the instance content.")
    status: Status
    objective: float | None
    bound: float | None
    gap: float | None = Field(description="(objective - bound) / max(|objective|, 1e-9).")
    solve_seconds: float
    terms: dict[str, float] = Field(default_factory=dict)
    weights: dict[str, float] = Field(default_factory=dict)
    violations: list[Violation] = Field(default_factory=list)
    explanation: list[str] = Field(
        default_factory=list, description="Why no plan exists, when that is known."
    )
    moves: int = 0
    forced_moves: int = 0
    effective_date: dt.date
    parameters: dict[str, float | int | str | bool] = Field(default_factory=dict)
    interrupted: bool = False
    assignments: list[AssignmentRow] = Field(default_factory=list)
    csm_summary: list[CsmSummaryRow] = Field(default_factory=list)
    segment_summary: list[SegmentSummaryRow] = Field(default_factory=list)
    block_summary: list[BlockSummaryRow] = Field(default_factory=list)

    def owners(self) -> Owners:
        return {row.account: row.csm for row in self.assignments}


def relative_gap(objective: float | None, bound: float | None) -> float | None:
    """(objective - bound) / |objective|: how far a plan can be from the best one."""
    if objective is None or bound is None:
        return None
    return max(0.0, objective - bound) / max(abs(objective), 1e-9)
