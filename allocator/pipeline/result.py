"""`SolveResult`: the checked solution, with pandas views and file output."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from allocator.checker import CheckReport
from allocator.io.files import existing_better, write_atomic, write_text_atomic
from allocator.schema.plan import Owners
from allocator.schema.solution import Solution


def _frame(rows: list[dict[str, object]]) -> pd.DataFrame:
    return pd.DataFrame(rows)


@dataclass(frozen=True)
class SolveResult:
    """A solve's outcome. `report` is the checker's verdict (None when there is no plan)."""

    solution: Solution
    report: CheckReport | None

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
        """Write solution.json, assignments.csv, csm_summary.csv and block_summary.csv
        atomically.

        Returns the paths written, or the better plan already there (nothing written)
        unless `overwrite`.
        """
        out = Path(out_dir)
        target = out / "solution.json"
        if not overwrite:
            better = existing_better(target, self.solution)
            if better is not None:
                return better
        paths = [
            out / "assignments.csv",
            out / "csm_summary.csv",
            out / "block_summary.csv",
            target,
        ]
        if self.solution.assignments:
            write_atomic(paths[0], lambda p: self.assignments.to_csv(p, index=False))
            write_atomic(paths[1], lambda p: self.csm_summary.to_csv(p, index=False))
            write_atomic(paths[2], lambda p: self.block_summary.to_csv(p, index=False))
        else:
            paths = [target]
        write_text_atomic(target, self.solution.model_dump_json(indent=2))
        return paths
