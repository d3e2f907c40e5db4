"""The solve pipeline: blocks solved in turn from a starting plan (`solve.py`), each by the
fewest-moves pass, the neighbourhood search, CP-SAT and the HiGHS companion (`block.py`),
put together into a checked `SolveResult`."""

from allocator.pipeline.progress import Progress
from allocator.pipeline.result import SolveResult
from allocator.pipeline.solve import solve

__all__ = ["Progress", "SolveResult", "solve"]
