"""Per-account, per-CSM and per-segment rows of a plan, for solution.json and the CSVs."""

from __future__ import annotations

from collections import Counter, defaultdict

from allocator.facts.derived import UNITS, Facts
from allocator.schema.solution import AssignmentRow, CsmSummaryRow, SegmentSummaryRow


def assignment_rows(facts: Facts, owners: dict[str, str | None],
                    forced: set[str]) -> list[AssignmentRow]:
    rows = []
    for account in facts.instance.accounts:
        owner = owners.get(account.id)
        effort = facts.effort(account.id, owner) if owner else facts.default_effort(account.id)
        moved = account.current_csm is not None and owner != account.current_csm
        rows.append(AssignmentRow(
            account=account.id, account_name=account.name, segment=facts.segment_of[account.id],
            csm=owner, previous_csm=account.current_csm, moved=moved,
            forced=moved and account.id in forced, pooled=facts.is_pooled(account.id),
            effort=effort / UNITS, arr=account.arr, renewal_window=facts.window_of(account.id),
        ))
    return rows


def csm_rows(facts: Facts, owners: dict[str, str | None]) -> list[CsmSummaryRow]:
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
        rows.append(CsmSummaryRow(
            csm=csm.id, name=csm.name, pool=facts.pool_of.get(csm.id), leaving=csm.leaving,
            accounts=len(book),
            accounts_by_segment=dict(sorted(Counter(str(facts.segment_of[a]) for a in book)
                                            .items())),
            effort=round(effort, 2), capacity=capacity,
            utilisation=round(effort / capacity, 4) if capacity > 0 else 0.0,
            target_effort=None if target is None else target / UNITS,
            arr=arr, annual_cost=csm.annual_cost,
            cost_to_arr=round(csm.annual_cost / arr, 4) if arr > 0 else None,
            renewals_by_window=dict(sorted(Counter(facts.window_of(a) for a in book).items())),
            gained=len(set(book) - previous[csm.id]),
            lost=len(previous[csm.id] - set(book)),
        ))
    return rows


def segment_rows(facts: Facts, owners: dict[str, str | None]) -> list[SegmentSummaryRow]:
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
        rows.append(SegmentSummaryRow(
            segment=segment.name, pooled=segment.pooled, accounts=len(members), arr=arr,
            csm_cost=round(cost[segment.name], 2),
            cost_to_arr=None if ratio is None else round(ratio, 4),
            target=segment.cost_to_arr_target,
            within_target=None if ratio is None else ratio <= segment.cost_to_arr_target,
        ))
    return rows
