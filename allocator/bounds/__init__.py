"""Proven lower bounds on a block's objective: the quick move bound, book floors, the
load-flow LP, the Lagrangian bound and the counts model of interchangeable accounts."""

from allocator.bounds.counts import modelled as counts_model_applies
from allocator.bounds.counts import solve_counts
from allocator.bounds.lagrangian import lagrangian_bound
from allocator.bounds.quick import quick_bound
from allocator.bounds.without_search import bound_without_search

__all__ = [
    "bound_without_search",
    "counts_model_applies",
    "lagrangian_bound",
    "quick_bound",
    "solve_counts",
]
