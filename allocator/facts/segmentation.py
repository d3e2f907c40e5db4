"""Segmentation: which segment each account belongs to.

Order of precedence: an explicit `segment`, then the strategic designation, then (when the
policy says families share a segment) the family root's segment, then the ARR ranges.
"""

from __future__ import annotations

from allocator.schema.instance import Account, Instance, Policy


def segment_by_arr(policy: Policy, arr: float) -> str | None:
    """The first segment whose [min_arr, max_arr) range holds `arr`."""
    for seg in policy.segments:
        if arr >= seg.min_arr and (seg.max_arr is None or arr < seg.max_arr):
            return seg.name
    return None


def own_segment(policy: Policy, account: Account) -> str | None:
    """An account's segment ignoring its family."""
    if account.segment is not None:
        return account.segment
    if account.strategic and policy.strategic_segment is not None:
        return policy.strategic_segment
    return segment_by_arr(policy, account.arr)


def family_root(accounts: dict[str, Account], account_id: str) -> str:
    """The top ancestor of an account (cycles must have been rejected before)."""
    seen = {account_id}
    current = accounts[account_id]
    while current.parent_id is not None and current.parent_id in accounts:
        if current.parent_id in seen:
            break
        seen.add(current.parent_id)
        current = accounts[current.parent_id]
    return current.id


def segment_accounts(instance: Instance) -> dict[str, str | None]:
    """Segment name per account id (None when no ARR range matches)."""
    policy = instance.policy
    by_id = {a.id: a for a in instance.accounts}
    result: dict[str, str | None] = {}
    for account in instance.accounts:
        if (
            policy.families_share_segment
            and account.segment is None
            and not account.strategic
            and account.parent_id is not None
        ):
            root = by_id[family_root(by_id, account.id)]
            result[account.id] = own_segment(policy, root)
        else:
            result[account.id] = own_segment(policy, account)
    return result
