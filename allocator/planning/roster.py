"""Roster edits a plan is asked about: CSMs leaving, hires like an existing CSM, ramps."""

from __future__ import annotations

from allocator.schema.instance import Csm, Instance


def leave(instance: Instance, csm_ids: set[str]) -> Instance:
    """`instance` with `csm_ids` leaving. Their locked accounts are unlocked: a lock to a
    CSM who leaves cannot hold, and the account then moves like their others."""
    csms = [c.model_copy(update={"leaving": True}) if c.id in csm_ids else c for c in instance.csms]
    accounts = [
        a.model_copy(update={"locked": False, "lock_reason": ""})
        if a.locked and a.current_csm in csm_ids
        else a
        for a in instance.accounts
    ]
    return instance.model_copy(update={"csms": csms, "accounts": accounts})


def hire_like(instance: Instance, model: str, count: int, ramp: float | None = None) -> Instance:
    """`instance` with `count` new CSMs copied from CSM `model` (no accounts yet), ids
    '<model>-HIRE-1', ...; `ramp` is their share of capacity (default the model's)."""
    source = next(c for c in instance.csms if c.id == model)
    taken = {c.id for c in instance.csms}
    added: list[Csm] = []
    number = 0
    while len(added) < count:
        number += 1
        new_id = f"{model}-HIRE-{number}"
        if new_id in taken:
            continue
        update: dict[str, object] = {"id": new_id, "name": f"New hire like {model}"}
        update["leaving"] = False
        if ramp is not None:
            update["ramp"] = ramp
        added.append(source.model_copy(update=update))
    return instance.model_copy(update={"csms": [*instance.csms, *added]})


def set_ramp(instance: Instance, csm_id: str, ramp: float) -> Instance:
    csms = [c.model_copy(update={"ramp": ramp}) if c.id == csm_id else c for c in instance.csms]
    return instance.model_copy(update={"csms": csms})
