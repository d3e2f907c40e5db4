"""One pipeline solve of a benchmark case with some `SolveParams` changed: how the tuning
experiments in NOTES.md were run (one line of JSON per run).

    python benchmarks/try_params.py tight:d80x1600-s1 new_book_group_size=4
    python benchmarks/try_params.py M search_share=0.8 --time-limit 60 --seed 2
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import time

from allocator.parameters import SolveParams
from allocator.pipeline.progress import Progress
from allocator.pipeline.solve import solve
from benchmarks.run import load_case


def changed_params(pairs: list[str]) -> SolveParams:
    """`SolveParams` with `name=value` pairs applied, each value read as its field's type."""
    defaults = SolveParams()
    changes: dict[str, object] = {}
    for pair in pairs:
        name, _, text = pair.partition("=")
        if not hasattr(defaults, name):
            raise SystemExit(f"unknown parameter {name!r}")
        kind = type(getattr(defaults, name))
        changes[name] = text.lower() in ("1", "true", "yes") if kind is bool else kind(text)
    return dataclasses.replace(defaults, **changes)  # type: ignore[arg-type]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("case", help="a benchmark spec: tight:NAME, gap:NAME or a tier (M, T...)")
    parser.add_argument("changes", nargs="*", help="name=value pairs of SolveParams")
    parser.add_argument("--time-limit", type=float, default=60.0)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    params = changed_params(args.changes)
    instance = load_case(args.case)
    started = time.monotonic()
    first: list[float] = []

    def watch(progress: Progress) -> None:
        if progress.solutions and not first:
            first.append(time.monotonic() - started)

    result = solve(
        instance, time_limit=args.time_limit, seed=args.seed, params=params, on_progress=watch
    )
    solution = result.solution
    print(
        json.dumps(
            {
                "case": args.case,
                "changes": args.changes,
                "objective": solution.objective,
                "bound": solution.bound,
                "status": solution.status,
                "seconds": round(time.monotonic() - started, 1),
                "first_plan_seconds": round(first[0], 1) if first else None,
                "checker": "ok" if result.report is not None and result.report.feasible else "-",
            }
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
