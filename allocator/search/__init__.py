"""Heuristics that build and improve plans: the rules-engine greedy, the balanced start,
single-account repairs and the large-neighbourhood search."""

from allocator.search.balanced_start import balanced_plan, better_start
from allocator.search.greedy import greedy_plan
from allocator.search.neighbourhood import Searched, SearchStats, improve
from allocator.search.repair import repair_books
from allocator.search.start import starting_plan

__all__ = [
    "SearchStats",
    "Searched",
    "balanced_plan",
    "better_start",
    "greedy_plan",
    "improve",
    "repair_books",
    "starting_plan",
]
