"""Eligibility: which CSMs may own each account, and why the others may not.

Structural rules (segment served, vertical specialisation, region, forbidden pairs, leavers)
are evaluated once per (segment, vertical, region) key, so that 50,000 accounts cost a
handful of CSM scans. Locks and the renewal freeze then narrow single accounts.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from allocator.schema.instance import Account, Csm, Instance

SEGMENT_SERVED = "segment_served"
VERTICAL_SPECIALIZATION = "vertical_specialization"
REGION = "region"
PAIR_FORBIDDEN = "pair_forbidden"
LEAVER = "leaver_takes_nothing"


def structural_reasons(
    csm: Csm,
    segment: str | None,
    vertical: str,
    region: str,
    specialized: frozenset[str],
    specialization_hard: bool,
) -> list[str]:
    """Names of the structural rules that stop `csm` owning an account with these traits."""
    reasons = []
    if csm.leaving:
        reasons.append(LEAVER)
    if segment is None or segment not in csm.segments:
        reasons.append(SEGMENT_SERVED)
    if not csm.covers(vertical, specialized if specialization_hard else ()):
        reasons.append(VERTICAL_SPECIALIZATION)
    if csm.regions and region not in csm.regions:
        reasons.append(REGION)
    return reasons


def is_frozen(account: Account, effective_date: dt.date, freeze_days: int) -> bool:
    """Renewal within the freeze window (0..freeze_days days after the plan date)."""
    if freeze_days <= 0 or account.current_csm is None:
        return False
    days = (account.renewal_date - effective_date).days
    return 0 <= days <= freeze_days


@dataclass
class Eligibility:
    """Per account: structurally eligible CSMs, and the CSMs the model may use."""

    structural: dict[str, list[str]]
    allowed: dict[str, list[str]]
    locked: set[str]
    frozen: set[str]
    forced_move: set[str]

    def current_is_eligible(self, account: Account) -> bool:
        return (
            account.current_csm is not None and account.current_csm in self.structural[account.id]
        )


def compute_eligibility(
    instance: Instance, segment_of: dict[str, str | None], effective_date: dt.date
) -> Eligibility:
    policy = instance.policy
    specialized = frozenset(policy.specialization.verticals)
    hard = policy.specialization.hard
    forbidden = {(p.account, p.csm) for p in instance.pairs if not p.allowed}
    by_key: dict[tuple[str | None, str, str], list[str]] = {}
    structural: dict[str, list[str]] = {}
    for account in instance.accounts:
        key = (segment_of[account.id], account.vertical, account.region)
        if key not in by_key:
            by_key[key] = [
                c.id
                for c in instance.csms
                if not structural_reasons(c, key[0], key[1], key[2], specialized, hard)
            ]
        csms = by_key[key]
        if forbidden:
            csms = [c for c in csms if (account.id, c) not in forbidden]
        structural[account.id] = csms

    freeze_days = policy.continuity.freeze_days
    allowed: dict[str, list[str]] = {}
    locked: set[str] = set()
    frozen: set[str] = set()
    forced: set[str] = set()
    for account in instance.accounts:
        eligible = structural[account.id]
        current = account.current_csm
        current_ok = current is not None and current in eligible
        if current is not None and not current_ok:
            forced.add(account.id)
        if account.locked:
            locked.add(account.id)
            allowed[account.id] = [current] if current_ok and current is not None else []
        elif current_ok and current is not None and is_frozen(account, effective_date, freeze_days):
            frozen.add(account.id)
            allowed[account.id] = [current]
        else:
            allowed[account.id] = eligible
    return Eligibility(
        structural=structural, allowed=allowed, locked=locked, frozen=frozen, forced_move=forced
    )
