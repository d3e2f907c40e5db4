"""Per-account, per-CSM, per-segment and per-block rows of a plan, for solution.json and
the CSVs."""

from __future__ import annotations

from collections import Counter, defaultdict

from allocator.facts import UNITS, Block, Facts
from allocator.pipeline.outcome import BlockOutcome
from allocator.schema.plan import Plan
from allocator.schema.solution import (
    AssignmentRow,
    BlockSummaryRow,
    CsmSummaryRow,
    SegmentSummaryRow,
)


def assignment_rows(facts: Facts, owners: Plan, forced: set[str]) -> list[AssignmentRow]:
    rows = []
    for account in facts.instance.accounts:
        owner = owners.get(account.id)
        effort = facts.effort(account.id, owner) if owner else facts.default_effort(account.id)
        moved = account.current_csm is not None and owner != account.current_csm
        rows.append(
            AssignmentRow(
                account=account.id,
                account_name=account.name,
                segment=facts.segment_of[account.id],
                csm=owner,
                previous_csm=account.current_csm,
                moved=moved,
                forced=moved and account.id in forced,
                pooled=facts.is_pooled(account.id),
                effort=effort / UNITS,
                arr=account.arr,
                renewal_window=facts.window_of(account.id),
            )
        )
    return rows


def csm_rows(facts: Facts, owners: Plan) -> list[CsmSummaryRow]:
    books: dict[str, list[str]] = defaultdict(list)
    for account_id, owner in owners.items():
        if owner is not None:
            books[owner].append(account_id)
    previous: dict[str, set[str]] = defaultdict(set)
    for account in facts.instance.accounts:
        if account.current_csm is not None:
            previous[account.current_csm].add(account.id)
    rows = []
    for csm in facts.instance.csms:
        book = books.get(csm.id, [])
        effort = sum(facts.effort(a, csm.id) for a in book) / UNITS
        capacity = facts.capacity(csm.id) / UNITS
        arr = sum(facts.accounts[a].arr for a in book)
        target = facts.balance_target.get(csm.id)
        taken = set(book) - previous[csm.id]
        new = sum(1 for a in taken if facts.accounts[a].current_csm is None)
        rows.append(
            CsmSummaryRow(
                csm=csm.id,
                name=csm.name,
                pool=" / ".join(
                    [
                        "+".join(csm.segments),
                        csm.specialism(),
                        "+".join(csm.regions) or "all regions",
                    ]
                ),
                balance_pool=facts.pool_of.get(csm.id),
                leaving=csm.leaving,
                accounts=len(book),
                accounts_by_segment=dict(
                    sorted(Counter(str(facts.segment_of[a]) for a in book).items())
                ),
                effort=round(effort, 2),
                full_capacity=csm.capacity,
                ramp=csm.ramp,
                ramped_capacity=capacity,
                utilisation=round(effort / capacity, 4) if capacity > 0 else 0.0,
                target_effort=None if target is None else target / UNITS,
                arr=arr,
                annual_cost=csm.annual_cost,
                cost_to_arr=round(csm.annual_cost / arr, 4) if arr > 0 else None,
                renewals_by_window=dict(sorted(Counter(facts.window_of(a) for a in book).items())),
                moved_in=len(taken) - new,
                new_accounts=new,
                lost=len(previous[csm.id] - set(book)),
            )
        )
    return rows


def segment_rows(facts: Facts, owners: Plan) -> list[SegmentSummaryRow]:
    """Cost/ARR per segment; each CSM's cost is split by the share of effort per segment."""
    effort_by: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for account_id, owner in owners.items():
        seg = facts.segment_of.get(account_id)
        if owner is not None and seg is not None:
            effort_by[owner][seg] += facts.effort(account_id, owner)
    cost: dict[str, float] = defaultdict(float)
    for csm_id, per_segment in effort_by.items():
        total = sum(per_segment.values())
        for seg, effort in per_segment.items():
            share = effort / total if total else 1.0 / len(per_segment)
            cost[seg] += facts.csms[csm_id].annual_cost * share
    rows = []
    for segment in facts.instance.policy.segments:
        members = [a for a in facts.instance.accounts if facts.segment_of[a.id] == segment.name]
        arr = sum(a.arr for a in members)
        ratio = cost[segment.name] / arr if arr > 0 else None
        rows.append(
            SegmentSummaryRow(
                segment=segment.name,
                pooled=segment.pooled,
                accounts=len(members),
                arr=arr,
                csm_cost=round(cost[segment.name], 2),
                cost_to_arr=None if ratio is None else round(ratio, 4),
                target=segment.cost_to_arr_target,
                within_target=None if ratio is None else ratio <= segment.cost_to_arr_target,
            )
        )
    return rows


def block_rows(
    facts: Facts,
    blocks: list[Block],
    outcomes: list[BlockOutcome | None],
    bounds: list[float],
    plan: Plan,
) -> list[BlockSummaryRow]:
    """Each block's objective (recomputed from the plan), its proven bound and gap, so a
    user sees which pool of accounts and CSMs the gap is in. A block without an outcome
    or a plan of its own was not solved: the constructive plan stands there."""
    rows = []
    for index, (block, outcome, block_bound) in enumerate(
        zip(blocks, outcomes, bounds, strict=True), start=1
    ):
        objective = block.objective(facts, plan)
        bound = min(block_bound, objective)
        solved = outcome is not None and outcome.has_plan
        status = (
            "OPTIMAL"
            if (solved and outcome is not None and outcome.status == "OPTIMAL")
            or bound >= objective - 1e-9
            else outcome.status
            if solved and outcome is not None
            else "NOT SOLVED"
        )
        rows.append(
            BlockSummaryRow(
                block=index,
                accounts=len(block.accounts),
                csms=len(block.csms),
                segments=sorted({str(facts.segment_of[a]) for a in block.accounts}),
                status=status,
                objective=round(objective, 6),
                bound=round(bound, 6),
                gap=None if objective <= 0 else round((objective - bound) / objective, 6),
                seconds=round(0.0 if outcome is None else outcome.seconds, 3),
                companion=", ".join(() if outcome is None else outcome.helped),
            )
        )
    return rows
