"""Min / median / max of the objective and the gap to the best known over several runs of
`benchmarks/run.py` (their CSV files), per instance and method. Tight-set instances are
measured against the best bound proven in any of the runs (`run.with_best_bounds`).

    python benchmarks/spread.py RESULTS.csv /tmp/run2.csv /tmp/run3.csv [--method cpsat]
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

if __package__ in (None, ""):  # run as a script
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.run import Row, read_rows, with_best_bounds


def spread(files: list[Path], method: str, limit: float) -> list[str]:
    every = with_best_bounds([row for path in files for row in read_rows(path)])
    runs: dict[str, list[Row]] = {}
    for row in every:
        if row.method == method and row.time_limit == limit and row.objective is not None:
            runs.setdefault(row.instance, []).append(row)
    lines = [
        "| instance | runs | objective min / median / max | gap to best known min / median / max |",
        "|---|---:|---|---|",
    ]
    for name, rows in sorted(runs.items()):
        values = [r.objective or 0.0 for r in rows]
        gaps = [r.gap_to_best for r in rows if r.gap_to_best is not None]
        gap_text = (
            f"{min(gaps):.2%} / {statistics.median(gaps):.2%} / {max(gaps):.2%}" if gaps else "-"
        )
        lines.append(
            f"| {name} | {len(rows)} | {min(values):,.2f} / {statistics.median(values):,.2f} / "
            f"{max(values):,.2f} | {gap_text} |"
        )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("--method", default="cpsat")
    parser.add_argument("--time-limit", type=float, default=60.0)
    args = parser.parse_args()
    print("\n".join(spread(args.files, args.method, args.time_limit)))


if __name__ == "__main__":
    main()
