"""What a progress display shows while a solve runs."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Progress:
    """The plan and bound so far over the whole book, and where the solve is."""

    elapsed: float = 0.0
    objective: float | None = None
    bound: float | None = None
    solutions: int = 0
    phase: str = "building model"
