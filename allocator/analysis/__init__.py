"""Reading a plan: a reason for every move, why one account moved, what is tight, the
moves-against-balance trade-off, and what changed between two plans."""

from allocator.analysis.diff import PlanDiff, diff_plans
from allocator.analysis.reasons import CATEGORIES, MoveReason, move_reasons
from allocator.analysis.tight import Tight, WhatIf, binding_limits, what_ifs
from allocator.analysis.tradeoff import TradeoffPoint, run_tradeoff
from allocator.analysis.why import why_lines

__all__ = [
    "CATEGORIES",
    "MoveReason",
    "PlanDiff",
    "Tight",
    "TradeoffPoint",
    "WhatIf",
    "binding_limits",
    "diff_plans",
    "move_reasons",
    "run_tradeoff",
    "what_ifs",
    "why_lines",
]
