"""Why no plan fits, in plain language: the capacity pre-check first, then a minimal set of
rule instances that cannot all hold (`core_search.py`), each named with its accounts and CSMs.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Literal

from allocator.deadline import Stopwatch
from allocator.explain.capacity_check import TIMES, capacity_check
from allocator.explain.core_search import (
    CSM_RULES,
    PIN,
    Core,
    Guard,
    Verdict,
    csm_of,
    infeasibility_cores,
)
from allocator.explain.precheck import pin_conflicts, stranded_accounts, why_ineligible
from allocator.facts import UNITS, Facts
from allocator.parameters import DEFAULT_WORKERS
from allocator.schema.instance import Instance, effective_date_of

_ORDER = [
    "pin",
    "locked_accounts",
    "leaver_takes_nothing",
    "eligibility",
    "renewal_freeze",
    "families_together",
    "account_caps",
    "effort_capacity",
    "renewal_spread",
    "balance",
    "min_book_arr",
    "move_cap",
]


@dataclass
class Diagnosis:
    """The verdict, the plain-language lines, and where they came from."""

    status: Verdict
    lines: list[str]
    source: Literal["precheck", "core", "none"]
    cores: list[Core] = field(default_factory=list)
    seconds: float = 0.0


# --- plain language -----------------------------------------------------------------------
def describe(facts: Facts, rule: str, subject: str, pins: dict[str, str] | None = None) -> str:
    """One rule instance in plain language, naming its accounts and CSMs."""
    policy = facts.instance.policy
    csm_id = csm_of(facts, subject)
    rest = subject[len(csm_id) :].strip()
    if rule == "locked_accounts":
        account = facts.accounts[subject]
        why = f" ({account.lock_reason})" if account.lock_reason else ""
        return f"locked_accounts: {subject} is locked to {account.current_csm}{why}"
    if rule == "leaver_takes_nothing":
        return f"leaver_takes_nothing: {subject} is leaving"
    if rule == "eligibility":
        account_id, _, owner = subject.partition(" with ")
        return (
            f"eligibility: {account_id}'s current owner {owner} "
            f"{why_ineligible(facts, account_id, owner)}"
        )
    if rule == "renewal_freeze":
        account = facts.accounts[subject]
        days = (account.renewal_date - facts.effective_date).days
        return (
            f"renewal_freeze: {subject} renews on {account.renewal_date} ({days} days "
            f"away, freeze {policy.continuity.freeze_days}), so it stays with "
            f"{account.current_csm}"
        )
    if rule == PIN:
        return f"pin: {subject} pinned to {(pins or {}).get(subject)} (what-if)"
    if rule == "families_together":
        members = facts.families.get(subject, [subject])
        return f"families_together: family of {subject} ({', '.join(members)}) must share one owner"
    if rule == "account_caps" and csm_id:
        return (
            f"account_caps: {csm_id} may hold at most {facts.account_cap(csm_id, rest)} "
            f"{rest} accounts"
        )
    if rule == "effort_capacity" and csm_id:
        csm = facts.csms[csm_id]
        ramp = f" {TIMES} ramp {csm.ramp:g}" if csm.ramp < 1 else ""
        return (
            f"effort_capacity: {csm_id} can carry at most "
            f"{facts.capacity(csm_id) / UNITS:.2f} effort (capacity {csm.capacity:g}{ramp})"
        )
    if rule == "renewal_spread" and csm_id:
        limit = facts.renewal_limit
        return (
            f"renewal_spread: {csm_id} may have at most {limit} "
            f"renewal{'' if limit == 1 else 's'} in {rest}"
        )
    if rule == "balance" and csm_id:
        band = policy.balance.band or 0.0
        target = facts.balance_target.get(csm_id, 0)
        slack = math.floor(band * facts.capacity(csm_id) + 1e-9)
        side = (
            f"at most {(target + slack) / UNITS:.2f}"
            if rest == "top"
            else f"at least {(target - slack) / UNITS:.2f}"
        )
        return (
            f"balance: {csm_id}'s effort must be {side} (target {target / UNITS:.2f} ± "
            f"band {band:g} {TIMES} capacity)"
        )
    if rule == "min_book_arr" and csm_id:
        return (
            f"min_book_arr: {csm_id}'s book must carry at least "
            f"{facts.min_book_arr(csm_id) or 0:,} ARR (cost/ARR target)"
        )
    if rule == "move_cap":
        return f"move_cap: at most {policy.continuity.max_moves} voluntary moves in the plan"
    return f"{rule}: {subject}"


def _context(facts: Facts, guards: list[Guard]) -> list[str]:
    """Which accounts the per-CSM limits in a core squeeze: those with nowhere else to go;
    with the move cap, what each CSM's current book already holds."""
    csms = {csm_of(facts, s) for r, s in guards if r in CSM_RULES} - {""}
    if not csms:
        return []
    lines = []
    stuck = [
        a
        for a in facts.named_accounts
        if facts.eligibility.allowed[a] and set(facts.eligibility.allowed[a]) <= csms
    ]
    if stuck:
        shown = ", ".join(stuck[:12]) + (f" and {len(stuck) - 12} more" if len(stuck) > 12 else "")
        noun = "account" if len(stuck) == 1 else "accounts"
        lines.append(
            f"context: {len(stuck)} {noun} may only go to {', '.join(sorted(csms))} ({shown})"
        )
    if any(rule == "move_cap" for rule, _ in guards):
        for csm_id in sorted(csms):
            kept = [
                a
                for a in facts.named_accounts
                if facts.accounts[a].current_csm == csm_id
                and a not in facts.eligibility.forced_move
            ]
            effort = sum(facts.effort(a, csm_id) for a in kept)
            lines.append(
                f"context: without voluntary moves {csm_id} keeps its {len(kept)} "
                f"current accounts, effort {effort / UNITS:.2f}"
            )
    return lines


def core_lines(facts: Facts, core: Core, pins: dict[str, str] | None = None) -> list[str]:
    ordered = sorted(
        core.guards, key=lambda g: (_ORDER.index(g[0]) if g[0] in _ORDER else len(_ORDER), g[1])
    )
    lines = [describe(facts, rule, subject, pins) for rule, subject in ordered]
    lines += _context(facts, core.guards)
    if not core.minimal:
        lines.append("note: time ran out before this set was narrowed to a minimal one")
    return lines


def _core_lines_or_fallback(facts: Facts, core: Core, pins: dict[str, str] | None) -> list[str]:
    if core.guards:
        return core_lines(facts, core, pins)
    return [
        "CP-SAT proved that no plan exists but named no rule instance (the conflict is in "
        "one_owner alone: some account has no CSM it may go to)"
    ]


# --- entry points ---------------------------------------------------------------------------
def diagnose(
    instance: Instance,
    effective_date: dt.date | None = None,
    time_limit: float = 30.0,
    pins: dict[str, str] | None = None,
    facts: Facts | None = None,
    workers: int = DEFAULT_WORKERS,
) -> Diagnosis:
    """Pre-check, then (only if it finds nothing) the core. FEASIBLE means a plan exists;
    `workers` only serve to decide that, cores are searched on one."""
    clock = Stopwatch.start()
    facts = facts or Facts(instance, effective_date or effective_date_of(instance))
    found = stranded_accounts(facts) + pin_conflicts(facts, pins or {})
    found += [str(s) for s in capacity_check(facts)]
    if found:
        return Diagnosis("INFEASIBLE", found, "precheck", seconds=clock.seconds())
    left = max(0.5, time_limit - clock.seconds())
    verdict, cores = infeasibility_cores(facts, left, pins, workers)
    lines = [line for core in cores for line in _core_lines_or_fallback(facts, core, pins)]
    seconds = clock.seconds()
    if verdict == "UNKNOWN":
        lines = ["no conflict found within the time limit; the rules may still conflict"]
    return Diagnosis(verdict, lines, "core" if cores else "none", cores, seconds)


def explain_infeasibility(
    instance: Instance,
    effective_date: dt.date | None = None,
    time_limit: float = 30.0,
    pins: dict[str, str] | None = None,
    workers: int = DEFAULT_WORKERS,
) -> list[str]:
    """Plain-language lines saying why no plan fits; empty when a plan exists."""
    diagnosis = diagnose(instance, effective_date, time_limit, pins, workers=workers)
    return diagnosis.lines if diagnosis.status != "FEASIBLE" else []
