"""Checks before any solver runs: accounts left with no CSM the rules allow, and pins
(what-if questions) the rules forbid outright. The fuller capacity pre-check per pool is
`capacity_check.py`."""

from __future__ import annotations

from allocator.facts import Facts
from allocator.facts.eligibility import structural_reasons


def why_ineligible(facts: Facts, account_id: str, csm_id: str) -> str:
    """Why a CSM may not own an account, in words: 'is leaving and does not serve Global'."""
    account = facts.accounts[account_id]
    reasons = structural_reasons(
        facts.csms[csm_id],
        facts.segment_of[account_id],
        account.vertical,
        account.region,
        facts.specialized_verticals,
        facts.specialization_hard,
    )
    words = {
        "segment_served": f"does not serve {facts.segment_of[account_id]}",
        "vertical_specialization": f"may not take {account.vertical or 'unset'}-vertical accounts",
        "region": f"does not cover region {account.region or 'unset'}",
        "leaver_takes_nothing": "is leaving",
    }
    said = [words.get(r, r) for r in reasons] or ["is excluded by a pair rule (allowed: false)"]
    return " and ".join(said)


def lock_conflict(facts: Facts, account_id: str) -> str | None:
    """Why a locked account cannot stay with its owner, or None when it can."""
    account = facts.accounts[account_id]
    current = account.current_csm
    if not account.locked or current is None or facts.eligibility.allowed[account_id]:
        return None
    if current not in facts.csms:
        return f"account {account_id} is locked to {current}, who is not in the roster"
    why = why_ineligible(facts, account_id, current)
    reason = f" (lock reason: {account.lock_reason})" if account.lock_reason else ""
    return (
        f"account {account_id} is locked to {current}, who {why}{reason} — unlock it, or "
        f"let {current} keep it"
    )


def stranded_accounts(facts: Facts) -> list[str]:
    """One plain-language line per named account that no CSM may take under the rules."""
    lines = []
    for account_id in facts.named_accounts:
        if facts.eligibility.allowed[account_id]:
            continue
        conflict = lock_conflict(facts, account_id)
        if conflict is not None:
            lines.append(f"locked_accounts: {conflict}")
        else:
            lines.append(f"eligibility: account {account_id} has no eligible staying CSM")
    return lines


def pin_conflicts(facts: Facts, pins: dict[str, str]) -> list[str]:
    """Pinned assignments the rules forbid outright; an unknown account is a caller error."""
    lines = []
    for account_id, csm_id in sorted(pins.items()):
        if account_id not in facts.accounts:
            raise ValueError(f"pins: unknown account {account_id!r}")
        if csm_id not in facts.csms:
            lines.append(
                f"one_owner: account {account_id} pinned to {csm_id}, "
                "which is not a CSM of the instance"
            )
        elif facts.is_pooled(account_id):
            lines.append(
                f"pooled_segments: account {account_id} is in pooled segment "
                f"{facts.segment_of[account_id]} and cannot be pinned to {csm_id}"
            )
        elif csm_id not in facts.eligibility.allowed[account_id]:
            lines.append(f"eligibility: account {account_id} cannot be pinned to {csm_id}")
    return lines
