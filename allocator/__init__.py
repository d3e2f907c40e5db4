"""allocator: assign customer accounts to CSMs with CP-SAT, and prove how good the plan is.

Everything the README shows is importable from here; each concern also has its own
subpackage (`allocator.crm`, `allocator.analysis`, `allocator.explain`, ...).
"""

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

__all__ = [
    "Account",
    "CheckReport",
    "Checker",
    "Csm",
    "Diagnosis",
    "ImportOptions",
    "Imported",
    "InputError",
    "Instance",
    "MoveReason",
    "Pair",
    "Plan",
    "Policy",
    "Problem",
    "Progress",
    "Segment",
    "Solution",
    "SolveParams",
    "SolveResult",
    "TradeoffPoint",
    "binding_limits",
    "build_report",
    "check",
    "diagnose",
    "diff_plans",
    "explain_infeasibility",
    "generate_instance",
    "handoff",
    "import_accounts",
    "import_files",
    "import_frames",
    "instance_from_dict",
    "instance_from_frames",
    "load_instance",
    "load_solution",
    "move_list",
    "move_reasons",
    "run_tradeoff",
    "solve",
    "what_ifs",
    "why_lines",
    "with_fewest_moves",
    "write_report",
]
