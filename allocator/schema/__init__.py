"""The formats users read and write: instances, solutions, plans and input errors."""

from allocator.schema.errors import InputError, Problem
from allocator.schema.instance import (
    Account,
    Csm,
    Instance,
    Pair,
    Policy,
    Segment,
    effective_date_of,
    instance_hash,
    with_fewest_moves,
)
from allocator.schema.plan import Owners, Plan
from allocator.schema.solution import Solution, Status, Violation, relative_gap

__all__ = [
    "Account",
    "Csm",
    "InputError",
    "Instance",
    "Owners",
    "Pair",
    "Plan",
    "Policy",
    "Problem",
    "Segment",
    "Solution",
    "Status",
    "Violation",
    "effective_date_of",
    "instance_hash",
    "relative_gap",
    "with_fewest_moves",
]
