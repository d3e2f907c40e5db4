"""`SolveResult`: the checked solution, with pandas views and file output."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from allocator.checker import CheckReport
from allocator.checker.audit import audit
from allocator.facts import Block
from allocator.io.plan_folder import write_folder
from allocator.io.reading import read_json
from allocator.io.tables import write_table
from allocator.schema.errors import InputError
from allocator.schema.instance import Instance
from allocator.schema.plan import Owners
from allocator.schema.solution import Solution


def _frame(rows: list[dict[str, object]]) -> pd.DataFrame:
    return pd.DataFrame(rows)


@dataclass(frozen=True)
class SolveResult:
    """A solve's outcome. `report` is the checker's verdict (None when there is no plan)."""

    solution: Solution
    report: CheckReport | None
    instance: Instance | None = None
    """The instance solved: what a plan already in the output folder is re-checked against."""
    unplanned: tuple[Block, ...] = ()
    """Blocks that had no plan when the run ended without one (status UNKNOWN)."""

    @property
    def status(self) -> str:
        return self.solution.status

    @property
    def feasible(self) -> bool:
        return self.report is not None and self.report.feasible

    @property
    def objective(self) -> float | None:
        return self.solution.objective

    @property
    def owners(self) -> Owners:
        return self.solution.owners()

    @property
    def assignments(self) -> pd.DataFrame:
        return _frame([r.model_dump() for r in self.solution.assignments])

    @property
    def csm_summary(self) -> pd.DataFrame:
        rows = []
        for r in self.solution.csm_summary:
            row = r.model_dump(exclude={"accounts_by_segment", "renewals_by_window"})
            for seg, n in r.accounts_by_segment.items():
                row[f"accounts_{seg}"] = n
            row["renewals_max_window"] = max(r.renewals_by_window.values(), default=0)
            rows.append(row)
        return _frame(rows).fillna(
            {c: 0 for c in _frame(rows).columns if c.startswith("accounts_")}
        )

    @property
    def segment_summary(self) -> pd.DataFrame:
        return _frame([r.model_dump() for r in self.solution.segment_summary])

    @property
    def block_summary(self) -> pd.DataFrame:
        rows = [r.model_dump() for r in self.solution.block_summary]
        for row in rows:
            row["segments"] = ";".join(row["segments"])
        return _frame(rows)

    def write(self, out_dir: str | Path, overwrite: bool = False) -> list[Path] | Solution:
        """Write solution.json, assignments.csv, csm_summary.csv and block_summary.csv to
        `out_dir` as one set (`allocator.io.plan_folder`).

        Returns the paths written, or the better plan already there (nothing written)
        unless `overwrite`. "Better" is decided by re-checking that plan against the
        instance, never by what its file claims. Raises `OutputError` when the folder
        cannot be written (it is then unchanged).
        """
        solution = self.solution
        files: dict[str, Callable[[Path], object]] = {}
        if solution.assignments:
            files["assignments.csv"] = lambda p: write_table(self.assignments, p)
            files["csm_summary.csv"] = lambda p: write_table(self.csm_summary, p)
            files["block_summary.csv"] = lambda p: write_table(self.block_summary, p)
        files["solution.json"] = lambda p: p.write_text(
            solution.model_dump_json(indent=2), encoding="utf-8"
        )
        kept: list[Solution] = []

        def keep_existing(folder: Path) -> bool:
            better = None if overwrite else better_plan(folder / "solution.json", self)
            if better is not None:
                kept.append(better)
            return better is not None

        if not write_folder(Path(out_dir), files, keep_existing):
            return kept[0]
        folder = Path(out_dir)
        return [folder / name for name in files]


def better_plan(path: Path, new: SolveResult) -> Solution | None:
    """The plan at `path` if it is for the same instance, obeys every rule and every figure
    in it checks out, and is better than `new` once re-checked; else None.

    In fewest-moves mode fewer voluntary moves come first, then the objective.
    """
    if not path.is_file():
        return None
    try:
        old = Solution.model_validate(read_json(path))
    except (InputError, ValueError):
        return None  # unreadable: not a plan to keep
    if not old.assignments or old.instance_hash != new.solution.instance_hash:
        return None
    if new.instance is None:
        return None  # nothing to re-check it against: its claims are not enough
    verdict = audit(new.instance, old)
    if not verdict.clean:
        return None
    if new.solution.objective is None or new.solution.violations:
        return old
    report = verdict.report
    if "fewest_voluntary_moves" in new.solution.parameters:
        old_moves = report.moves - report.forced_moves
        new_moves = new.solution.moves - new.solution.forced_moves
        if old_moves != new_moves:
            return old if old_moves < new_moves else None
    return old if report.objective < new.solution.objective - 1e-9 else None
