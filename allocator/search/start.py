"""The plan every solve starts from."""

from __future__ import annotations

from allocator.facts import Block, Facts
from allocator.schema.plan import Owners
from allocator.search.balanced_start import better_start
from allocator.search.greedy import greedy_plan
from allocator.search.repair import repair_books


def starting_plan(facts: Facts, blocks: list[Block]) -> Owners:
    """Current owners where they fit, else the least-loaded eligible CSM; books repaired
    (new hires under the band, over-full books); then, per block, the better of that and
    the balanced start (`balanced_start.py`)."""
    constructed = repair_books(facts, greedy_plan(facts, keep_current=True))
    return better_start(facts, blocks, constructed)
