"""`allocate why`: everything about one account's assignment, with the exact cost of keeping
its previous owner measured by a re-solve with that one account pinned."""

from __future__ import annotations

from dataclasses import dataclass, field

from allocator.analysis.reasons import NEW_ACCOUNT, MoveReason, forced_reason, move_reasons
from allocator.checker import check
from allocator.facts import UNITS, Facts
from allocator.parameters import DEFAULT_WORKERS
from allocator.pipeline import solve
from allocator.schema.instance import Instance
from allocator.schema.solution import Solution


@dataclass
class KeepCost:
    """The forced re-solve: the best plan that keeps the previous owner, against this plan."""

    status: str
    plan_objective: float
    objective: float | None
    bound: float | None
    optimal: bool
    plan_optimal: bool
    explanation: list[str] = field(default_factory=list)

    def lines(self, account_id: str, previous: str) -> list[str]:
        pin = (
            f"keeping {previous}, the rest re-planned (re-solve with {account_id} pinned "
            f"to {previous})"
        )
        if self.status == "INFEASIBLE":
            return [
                f"{pin}: no plan exists (proven), because:",
                *(f"  {line}" for line in self.explanation),
            ]
        if self.objective is None:
            return [f"{pin}: no plan found within the time limit (status {self.status})"]
        cost = self.objective - self.plan_objective
        proof = "re-solve OPTIMAL" if self.optimal else "re-solve not proven optimal"
        lines = [
            f"{pin}: objective {self.objective:,.2f} vs this plan's "
            f"{self.plan_objective:,.2f}: keeping costs {cost:+,.2f} ({proof}; this plan "
            f"{'OPTIMAL' if self.plan_optimal else 'not proven optimal'})"
        ]
        if self.optimal and self.plan_optimal:
            lines.append("  both proven optimal: this is the exact cost of keeping the owner")
            if abs(cost) < 5e-3:
                lines.append(
                    "  as good a plan keeps it: among plans of equal cost the plan moves "
                    "other accounts, further from renewal or smaller (see README, 'Among "
                    "equally good plans')"
                )
        elif self.bound is not None:
            lines.append(
                f"  the re-solve's bound {self.bound:,.2f} says keeping costs at least "
                f"{self.bound - self.plan_objective:+,.2f} against this plan"
            )
        if cost < 0:
            lines.append(
                "  the re-solve found a better plan than this one: this plan is not "
                "optimal, so its move is not needed at this price"
            )
        return lines


def keep_cost(
    instance: Instance,
    solution: Solution,
    account_id: str,
    previous: str,
    time_limit: float = 20.0,
    workers: int = DEFAULT_WORKERS,
    seed: int = 0,
) -> KeepCost:
    """Re-solve with `account_id` pinned to `previous` (its family follows)."""
    plan = check(instance, solution.owners(), solution.effective_date)
    result = solve(
        instance,
        time_limit=time_limit,
        workers=workers,
        seed=seed,
        effective_date=solution.effective_date,
        pins={account_id: previous},
    )
    sol = result.solution
    return KeepCost(
        sol.status,
        plan.objective,
        result.objective,
        sol.bound,
        sol.status == "OPTIMAL",
        solution.status == "OPTIMAL",
        list(sol.explanation),
    )


def _facts(facts: Facts, account_id: str) -> list[str]:
    account = facts.accounts[account_id]
    eligibility = facts.eligibility
    allowed = eligibility.allowed.get(account_id, [])
    days = (account.renewal_date - facts.effective_date).days
    lines = [
        f"account {account_id}" + (f" ({account.name})" if account.name else ""),
        f"  segment {facts.segment_of[account_id]}"
        + (" (pooled: no named CSM)" if facts.is_pooled(account_id) else "")
        + f", ARR {account.arr:,.0f}, vertical {account.vertical or '-'}, "
        f"region {account.region or '-'}",
        f"  effort {facts.default_effort(account_id) / UNITS:.2f}, renews {account.renewal_date}"
        f" ({facts.window_of(account_id)}, {days} days after the plan date)",
    ]
    pins = []
    if account_id in eligibility.locked:
        pins.append("locked" + (f": {account.lock_reason}" if account.lock_reason else ""))
    if account_id in eligibility.frozen:
        pins.append("frozen: renews within the renewal freeze")
    if pins:
        lines.append("  " + "; ".join(pins))
    if not facts.is_pooled(account_id):
        shown = ", ".join(allowed[:15]) + (
            f" and {len(allowed) - 15} more" if len(allowed) > 15 else ""
        )
        lines.append(f"  eligible CSMs ({len(allowed)}): {shown or 'none'}")
    return lines


def why_lines(
    instance: Instance,
    solution: Solution,
    account_id: str,
    time_limit: float = 20.0,
    workers: int = DEFAULT_WORKERS,
    seed: int = 0,
) -> list[str]:
    """The account's facts, owners, the reason for its move, and why not its old owner."""
    facts = Facts(instance, solution.effective_date)
    owners = solution.owners()
    account = facts.accounts[account_id]
    previous, new = account.current_csm, owners.get(account_id)
    lines = _facts(facts, account_id)
    lines.append(f"  previous owner {previous or '-'}, new owner {new or '-'}")
    reason = move_reasons(instance, solution, facts).get(account_id)
    if previous is None or new == previous:
        lines.append(
            "not moved"
            if previous is not None
            else f"reason: {reason.text}"
            if reason is not None
            else "no owner before or now"
        )
        return lines
    if reason is None:  # an account the plan leaves out: checker territory
        lines.append("reason: unknown (the plan does not assign this account)")
        return lines
    lines.append(f"reason ({reason.category}): {reason.text}")
    lines += _why_not_previous(instance, solution, facts, reason, time_limit, workers, seed)
    return lines


def _why_not_previous(
    instance: Instance,
    solution: Solution,
    facts: Facts,
    reason: MoveReason,
    time_limit: float,
    workers: int,
    seed: int,
) -> list[str]:
    account_id, previous = reason.account, reason.previous_csm
    if previous is None or reason.category == NEW_ACCOUNT:
        return []
    forced = forced_reason(facts, account_id, reason.new_csm)
    if forced is not None:
        return [f"why not {previous}: the rules forbid it ({forced[0]}), so no re-solve is needed"]
    lines = [f"why not {previous}:"]
    # The same evaluation as the reason (and the report): the account with its family's
    # moved members put back, the rest of the plan as it is.
    if reason.broken_rules:
        lines += [
            f"  keeping {previous} alone, the rest as planned, would break {rule}"
            for rule in reason.broken_rules
        ]
    else:
        terms = ", ".join(
            f"{name} {value:+,.2f}"
            for name, value in reason.term_changes.items()
            if round(value, 2)
        )
        lines.append(
            f"  keeping {previous} alone, the rest as planned, would cost "
            f"{reason.keep_cost or 0:+,.2f} ({terms or 'no term changes'})"
        )
    cost = keep_cost(instance, solution, account_id, previous, time_limit, workers, seed)
    return lines + ["  " + line for line in cost.lines(account_id, previous)]
