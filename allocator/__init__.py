"""allocator: assign customer accounts to CSMs with CP-SAT, and prove how good the plan is."""

from allocator.checker import CheckReport, check
from allocator.instance import Account, Csm, Instance, Pair, Policy, Segment
from allocator.loading import instance_from_dict, instance_from_frames, load_instance
from allocator.result import SolveResult
from allocator.solution import Solution
from allocator.solve import solve
from allocator.validation import InputError, Problem

__all__ = [
    "Account", "CheckReport", "Csm", "InputError", "Instance", "Pair", "Policy", "Problem",
    "Segment", "Solution", "SolveResult", "check", "instance_from_dict", "instance_from_frames",
    "load_instance", "solve",
]
