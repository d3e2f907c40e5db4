"""The block bound that needs no search: the better of the quick move bound and the
load-flow LP's."""

from __future__ import annotations

from allocator.bounds.flow import flow_bound
from allocator.bounds.quick import quick_bound
from allocator.facts import Block, Facts


def bound_without_search(facts: Facts, block: Block) -> float:
    """A proven lower bound on the block's objective, computed in well under a second."""
    quick = quick_bound(facts, block.accounts)
    flow = flow_bound(facts, block.accounts, block.csms)
    return quick if flow is None else max(quick, flow)
