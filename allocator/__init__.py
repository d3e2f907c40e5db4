"""allocator: assign customer accounts to CSMs with CP-SAT, and prove how good the plan is.

Everything the README shows is importable from here; each concern also has its own
subpackage (`allocator.crm`, `allocator.analysis`, `allocator.explain`, ...). Names load on
first use, so that the command line starts quickly and a Ctrl-C while it loads is handled
like any other.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from allocator.analysis import (
        MoveReason,
        TradeoffPoint,
        binding_limits,
        diff_plans,
        move_reasons,
        run_tradeoff,
        what_ifs,
        why_lines,
    )
    from allocator.checker import Checker, CheckReport, check
    from allocator.crm import (
        Imported,
        ImportOptions,
        handoff,
        import_accounts,
        import_files,
        import_frames,
        move_list,
    )
    from allocator.explain import Diagnosis, diagnose, explain_infeasibility
    from allocator.io import (
        generate_instance,
        instance_from_dict,
        instance_from_frames,
        load_instance,
        load_solution,
    )
    from allocator.parameters import SolveParams
    from allocator.pipeline import Progress, SolveResult, solve
    from allocator.planning import (
        HeadcountOptions,
        SegmentDesign,
        design_rows,
        plan_headcount,
        run_sweep,
    )
    from allocator.report import build_report, write_report
    from allocator.schema import (
        Account,
        Csm,
        InputError,
        Instance,
        Pair,
        Plan,
        Policy,
        Problem,
        Segment,
        Solution,
        with_fewest_moves,
    )

_HOMES = {
    **dict.fromkeys(
        (
            "MoveReason",
            "TradeoffPoint",
            "binding_limits",
            "diff_plans",
            "move_reasons",
            "run_tradeoff",
            "what_ifs",
            "why_lines",
        ),
        "allocator.analysis",
    ),
    **dict.fromkeys(("Checker", "CheckReport", "check"), "allocator.checker"),
    **dict.fromkeys(
        (
            "Imported",
            "ImportOptions",
            "handoff",
            "import_accounts",
            "import_files",
            "import_frames",
            "move_list",
        ),
        "allocator.crm",
    ),
    **dict.fromkeys(("Diagnosis", "diagnose", "explain_infeasibility"), "allocator.explain"),
    **dict.fromkeys(
        (
            "generate_instance",
            "instance_from_dict",
            "instance_from_frames",
            "load_instance",
            "load_solution",
        ),
        "allocator.io",
    ),
    "SolveParams": "allocator.parameters",
    **dict.fromkeys(("Progress", "SolveResult", "solve"), "allocator.pipeline"),
    **dict.fromkeys(
        ("HeadcountOptions", "SegmentDesign", "design_rows", "plan_headcount", "run_sweep"),
        "allocator.planning",
    ),
    **dict.fromkeys(("build_report", "write_report"), "allocator.report"),
    **dict.fromkeys(
        (
            "Account",
            "Csm",
            "InputError",
            "Instance",
            "Pair",
            "Plan",
            "Policy",
            "Problem",
            "Segment",
            "Solution",
            "with_fewest_moves",
        ),
        "allocator.schema",
    ),
}
"""Each public name and the subpackage it lives in."""

__all__ = [
    "Account", "CheckReport", "Checker", "Csm", "Diagnosis", "HeadcountOptions",
    "ImportOptions", "Imported", "InputError", "Instance", "MoveReason", "Pair", "Plan",
    "Policy", "Problem", "Progress", "Segment", "SegmentDesign", "Solution", "SolveParams",
    "SolveResult", "TradeoffPoint", "binding_limits", "build_report", "check", "design_rows",
    "diagnose", "diff_plans", "explain_infeasibility", "generate_instance", "handoff",
    "import_accounts", "import_files", "import_frames", "instance_from_dict",
    "instance_from_frames", "load_instance", "load_solution", "move_list", "move_reasons",
    "plan_headcount", "run_sweep", "run_tradeoff", "solve", "what_ifs", "why_lines",
    "with_fewest_moves", "write_report",
]  # fmt: skip


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'allocator' has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_HOMES})
