"""The model's reading of an instance: segments, effort, eligibility, balance targets and
independent blocks, derived once (`Facts`)."""

from allocator.facts.blocks import Block, find_blocks
from allocator.facts.derived import UNITS, Facts, Pool, renewal_window, to_units

__all__ = ["UNITS", "Block", "Facts", "Pool", "find_blocks", "renewal_window", "to_units"]
