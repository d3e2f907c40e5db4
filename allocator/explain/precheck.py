"""Checks before any solver runs: accounts left with no CSM the rules allow, and pins
(what-if questions) the rules forbid outright. The fuller capacity pre-check per pool is
`capacity_check.py`."""

from __future__ import annotations

from allocator.facts import Facts


def stranded_accounts(facts: Facts) -> list[str]:
    """One plain-language line per named account that no CSM may take under the rules."""
    lines = []
    for account_id in facts.named_accounts:
        if facts.eligibility.allowed[account_id]:
            continue
        account = facts.accounts[account_id]
        current = account.current_csm
        if account.locked:
            owner = facts.csms.get(current or "")
            why = "is leaving" if owner is not None and owner.leaving else "cannot take it"
            lines.append(
                f"locked_accounts: account {account_id} is locked to {current}, "
                f"who {why} — unlock it or keep {current}"
            )
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
