"""What one solve was asked for, passed to every step of the pipeline."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from allocator.parameters import DEFAULT_WORKERS, SolveParams

Tick = Callable[[float | None, float | None, int], None]
"""A block's progress: its plan's objective, its bound, plans found so far."""


@dataclass(frozen=True)
class Settings:
    """Workers and seed, reproducibility, pinned accounts (what-if questions), CP-SAT's
    log, and the tuning parameters."""

    workers: int = DEFAULT_WORKERS
    seed: int = 0
    deterministic: bool = False
    log: bool = False
    pins: Mapping[str, str] = field(default_factory=dict)
    params: SolveParams = field(default_factory=SolveParams)
