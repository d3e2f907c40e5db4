"""A solution file judged from the instance alone: the plan against every rule (`check`),
and every claim the file makes against what the instance bears out.

Nothing in the file is taken on trust. The plan date is the instance's; the file must
give each account exactly one row; its objective, terms, move counts, bound, gap and
status must agree with the recomputed ones; each row's previous owner, move and forced
flags, segment, effort, ARR and renewal window must be the instance's; and the file must
have been made for this instance (its hash).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from allocator.checker.check import Checker, CheckReport
from allocator.checker.reading import HUNDREDTHS
from allocator.schema.instance import Instance, instance_hash
from allocator.schema.plan import Plan
from allocator.schema.solution import AssignmentRow, Solution, Violation, relative_gap

CLAIM = "plan_file"
"""The rule name of a claim in the file that the instance does not bear out."""

_Claim = Callable[[str, str], None]
"""Records one claim the instance does not bear out: (subject, message)."""

ROWS_SHOWN = 20
"""Row-field disagreements listed one by one; past this, a count."""


def _close(a: float, b: float) -> bool:
    return abs(a - b) <= 1e-6 * max(1.0, abs(a), abs(b))


@dataclass(frozen=True)
class Audit:
    """The checker's report on the plan, and the file's claims it does not bear out."""

    report: CheckReport
    effective_date: dt.date
    findings: list[Violation]

    @property
    def violations(self) -> list[Violation]:
        return [*self.report.violations, *self.findings]

    @property
    def clean(self) -> bool:
        return not self.violations


def plan_date(instance: Instance, solution: Solution) -> dt.date:
    """The instance's plan date; the file's only when the instance sets none."""
    return instance.policy.effective_date or solution.effective_date


def audit(instance: Instance, solution: Solution) -> Audit:
    """Check `solution`'s plan and every claim in it against `instance`."""
    effective = plan_date(instance, solution)
    checker = Checker(instance, effective)
    findings: list[Violation] = []

    def claim(subject: str, message: str) -> None:
        findings.append(Violation(rule=CLAIM, subject=subject, message=message))

    expected_hash = instance_hash(instance)
    if solution.instance_hash != expected_hash:
        claim(
            "instance_hash",
            f"made for another instance (hash {solution.instance_hash or 'none'}, this "
            f"instance {expected_hash})",
        )
    if instance.policy.effective_date is not None and solution.effective_date != effective:
        claim(
            "effective_date",
            f"plan date {solution.effective_date} is not the instance's {effective}",
        )
    owners = _owners(solution.assignments, claim)
    report = checker.check(owners)
    _claims(solution, report, claim)
    _rows(checker, solution.assignments, owners, claim)
    return Audit(report=report, effective_date=effective, findings=findings)


def _owners(rows: list[AssignmentRow], claim: _Claim) -> dict[str, str | None]:
    """One owner per account; an account with several rows is a finding (and its first
    row counts: no later row can override what a reader saw first)."""
    counts = Counter(r.account for r in rows)
    owners: dict[str, str | None] = {}
    for row in rows:
        if row.account not in owners:
            owners[row.account] = row.csm
    for account_id, n in counts.items():
        if n > 1:
            listed = ", ".join(str(r.csm) for r in rows if r.account == account_id)
            claim(f"assignments[{account_id}]", f"{n} rows for one account (owners {listed})")
    return owners


def _claims(solution: Solution, report: CheckReport, claim: _Claim) -> None:
    if solution.status in ("INFEASIBLE", "UNKNOWN") and solution.assignments:
        claim("status", f"status {solution.status} but the file holds a plan")
    if not solution.assignments:
        return
    if solution.objective is None or not _close(solution.objective, report.objective):
        claim("objective", f"file says {solution.objective}, recomputed {report.objective:.6g}")
    for name, value in report.terms.items():
        said = solution.terms.get(name)
        if said is None or not _close(said, value):
            claim(f"terms.{name}", f"file says {said}, recomputed {value:.6g}")
    if solution.moves != report.moves:
        claim("moves", f"file says {solution.moves}, recomputed {report.moves}")
    if solution.forced_moves != report.forced_moves:
        claim(
            "forced_moves", f"file says {solution.forced_moves}, recomputed {report.forced_moves}"
        )
    bound = solution.bound
    if bound is not None and bound > report.objective + 1e-6 * max(1.0, abs(report.objective)):
        claim("bound", f"bound {bound} is above the plan's objective {report.objective:.6g}")
    gap = relative_gap(report.objective, bound)
    if (solution.gap is None) != (gap is None) or (
        gap is not None and solution.gap is not None and abs(solution.gap - gap) > 1e-6
    ):
        claim("gap", f"file says {solution.gap}, recomputed {gap}")
    if solution.status == "OPTIMAL" and (gap is None or gap > 1e-6):
        claim("status", "OPTIMAL but the bound does not meet the objective")


def _rows(checker: Checker, rows: list[AssignmentRow], owners: Plan, claim: _Claim) -> None:
    reading = checker.reading
    wrong: list[str] = []
    seen: set[str] = set()
    for row in rows:
        account = reading.accounts.get(row.account)
        if account is None or row.account in seen:
            continue  # reported by the checker (unknown account) or as several rows
        seen.add(row.account)
        owner = owners[row.account]
        moved = account.current_csm is not None and owner != account.current_csm
        forced = checker.account_terms(row.account, owner).forced_moves > 0
        expected: dict[str, object] = {
            "previous_csm": account.current_csm,
            "moved": moved,
            "forced": moved and forced,
            "pooled": reading.pooled(row.account),
            "segment": reading.segment[row.account],
            "arr": account.arr,
            "renewal_window": reading.window(row.account),
            "account_name": account.name,
        }
        if owner is not None and owner in reading.csms:
            expected["effort"] = reading.effort(row.account, owner) / HUNDREDTHS
        for name, value in expected.items():
            said = getattr(row, name)
            same = _close(said, value) if isinstance(value, float) else said == value
            if not same:
                wrong.append(f"{row.account}.{name}: file says {said!r}, instance {value!r}")
    for line in wrong[:ROWS_SHOWN]:
        claim("assignments", line)
    if len(wrong) > ROWS_SHOWN:
        claim("assignments", f"and {len(wrong) - ROWS_SHOWN} more row fields disagree")
