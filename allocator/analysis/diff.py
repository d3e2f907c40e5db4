"""Comparing two plans: whose owner differs, how each CSM's book count changes, and how
the objective and each of its terms moved."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from allocator.schema.solution import Solution


@dataclass(frozen=True)
class OwnerChange:
    account: str
    account_name: str
    old: str | None
    new: str | None


@dataclass(frozen=True)
class Delta:
    old: float | None
    new: float | None

    @property
    def change(self) -> float | None:
        return None if self.old is None or self.new is None else self.new - self.old


@dataclass
class PlanDiff:
    same_instance: bool
    changes: list[OwnerChange] = field(default_factory=list)
    only_old: list[str] = field(default_factory=list)
    only_new: list[str] = field(default_factory=list)
    books: dict[str, tuple[int, int]] = field(default_factory=dict)
    numbers: dict[str, Delta] = field(default_factory=dict)

    def changes_frame(self) -> pd.DataFrame:
        return pd.DataFrame(
            [c.__dict__ for c in self.changes], columns=["account", "account_name", "old", "new"]
        )

    def books_frame(self) -> pd.DataFrame:
        """CSMs whose account count differs: old, new and the change."""
        rows = [
            {"csm": c, "old": o, "new": n, "change": n - o}
            for c, (o, n) in sorted(self.books.items())
            if o != n
        ]
        return pd.DataFrame(rows, columns=["csm", "old", "new", "change"])


def _counts(solution: Solution) -> dict[str, int]:
    counts: dict[str, int] = {}
    for row in solution.assignments:
        if row.csm is not None:
            counts[row.csm] = counts.get(row.csm, 0) + 1
    return counts


def diff_plans(old: Solution, new: Solution) -> PlanDiff:
    """What changes from plan `old` to plan `new`."""
    same = bool(old.instance_hash) and old.instance_hash == new.instance_hash
    result = PlanDiff(same_instance=same)
    old_rows = {r.account: r for r in old.assignments}
    new_rows = {r.account: r for r in new.assignments}
    result.only_old = sorted(set(old_rows) - set(new_rows))
    result.only_new = sorted(set(new_rows) - set(old_rows))
    for account in sorted(set(old_rows) & set(new_rows)):
        before, after = old_rows[account], new_rows[account]
        if before.csm != after.csm:
            result.changes.append(
                OwnerChange(
                    account, after.account_name or before.account_name, before.csm, after.csm
                )
            )
    old_counts, new_counts = _counts(old), _counts(new)
    result.books = {
        c: (old_counts.get(c, 0), new_counts.get(c, 0)) for c in set(old_counts) | set(new_counts)
    }
    result.numbers["objective"] = Delta(old.objective, new.objective)
    result.numbers["bound"] = Delta(old.bound, new.bound)
    result.numbers["moves"] = Delta(old.moves, new.moves)
    result.numbers["forced_moves"] = Delta(old.forced_moves, new.forced_moves)
    for name in dict.fromkeys([*old.terms, *new.terms]):
        result.numbers[f"term {name}"] = Delta(old.terms.get(name), new.terms.get(name))
    return result
