"""`SolveParams`: every tuning constant of the solve pipeline, in one frozen value.

The defaults are the settings measured best on the benchmark tiers (what each was measured
against: `benchmarks/NOTES.md`). A user who passes nothing gets them; an experiment loads
another set from a file (`SolveParams.from_file`, or `allocate solve --params FILE`) and
the solution records which values differed from the defaults.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import tomllib
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any


def available_cpus() -> int:
    """The CPUs this process may run on (its affinity, as containers and `taskset` set it)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # not Linux
        return max(1, os.cpu_count() or 1)


DEFAULT_WORKERS = available_cpus()
"""Workers of every command and function that solves, unless told otherwise: one per CPU
(measured against 8 workers on 2 CPUs in `benchmarks/NOTES.md`, issue 16)."""


@dataclass(frozen=True)
class SolveParams:
    """How `solve` shares out its time and sizes its steps."""

    # --- blocks and their time shares -----------------------------------------------------
    min_block_seconds: float = 0.2
    """No block gets less, however small its share."""
    mip_block_weight: float = 1.5
    """Share factor of blocks that HiGHS solves as a MIP beside CP-SAT (its plans arrive
    late on the larger of them)."""
    least_room: float = 0.05
    """A block whose starting plan already meets its bound keeps `least_room ** room_power`
    of its size share."""
    room_power: float = 0.25
    """A block's share grows with this power of how far its start lies above its bound."""

    # --- the neighbourhood search -------------------------------------------------------
    search_threshold: int = 15_000
    """Assignment variables above which a block starts with the neighbourhood search."""
    search_share: float = 0.6
    """Of a big block's time, the part the neighbourhood search gets before CP-SAT."""
    repair_share: float = 0.3
    """Of a small block's time, at most this much to repair a start that breaks a rule."""
    repair_seconds: float = 5.0
    """...and at most this many seconds (CP-SAT finds plans for tight blocks quickly)."""
    lp_start_share: float = 0.3
    """Of a new book's block whose constructed plan breaks a rule, at most this much for the
    LP-rounded start (`search/lp_start.py`)."""
    lp_start_limit: int = 400_000
    """Assignment variables above which a new book's block gets no LP-rounded start."""
    full_model_limit: int = 250_000
    """Assignment variables above which a block is never modelled whole."""
    build_seconds_per_variable: float = 1e-4
    """CP-SAT model build and presolve time per assignment variable."""
    group_size: int = 4
    """CSMs freed together in one step of the neighbourhood search."""
    step_seconds: float = 0.5
    """Time limit of one step's exact re-solve."""
    new_book_group_size: int = 3
    """CSMs freed together in one step on a new book (no current owners): its knapsacks
    are tight, so a group of four rarely proves its step in time."""
    new_book_step_seconds: float = 0.3
    """Time limit of one step's re-solve on a new book."""
    new_book_search_share: float = 0.9
    """Of a new book's time after its LP-rounded start, the part of CP-SAT on its core
    and the neighbourhood search together (CP-SAT on the whole block gets the rest, for
    its bound and the last steps)."""
    new_book_partner_share: float = 1.0
    """Of a new book's search steps, the share whose group is its first CSM's partners in
    the LP (`search/lp_start.py`, `lp_partners`) rather than random CSMs."""
    new_book_core_csms: int = 3
    """CSMs of least LP reduced cost per account in a new book's core model
    (`search/lp_start.py`, `near_csms`)."""
    new_book_search_csms: int = 5
    """CSMs of least LP reduced cost per account that a new book's search steps may move
    it to (besides its owner; `search/lp_start.py`, `near_csms`)."""
    new_book_core_share: float = 0.4
    """Of a new book's time after its LP-rounded start, the part for CP-SAT on its core
    model, before the neighbourhood search (which gets `new_book_search_share` in all)."""
    progress_seconds: float = 5.0
    """Seconds between progress reports from the neighbourhood search."""

    polish_share: float = 0.2
    """Of a block's time, at most this much (of what its solve left) to find, among plans
    as good, the one with the fewest moves (`pipeline/polish.py`)."""
    polish_min_seconds: float = 0.5
    """...and at least this much, when the block's solve left it."""

    # --- the HiGHS companion ------------------------------------------------------------
    mip_limit: int = 30_000
    """Pairs up to which HiGHS solves a block as a MIP; above, it gives a bound only."""
    companion_limit: int = 400_000
    """Pairs above which no LP is built (the counts model may still apply)."""
    companion_build_seconds_per_variable: float = 1.5e-5
    """Time to build the companion's model per assignment variable."""
    companion_margin_seconds: float = 5.0
    """How long past its own time limit the companion may run before it is stopped."""
    lagrangian_margin_seconds: float = 0.5
    """The Lagrangian bound stops this long before the companion's time is up."""
    lagrangian_work_limit: float = 3e8
    """Cell updates per subgradient step above which the Lagrangian bound is not tried."""
    counts_share: float = 0.7
    """Of a block's time, the counts model's part (the search then goes on from its plan)."""
    counts_bound_share: float = 0.25
    """Of the counts model's time, the part for the bound when families need a second
    model for the plan. HiGHS can overrun this part by seconds, which the second model
    then lacks (bench-L: benchmarks/NOTES.md, issue 16)."""
    counts_plan_seconds: float = 2.0
    """Kept back at the end of the counts model's time to turn counts into owners."""
    counts_overrun_share: float = 0.1
    """HiGHS can overrun its limit: its solves get this much less than the time left."""
    counts_cpsat_workers: int = 2
    """CP-SAT workers on the counts model where HiGHS's first plan was worse than the start."""

    # --- fewest moves -------------------------------------------------------------------
    fewest_share: float = 0.4
    """Of a block's time, at most this much for the fewest-moves pass."""
    narrow_share: float = 0.6
    """Of the pass's time, the narrowed model's part (the rest: the whole block)."""
    narrow_model_limit: int = 15_000
    """Pairs above which the pass is a moves-only neighbourhood search."""

    # --- explaining an infeasible solve -------------------------------------------------
    explain_min_seconds: float = 5.0
    explain_max_seconds: float = 30.0
    """The explanation of a proven infeasible instance gets the solve's time limit,
    within these bounds."""

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> SolveParams:
        """Defaults with `values` on top; unknown names and wrong types raise ValueError."""
        known = {f.name: f for f in fields(cls)}
        changes: dict[str, Any] = {}
        for name, value in values.items():
            if name not in known:
                raise ValueError(f"unknown parameter {name!r}")
            default = getattr(cls(), name)
            wanted = type(default)
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ValueError(f"{name} must be a number, got {value!r}")
            if wanted is int and not float(value).is_integer():
                raise ValueError(f"{name} must be a whole number, got {value!r}")
            if not math.isfinite(value) or value < 0:
                raise ValueError(f"{name} must be finite and >= 0, got {value!r}")
            changes[name] = wanted(value)
        return dataclasses.replace(cls(), **changes)

    @classmethod
    def from_file(cls, path: str | Path) -> SolveParams:
        """Parameters from a JSON or TOML file of `name = value` pairs."""
        path = Path(path)
        text = path.read_text(encoding="utf-8")
        try:
            raw = tomllib.loads(text) if path.suffix == ".toml" else json.loads(text)
        except (tomllib.TOMLDecodeError, json.JSONDecodeError) as error:
            raise ValueError(f"cannot read parameters: {error}") from None
        if not isinstance(raw, dict):
            raise ValueError("expected name = value pairs")
        return cls.from_dict(raw)

    def changed(self) -> dict[str, float | int]:
        """The values that differ from the defaults (recorded in the solution)."""
        default = SolveParams()
        return {
            f.name: getattr(self, f.name)
            for f in fields(self)
            if getattr(self, f.name) != getattr(default, f.name)
        }
