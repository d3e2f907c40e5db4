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


def family_roots(accounts: dict[str, Account]) -> dict[str, str]:
    """Each account's top ancestor, in one pass over the parent links however long the
    chains (cycles must have been rejected before; one would end at the repeat)."""
    roots: dict[str, str] = {}
    for start in accounts:
        chain: list[str] = []
        on_chain: set[str] = set()
        current = start
        while current not in roots and current not in on_chain:
            chain.append(current)
            on_chain.add(current)
            parent = accounts[current].parent_id
            if parent is None or parent not in accounts:
                break
            current = parent
        root = roots.get(current, chain[-1] if current in on_chain else current)
        for account_id in chain:
            roots[account_id] = root
    return roots


def segment_accounts(instance: Instance) -> dict[str, str | None]:
    """Segment name per account id (None when no ARR range matches)."""
    policy = instance.policy
    by_id = {a.id: a for a in instance.accounts}
    roots = family_roots(by_id)
    result: dict[str, str | None] = {}
    for account in instance.accounts:
        if (
            policy.families_share_segment
            and account.segment is None
            and not account.strategic
            and account.parent_id is not None
        ):
            root = by_id[roots[account.id]]
            result[account.id] = own_segment(policy, root)
        else:
            result[account.id] = own_segment(policy, account)
    return result
