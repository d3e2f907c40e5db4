"""What solving one block left, as a value."""

from __future__ import annotations

from dataclasses import dataclass

from allocator.pipeline.fewest_moves import FewestMoves
from allocator.schema.plan import Plan
from allocator.schema.solution import Status


@dataclass(frozen=True)
class BlockOutcome:
    """One block's result: its plan (owners of the block's accounts) when it has one, the
    solver's objective for that plan when a solver reported it, the proven bound, and
    what the companion contributed ("plan", "bound", "lagrangian bound", "counts bound").
    """

    status: Status
    plan: Plan | None = None
    objective: float | None = None
    bound: float | None = None
    interrupted: bool = False
    helped: tuple[str, ...] = ()
    fewest: FewestMoves | None = None
    seconds: float = 0.0
    first_plan_at: float | None = None
    """Seconds into the solve when the block first had a plan obeying every rule."""

    @property
    def has_plan(self) -> bool:
        return self.plan is not None
