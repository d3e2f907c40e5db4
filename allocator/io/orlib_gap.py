"""Read an OR-Library Generalized Assignment Problem (GAP) file as an allocation instance.

GAP: every job goes to exactly one agent; job j on agent i costs c[i][j] and uses w[i][j] of
agent i's capacity b[i]; minimise the total cost. The file holds whitespace-separated
integers: `m n`, the m x n cost matrix (one row per agent), the m x n resource matrix, then
the m capacities.

Agents become CSMs `agent-<i>` (capacity b[i]) and jobs become accounts `job-<j>`
(i, j counted from 0), all in one segment `GAP`; every (job, agent) pair is a `Pair` with
cost c[i][j] and effort w[i][j]. The policy switches every other rule off and weights only
`pair_cost`, so a plan's objective is exactly its GAP cost.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from allocator.io.reading import read_text
from allocator.io.validation import validate
from allocator.schema.errors import InputError, Problem
from allocator.schema.instance import (
    Account,
    Csm,
    Instance,
    ObjectiveWeights,
    Pair,
    Policy,
    RenewalSpread,
    Segment,
    Specialization,
)

SEGMENT = "GAP"
# Renewal dates and the plan date play no part in a GAP; fixed so that solves repeat.
RENEWAL_DATE = dt.date(2030, 1, 1)
EFFECTIVE_DATE = dt.date(2029, 1, 1)
_MAX_TOKEN_PROBLEMS = 10


def gap_policy() -> Policy:
    """One segment without ARR ranges or caps; only the pair cost counts."""
    return Policy(
        segments=[
            Segment(name=SEGMENT, min_arr=0, max_arr=None, max_accounts=None, base_effort=1.0)
        ],
        strategic_segment=None,
        specialization=Specialization(verticals=[], hard=True),
        renewal_spread=RenewalSpread(max_per_window=None),
        weights=ObjectiveWeights(
            balance=0, moves=0, renewal_bunching=0, pair_cost=1, specialization=0
        ),
        effective_date=EFFECTIVE_DATE,
    )


def _integers(text: str, source: str) -> list[int]:
    """Every whitespace-separated token as an int; InputError naming each bad token."""
    values: list[int] = []
    problems: list[Problem] = []
    bad = 0
    for line_no, line in enumerate(text.splitlines(), start=1):
        for column, token in enumerate(line.split(), start=1):
            try:
                values.append(int(token))
            except ValueError:
                bad += 1
                if bad <= _MAX_TOKEN_PROBLEMS:
                    problems.append(
                        Problem(f"line {line_no}", f"token {column}", f"not an integer: {token!r}")
                    )
    if bad > _MAX_TOKEN_PROBLEMS:
        problems.append(
            Problem(
                "file", "", f"{bad} non-integer tokens in all (first {_MAX_TOKEN_PROBLEMS} shown)"
            )
        )
    if problems:
        raise InputError(source, problems)
    return values


def parse_orlib_gap(text: str, source: str = "<data>", name: str = "gap") -> Instance:
    """Convert the text of one OR-Library GAP instance; `source` names it in errors."""
    if not text.strip():
        raise InputError(source, [Problem("file", "", "file is empty")])
    values = _integers(text, source)
    if len(values) < 2:
        raise InputError(
            source,
            [
                Problem(
                    "header", "", f"expected 'm n' (agents, jobs), found {len(values)} number(s)"
                )
            ],
        )
    m, n = values[0], values[1]
    if m < 1 or n < 1:
        raise InputError(
            source, [Problem("header", "m n", f"agents and jobs must be >= 1, got m={m}, n={n}")]
        )
    expected = 2 + 2 * m * n + m
    if len(values) != expected:
        raise InputError(
            source,
            [
                Problem(
                    "file",
                    "",
                    f"expected {expected} numbers for m={m} agents and n={n} jobs "
                    f"(2 + 2*m*n + m), found {len(values)}",
                )
            ],
        )
    cost_at, weight_at, capacity_at = 2, 2 + m * n, 2 + 2 * m * n
    problems: list[Problem] = []
    for i in range(m):
        capacity = values[capacity_at + i]
        if capacity <= 0:
            problems.append(
                Problem(f"agent-{i}", "capacity", f"capacity must be > 0, got {capacity}")
            )
        for j in range(n):
            weight = values[weight_at + i * n + j]
            if weight < 0:
                problems.append(
                    Problem(
                        f"agent-{i}",
                        f"resource[job-{j}]",
                        f"resource use must be >= 0, got {weight}",
                    )
                )
    if problems:
        raise InputError(source, problems)

    accounts = [Account(id=f"job-{j}", arr=0.0, renewal_date=RENEWAL_DATE) for j in range(n)]
    csms = [
        Csm(id=f"agent-{i}", segments=[SEGMENT], capacity=float(values[capacity_at + i]))
        for i in range(m)
    ]
    pairs = [
        Pair(
            account=f"job-{j}",
            csm=f"agent-{i}",
            cost=float(values[cost_at + i * n + j]),
            effort=float(values[weight_at + i * n + j]),
        )
        for i in range(m)
        for j in range(n)
    ]
    instance = Instance(name=name, accounts=accounts, csms=csms, pairs=pairs, policy=gap_policy())
    problems = validate(instance)
    if problems:
        raise InputError(source, problems)
    return instance


def read_orlib_gap(path: str | Path, name: str | None = None) -> Instance:
    """Read one OR-Library GAP file; the instance is named after the file unless `name`.

    Raises `InputError` naming the file when it is missing, unreadable, empty, holds a
    non-integer token or the wrong count of numbers.
    """
    text = read_text(path)
    return parse_orlib_gap(text, str(path), name if name is not None else Path(path).name)
