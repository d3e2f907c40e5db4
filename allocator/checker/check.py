"""The independent checker: re-checks every hard rule and recomputes every objective term.

It imports no solver code: it reads the instance and a plan (account -> CSM or None) and
works from the raw records, so a bug in the model cannot hide behind the same bug here.
Only the data semantics (segment of an account, effort units, pool targets) are shared.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from allocator.schema.instance import Instance
from allocator.facts.derived import UNITS, Facts
from allocator.schema.solution import Violation

Flag = Callable[[str, str, str], None]

TERMS = ["balance", "moves", "renewal_bunching", "pair_cost", "specialization"]


@dataclass
class CheckReport:
    violations: list[Violation] = field(default_factory=list)
    terms: dict[str, float] = field(default_factory=dict)
    objective: float = 0.0
    moves: int = 0
    forced_moves: int = 0

    @property
    def feasible(self) -> bool:
        return not self.violations


def check(instance: Instance, owners: dict[str, str | None], effective_date: dt.date,
          facts: Facts | None = None) -> CheckReport:
    """Violations of every hard rule, and every objective term, for the plan `owners`."""
    facts = facts or Facts(instance, effective_date)
    report = CheckReport()
    bad = report.violations

    def flag(rule: str, subject: str, message: str) -> None:
        bad.append(Violation(rule=rule, subject=subject, message=message))

    policy = instance.policy
    accounts = facts.accounts
    csms = facts.csms
    for account_id in owners:
        if account_id not in accounts:
            flag("one_owner", account_id, "plan names an account the instance does not have")
    books: dict[str, list[str]] = defaultdict(list)
    for account in instance.accounts:
        aid = account.id
        if aid not in owners:
            flag("one_owner", aid, "account missing from the plan")
            continue
        owner = owners[aid]
        segment = facts.segment_of[aid]
        pooled = facts.is_pooled(aid)
        if pooled:
            if owner is not None:
                flag("pooled_segments", aid, f"segment {segment} is pooled but owner is {owner}")
            continue
        if owner is None:
            flag("one_owner", aid, "no owner")
            continue
        if owner not in csms:
            flag("one_owner", aid, f"owner {owner!r} is not a CSM of the instance")
            continue
        books[owner].append(aid)
        csm = csms[owner]
        if csm.leaving:
            flag("eligibility", aid, f"{owner} is leaving and takes no accounts")
        if segment not in csm.segments:
            flag("eligibility", aid, f"{owner} does not serve segment {segment}")
        if csm.verticals and account.vertical not in csm.verticals:
            flag("eligibility", aid, f"{owner} specialises in {', '.join(csm.verticals)}, "
                                     f"not {account.vertical}")
        if (not csm.verticals and policy.specialization.hard
                and account.vertical in policy.specialization.verticals):
            flag("eligibility", aid, f"{account.vertical} accounts need a specialist; "
                                     f"{owner} is a generalist")
        if csm.regions and account.region not in csm.regions:
            flag("eligibility", aid, f"{owner} does not cover region {account.region}")
        if account.locked and owner != account.current_csm:
            flag("locked_accounts", aid, f"locked to {account.current_csm}, given to {owner}")
    forbidden = {(p.account, p.csm) for p in instance.pairs if not p.allowed}
    for aid, owner in owners.items():
        if (aid, owner) in forbidden:
            flag("eligibility", aid, f"pair ({aid}, {owner}) is forbidden")

    _check_freeze(instance, owners, facts, effective_date, flag)
    _check_books(facts, books, flag)
    _check_families(facts, owners, flag)
    _compute_terms(facts, owners, books, report)
    _check_move_cap(facts, owners, report, flag)
    weights = policy.weights
    report.objective = sum(getattr(weights, t) * report.terms[t] for t in TERMS)
    return report


def _current_could_keep(facts: Facts, aid: str) -> bool:
    """The current owner is staying and passes every structural eligibility rule."""
    account = facts.accounts[aid]
    owner = account.current_csm
    if owner is None or owner not in facts.csms or facts.is_pooled(aid):
        return False
    csm = facts.csms[owner]
    spec = facts.instance.policy.specialization
    if csm.leaving or facts.segment_of[aid] not in csm.segments:
        return False
    if csm.verticals and account.vertical not in csm.verticals:
        return False
    if not csm.verticals and spec.hard and account.vertical in spec.verticals:
        return False
    if csm.regions and account.region not in csm.regions:
        return False
    return not any(p.account == aid and p.csm == owner and not p.allowed
                   for p in facts.instance.pairs)


def _check_freeze(instance: Instance, owners: dict[str, str | None], facts: Facts,
                  effective_date: dt.date, flag: Flag) -> None:
    days_limit = instance.policy.continuity.freeze_days
    if days_limit <= 0:
        return
    for account in instance.accounts:
        days = (account.renewal_date - effective_date).days
        if (0 <= days <= days_limit and account.current_csm is not None
                and owners.get(account.id) != account.current_csm
                and _current_could_keep(facts, account.id)):
            flag("renewal_freeze", account.id,
                 f"renews in {days} days (freeze {days_limit}); moved from "
                 f"{account.current_csm} to {owners.get(account.id)}")


def book_violations(facts: Facts, owners: dict[str, str | None], accounts: list[str],
                    csms: list[str]) -> list[Violation]:
    """The per-CSM rules (caps, capacity, hard renewal spread, minimum ARR, balance band)
    for `csms`, whose books hold only some of `accounts`: a quick check of one block."""
    books: dict[str, list[str]] = {c: [] for c in csms}
    for account_id in accounts:
        owner = owners.get(account_id)
        if owner in books:
            books[owner].append(account_id)
    found: list[Violation] = []

    def flag(rule: str, subject: str, message: str) -> None:
        found.append(Violation(rule=rule, subject=subject, message=message))

    _check_books(facts, books, flag, only=set(csms))
    return found


def _check_books(facts: Facts, books: dict[str, list[str]], flag: Flag,
                 only: set[str] | None = None) -> None:
    policy = facts.instance.policy
    spread = policy.renewal_spread
    band = policy.balance.band
    for csm_id, book in sorted(books.items()):
        csm = facts.csms[csm_id]
        per_segment = Counter(facts.segment_of[a] for a in book)
        for segment, count in sorted(per_segment.items(), key=lambda kv: str(kv[0])):
            if segment is None:
                continue
            cap = csm.max_accounts.get(segment, policy.segment(segment).max_accounts)
            if cap is not None and count > cap:
                flag("account_caps", csm_id, f"{count} {segment} accounts, cap {cap}")
        load = sum(facts.effort(a, csm_id) for a in book)
        capacity = math.floor(csm.capacity * csm.ramp * UNITS + 1e-9)
        if load > capacity:
            flag("effort_capacity", csm_id,
                 f"effort {load / UNITS:.2f} over capacity {capacity / UNITS:.2f}")
        if spread.hard and spread.max_per_window is not None:
            windows = Counter(facts.window_of(a) for a in book)
            for window, count in sorted(windows.items()):
                if count > spread.max_per_window:
                    flag("renewal_spread", csm_id, f"{count} renewals in {window}, "
                                                   f"max {spread.max_per_window}")
    for csm_id in facts.active_csms:
        if only is not None and csm_id not in only:
            continue
        minimum = facts.min_book_arr(csm_id)
        arr = sum(round(facts.accounts[a].arr) for a in books.get(csm_id, []))
        if minimum is not None and arr < minimum:
            flag("min_book_arr", csm_id, f"book ARR {arr:,} below {minimum:,} "
                                         f"(cost/ARR target)")
    if band is not None:
        for csm_id, target in facts.balance_target.items():
            if only is not None and csm_id not in only:
                continue
            load = sum(facts.effort(a, csm_id) for a in books.get(csm_id, []))
            slack = math.floor(band * facts.capacity(csm_id) + 1e-9)
            if abs(load - target) > slack:
                flag("balance", csm_id, f"effort {load / UNITS:.2f} outside "
                                        f"{target / UNITS:.2f} ± {slack / UNITS:.2f}")


def _check_families(facts: Facts, owners: dict[str, str | None], flag: Flag) -> None:
    for account in facts.instance.accounts:
        parent = account.parent_id
        if parent is None or facts.is_pooled(account.id) or facts.is_pooled(parent):
            continue
        if owners.get(account.id) != owners.get(parent):
            flag("families_together", account.id,
                 f"owner {owners.get(account.id)} but parent {parent} has {owners.get(parent)}")


def _compute_terms(facts: Facts, owners: dict[str, str | None],
                   books: dict[str, list[str]], report: CheckReport) -> None:
    policy = facts.instance.policy
    deviation = 0
    tolerance = policy.balance.tolerance
    for csm_id, target in facts.balance_target.items():
        load = sum(facts.effort(a, csm_id) for a in books.get(csm_id, []))
        capacity = facts.csms[csm_id].capacity * facts.csms[csm_id].ramp
        free = math.floor(tolerance * math.floor(capacity * UNITS + 1e-9) + 1e-9)
        deviation += max(0, abs(load - target) - free)
    moves = forced = 0
    for account in facts.instance.accounts:
        if account.current_csm is not None and owners.get(account.id) != account.current_csm:
            moves += 1
            if not _current_could_keep(facts, account.id):
                forced += 1
    report.moves, report.forced_moves = moves, forced
    bunching = 0
    spread = policy.renewal_spread
    if spread.max_per_window is not None and not spread.hard:
        for book in books.values():
            for count in Counter(facts.window_of(a) for a in book).values():
                bunching += max(0, count - spread.max_per_window)
    pair_cost = sum(round(p.cost * UNITS) for p in facts.instance.pairs
                    if owners.get(p.account) == p.csm) / UNITS
    specialization = 0
    if not policy.specialization.hard:
        specialized = set(policy.specialization.verticals)
        for csm_id, book in books.items():
            specialization += sum(1 for a in book
                                  if facts.accounts[a].vertical in specialized
                                  and facts.accounts[a].vertical not in facts.csms[csm_id].verticals)
    report.terms = {
        "balance": deviation / UNITS,
        "moves": round(policy.continuity.cost_per_move * UNITS) * moves / UNITS,
        "renewal_bunching": float(bunching),
        "pair_cost": pair_cost,
        "specialization": float(specialization),
    }


def _check_move_cap(facts: Facts, owners: dict[str, str | None], report: CheckReport,
                    flag: Flag) -> None:
    cap = facts.instance.policy.continuity.max_moves
    voluntary = report.moves - report.forced_moves
    if cap is not None and voluntary > cap:
        flag("move_cap", "plan", f"{voluntary} voluntary moves, cap {cap}")
