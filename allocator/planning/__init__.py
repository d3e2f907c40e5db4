"""Planning the team before solving: headcount (hires and releases by profile), segment
design, and scenario sweeps (Ray or local processes)."""

from allocator.planning.headcount import (
    HeadcountOptions,
    HeadcountResult,
    HiringLine,
    SpareLine,
    plan_headcount,
)
from allocator.planning.profiles import Profile, hire_profiles
from allocator.planning.scenarios import read_scenarios
from allocator.planning.segments import SegmentDesign, SegmentRow, design_rows
from allocator.planning.sweep import SweepResult, run_sweep

__all__ = [
    "HeadcountOptions",
    "HeadcountResult",
    "HiringLine",
    "Profile",
    "SegmentDesign",
    "SegmentRow",
    "SpareLine",
    "SweepResult",
    "design_rows",
    "hire_profiles",
    "plan_headcount",
    "read_scenarios",
    "run_sweep",
]
