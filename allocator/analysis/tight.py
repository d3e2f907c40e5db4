"""What is tight in a plan: limits at or within one account of binding, and what relaxing
the most binding ones would be worth.

A limit binds when one more account would break it: an account cap at or one below its
cap, effort capacity (or the top of a hard balance band) with less room than the smallest
account the CSM could take, a band floor or minimum book ARR that losing any one account
would break, a hard renewal window at or one below its maximum, the move cap likewise.
What-ifs re-solve the instance with one more slot on a binding cap, room for one more
account on a binding capacity, or one more CSM in the tightest pool, and report the
measured change in objective and whether both solves were proven optimal.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass

from allocator.facts import UNITS, Facts
from allocator.parameters import DEFAULT_WORKERS
from allocator.pipeline import solve
from allocator.schema.instance import Csm, Instance
from allocator.schema.plan import Plan
from allocator.schema.solution import Solution


@dataclass(frozen=True)
class Tight:
    """One binding limit. `room` is how many more accounts fit (0 = at the limit), in
    units of `step`: one account, or the effort of the smallest account that could come."""

    rule: str
    csm: str | None
    subject: str
    used: float
    limit: float
    room: float
    text: str
    step: float = 1.0


@dataclass(frozen=True)
class WhatIf:
    """A re-solve with one limit relaxed, against a baseline solved the same way."""

    change: str
    baseline: float | None
    objective: float | None
    baseline_optimal: bool
    optimal: bool
    status: str

    @property
    def delta(self) -> float | None:
        if self.baseline is None or self.objective is None:
            return None
        return self.objective - self.baseline

    @property
    def text(self) -> str:
        if self.objective is None or self.baseline is None or self.delta is None:
            return f"{self.change}: no plan to compare (status {self.status})"
        proof = (
            "both solves optimal: exact"
            if self.baseline_optimal and self.optimal
            else "not both proven optimal: an estimate"
        )
        return (
            f"{self.change}: objective {self.baseline:,.2f} -> {self.objective:,.2f} "
            f"({self.delta:+,.2f}; {proof})"
        )


def _books(owners: Plan) -> dict[str, list[str]]:
    books: dict[str, list[str]] = {}
    for account_id, owner in owners.items():
        if owner is not None:
            books.setdefault(owner, []).append(account_id)
    return books


def _smallest_newcomer(facts: Facts, books: dict[str, list[str]]) -> dict[str, int]:
    """Per CSM, the least effort of an account it may own but does not."""
    smallest: dict[str, int] = {}
    for account_id in facts.named_accounts:
        for csm_id in facts.eligibility.allowed[account_id]:
            effort = facts.effort(account_id, csm_id)
            if effort < smallest.get(csm_id, 1 << 62) and account_id not in books.get(csm_id, ()):
                smallest[csm_id] = effort
    return smallest


def binding_limits(
    instance: Instance, solution: Solution, facts: Facts | None = None
) -> list[Tight]:
    """Every limit the plan holds at or within one account, most binding first."""
    facts = facts or Facts(instance, solution.effective_date)
    policy = instance.policy
    owners = solution.owners()
    books = _books(owners)
    newcomer = _smallest_newcomer(facts, books)
    found: list[Tight] = []
    for csm_id in facts.active_csms:
        book = [a for a in books.get(csm_id, []) if a in facts.accounts]
        for segment, count in sorted(Counter(str(facts.segment_of[a]) for a in book).items()):
            cap = facts.account_cap(csm_id, segment)
            if cap is not None and count >= cap - 1:
                found.append(
                    Tight(
                        "account_caps",
                        csm_id,
                        segment,
                        count,
                        cap,
                        cap - count,
                        f"account_caps: {csm_id} holds {count} of {cap} {segment} accounts",
                    )
                )
        found += _effort_limits(facts, csm_id, book, newcomer.get(csm_id))
        limit = facts.renewal_limit
        if facts.renewal_limit_hard and limit is not None:
            for window, count in sorted(Counter(facts.window_of(a) for a in book).items()):
                if count >= limit - 1:
                    found.append(
                        Tight(
                            "renewal_spread",
                            csm_id,
                            window,
                            count,
                            limit,
                            limit - count,
                            f"renewal_spread: {csm_id} has {count} of {limit} renewals in {window}",
                        )
                    )
        minimum = facts.min_book_arr(csm_id)
        if minimum is not None and book:
            arr = sum(round(facts.accounts[a].arr) for a in book)
            if arr - min(round(facts.accounts[a].arr) for a in book) < minimum:
                found.append(
                    Tight(
                        "min_book_arr",
                        csm_id,
                        "",
                        arr,
                        minimum,
                        0,
                        f"min_book_arr: {csm_id}'s book ARR {arr:,} would fall "
                        f"below {minimum:,} without any one of its accounts",
                    )
                )
    cap = policy.continuity.max_moves
    if cap is not None:
        report = facts.checker.check(owners)
        voluntary = report.moves - report.forced_moves
        if voluntary >= cap - 1:
            found.append(
                Tight(
                    "move_cap",
                    None,
                    "plan",
                    voluntary,
                    cap,
                    cap - voluntary,
                    f"move_cap: {voluntary} of {cap} voluntary moves used",
                )
            )
    return sorted(found, key=lambda t: (t.room, t.rule != "account_caps", t.csm or "", t.subject))


def _effort_limits(facts: Facts, csm_id: str, book: list[str], smallest: int | None) -> list[Tight]:
    """Effort capacity and hard band limits of one CSM's book."""
    found = []
    load = sum(facts.effort(a, csm_id) for a in book)
    capacity = facts.capacity(csm_id)
    if smallest is not None and capacity - load < smallest:
        found.append(
            Tight(
                "effort_capacity",
                csm_id,
                "",
                load / UNITS,
                capacity / UNITS,
                round((capacity - load) / smallest, 2),
                f"effort_capacity: {csm_id} carries {load / UNITS:.2f} of "
                f"{capacity / UNITS:.2f}; its smallest possible newcomer needs "
                f"{smallest / UNITS:.2f}",
                smallest / UNITS,
            )
        )
    band = facts.instance.policy.balance.band
    target = facts.balance_target.get(csm_id)
    if band is None or target is None:
        return found
    slack = math.floor(band * capacity + 1e-9)
    top, floor = target + slack, target - slack
    if smallest is not None and top < capacity and top - load < smallest:
        found.append(
            Tight(
                "balance",
                csm_id,
                "top",
                load / UNITS,
                top / UNITS,
                round((top - load) / smallest, 2),
                f"balance: {csm_id} carries {load / UNITS:.2f}, band top "
                f"{top / UNITS:.2f}; its smallest possible newcomer needs "
                f"{smallest / UNITS:.2f}",
                smallest / UNITS,
            )
        )
    if book and floor > 0 and load - min(facts.effort(a, csm_id) for a in book) < floor:
        found.append(
            Tight(
                "balance",
                csm_id,
                "floor",
                load / UNITS,
                floor / UNITS,
                0,
                f"balance: {csm_id} carries {load / UNITS:.2f}, band floor "
                f"{floor / UNITS:.2f}: it cannot lose any account",
            )
        )
    return found


# --- what-ifs -------------------------------------------------------------------------------
def _replace_csm(instance: Instance, csm_id: str, **changes: object) -> Instance:
    csms = [c.model_copy(update=changes) if c.id == csm_id else c for c in instance.csms]
    return instance.model_copy(update={"csms": csms})


def _profile(csm: Csm) -> tuple[tuple[str, ...], str, tuple[str, ...]]:
    return tuple(sorted(csm.segments)), csm.specialism(), tuple(sorted(csm.regions))


def _profile_name(csm: Csm) -> str:
    parts = ["/".join(csm.segments), csm.specialism()]
    if csm.regions:
        parts.append("/".join(csm.regions))
    return " / ".join(parts)


def relaxations(
    instance: Instance, tight: list[Tight], facts: Facts, top: int = 3
) -> list[tuple[str, Instance]]:
    """The changes worth re-solving: the `top` most binding caps and capacities, and one
    more CSM in the pool (eligibility profile) with the most binding limits."""
    changes: list[tuple[str, Instance]] = []
    for item in tight:
        if len(changes) >= top:
            break
        if item.csm is None:
            continue
        csm = facts.csms[item.csm]
        if item.rule == "account_caps":
            cap = int(item.limit)
            caps = {**csm.max_accounts, item.subject: cap + 1}
            changes.append(
                (
                    f"one more {item.subject} slot for {item.csm} (cap {cap} -> {cap + 1})",
                    _replace_csm(instance, item.csm, max_accounts=caps),
                )
            )
        elif item.rule == "effort_capacity" and csm.ramp > 0:
            # Room for the smallest newcomer, at this CSM's ramp.
            need = item.used + item.step - item.limit
            extra = math.ceil(max(need, 0.01) / csm.ramp * UNITS) / UNITS
            changes.append(
                (
                    f"{extra:g} more capacity for {item.csm} ({csm.capacity:g} -> "
                    f"{csm.capacity + extra:g}: room for one more account)",
                    _replace_csm(instance, item.csm, capacity=csm.capacity + extra),
                )
            )
    by_profile = Counter(_profile(facts.csms[t.csm]) for t in tight if t.csm is not None)
    if by_profile:
        profile = by_profile.most_common(1)[0][0]
        like = [c for c in instance.csms if not c.leaving and _profile(c) == profile]
        model = max(like, key=lambda c: (c.ramp, c.capacity, c.id))
        taken = {c.id for c in instance.csms}
        new_id = next(f"NEW-{i}" for i in range(1, len(taken) + 2) if f"NEW-{i}" not in taken)
        hire = model.model_copy(
            update={"id": new_id, "name": "what-if hire", "ramp": 1.0, "leaving": False}
        )
        changes.append(
            (
                f"one more CSM in {_profile_name(model)} ({new_id}, like {model.id})",
                instance.model_copy(update={"csms": [*instance.csms, hire]}),
            )
        )
    return changes


def what_ifs(
    instance: Instance,
    solution: Solution,
    tight: list[Tight],
    top: int = 3,
    time_limit: float = 10.0,
    workers: int = DEFAULT_WORKERS,
    seed: int = 0,
    facts: Facts | None = None,
) -> list[WhatIf]:
    """Re-solve with each relaxation; the baseline is the plan when it is proven optimal,
    else a re-solve of the instance with the same limits (a fair comparison)."""
    facts = facts or Facts(instance, solution.effective_date)
    date = solution.effective_date
    baseline: float | None
    if solution.status == "OPTIMAL":
        # Recomputed, not read from the file: the same checker scores every what-if.
        baseline = facts.checker.check(solution.owners()).objective
        baseline_optimal = True
    else:
        result = solve(
            instance, time_limit=time_limit, workers=workers, seed=seed, effective_date=date
        )
        baseline, baseline_optimal = result.objective, result.status == "OPTIMAL"
    found = []
    for change, changed in relaxations(instance, tight, facts, top):
        result = solve(
            changed, time_limit=time_limit, workers=workers, seed=seed, effective_date=date
        )
        found.append(
            WhatIf(
                change,
                baseline,
                result.objective,
                baseline_optimal,
                result.status == "OPTIMAL",
                result.status,
            )
        )
    return found
