"""Attention: how much effort each account needs.

Effort = segment base effort x lifecycle x health band x contract multipliers, unless the
account states its own `effort`; a pair's `effort` overrides both for that CSM.
"""

from __future__ import annotations

from allocator.schema.instance import Account, EffortModel, Instance, Policy


def health_multiplier(model: EffortModel, health: float | None) -> float:
    if health is None:
        return 1.0
    for band in model.health_bands:
        if health < band.below:
            return band.multiplier
    return 1.0


def account_effort(policy: Policy, account: Account, segment: str | None) -> float:
    """Effort of an account for any CSM without a pair-specific effort."""
    if account.effort is not None:
        return account.effort
    base = policy.segment(segment).base_effort if segment is not None else 1.0
    model = policy.effort
    lifecycle = model.lifecycle.get(account.lifecycle_stage or "", 1.0)
    contract = model.contract.get(account.contract or "", 1.0)
    return base * lifecycle * health_multiplier(model, account.health) * contract


def effort_table(
    instance: Instance, segments: dict[str, str | None]
) -> tuple[dict[str, float], dict[tuple[str, str], float]]:
    """Default effort per account, and pair-specific overrides per (account, csm)."""
    default = {a.id: account_effort(instance.policy, a, segments[a.id]) for a in instance.accounts}
    pair_effort = {(p.account, p.csm): p.effort for p in instance.pairs if p.effort is not None}
    return default, pair_effort
