"""Per-block rows of a solution: each block's objective (recomputed from the plan), its
proven bound and gap, so a user sees which pool of accounts and CSMs the gap is in."""

from __future__ import annotations

from dataclasses import dataclass, field

from allocator.checker.block_objective import block_objective
from allocator.facts.blocks import Block
from allocator.facts.derived import Facts
from allocator.schema.solution import BlockSummaryRow


@dataclass
class BlockResult:
    """What the solve of one block left: its status ("OPTIMAL", "FEASIBLE", ... or "NOT
    SOLVED"), proven bound, seconds spent, and what the companion contributed."""

    status: str
    bound: float
    seconds: float = 0.0
    helped: list[str] = field(default_factory=list)


def block_rows(facts: Facts, blocks: list[Block], results: list[BlockResult],
               plan: dict[str, str | None]) -> list[BlockSummaryRow]:
    rows = []
    for index, (block, result) in enumerate(zip(blocks, results, strict=True), start=1):
        objective = block_objective(facts, block, plan)
        bound = min(result.bound, objective)
        status = "OPTIMAL" if result.status == "OPTIMAL" or bound >= objective - 1e-9 \
            else result.status
        rows.append(BlockSummaryRow(
            block=index, accounts=len(block.accounts), csms=len(block.csms),
            segments=sorted({str(facts.segment_of[a]) for a in block.accounts}),
            status=status, objective=round(objective, 6), bound=round(bound, 6),
            gap=None if objective <= 0 else round((objective - bound) / objective, 6),
            seconds=round(result.seconds, 3), companion=", ".join(result.helped)))
    return rows
