"""allocator: assign customer accounts to CSMs with CP-SAT, and prove how good the plan is."""

from allocator.checker.check import CheckReport, check
from allocator.schema.instance import Account, Csm, Instance, Pair, Policy, Segment
from allocator.io.loading import instance_from_dict, instance_from_frames, load_instance
from allocator.pipeline.result import SolveResult
from allocator.schema.solution import Solution
from allocator.pipeline.solve import solve
from allocator.schema.errors import InputError, Problem

__all__ = [
    "Account", "CheckReport", "Csm", "InputError", "Instance", "Pair", "Policy", "Problem",
    "Segment", "Solution", "SolveResult", "check", "instance_from_dict", "instance_from_frames",
    "load_instance", "solve",
]
