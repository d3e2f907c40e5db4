"""Tight Generalized Assignment instances of the published families, larger than the
OR-Library sets: types C and D (Chu & Beasley 1997) and E (Laguna et al. 1995, as used by
Yagiura, Ibaraki & Glover), written as OR-Library GAP files.

For m agents (CSMs) and n jobs (accounts), with U a uniform draw:

* C: weight w_ij = U[5, 25] (integer), cost c_ij = U[10, 50] (integer),
  capacity b_i = floor(0.8 * sum_j w_ij / m);
* D: w_ij = U[1, 100], c_ij = 111 - w_ij + U[-10, 10] (integers),
  b_i = floor(0.8 * sum_j w_ij / m);
* E: w_ij = floor(1 - 10 ln U(0, 1]), c_ij = floor(1000 / w_ij - 10 U[0, 1]),
  b_i = floor(0.8 * sum_j w_ij / m).

Capacity at 80% of an even share makes every agent nearly full: a CS team at capacity.
The files are made on demand (seeded: the same bytes every time) under
`instances/gap-tight/`, which git ignores.

    python benchmarks/gap_tight.py            # writes the whole set
"""

from __future__ import annotations

import math
import random
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FOLDER = ROOT / "instances" / "gap-tight"

SIZES = ((10, 400), (20, 400), (40, 400), (20, 900), (30, 900), (60, 900), (40, 1600), (80, 1600))
"""(agents, jobs): 400 to 1,600 jobs, 10 to 80 agents."""

TYPES = ("c", "d", "e")


def name(kind: str, agents: int, jobs: int, seed: int) -> str:
    return f"{kind}{agents}x{jobs}-s{seed}"


def generate(kind: str, agents: int, jobs: int, seed: int) -> str:
    """The OR-Library text of one instance."""
    rng = random.Random(f"{kind}-{agents}-{jobs}-{seed}")
    weights: list[list[int]] = []
    costs: list[list[int]] = []
    for _ in range(agents):
        if kind == "c":
            w = [rng.randint(5, 25) for _ in range(jobs)]
            c = [rng.randint(10, 50) for _ in range(jobs)]
        elif kind == "d":
            w = [rng.randint(1, 100) for _ in range(jobs)]
            c = [111 - x + rng.randint(-10, 10) for x in w]
        elif kind == "e":
            w = [math.floor(1 - 10 * math.log(1.0 - rng.random())) for _ in range(jobs)]
            c = [math.floor(1000 / x - 10 * rng.random()) for x in w]
        else:
            raise ValueError(f"unknown GAP type {kind!r}")
        weights.append(w)
        costs.append(c)
    capacities = [math.floor(0.8 * sum(w) / agents) for w in weights]
    lines = [f"{agents} {jobs}"]
    lines += [" ".join(map(str, row)) for row in costs]
    lines += [" ".join(map(str, row)) for row in weights]
    lines.append(" ".join(map(str, capacities)))
    return "\n".join(lines) + "\n"


def path(instance: str) -> Path:
    """The file of `instance` (e.g. 'd80x1600-s1'), written first if missing."""
    target = FOLDER / instance
    if not target.exists():
        kind = instance[0]
        size, _, seed = instance[1:].partition("-s")
        agents, _, jobs = size.partition("x")
        FOLDER.mkdir(parents=True, exist_ok=True)
        target.write_text(generate(kind, int(agents), int(jobs), int(seed)), encoding="utf-8")
    return target


def tight_set(seeds: tuple[int, ...] = (1,)) -> list[str]:
    return [name(k, m, n, s) for k in TYPES for m, n in SIZES for s in seeds]


if __name__ == "__main__":
    for instance in tight_set():
        print(path(instance))
