"""Why no plan fits: the capacity pre-check (no solver), then a minimal set of rule
instances that cannot all hold, in plain language."""

from allocator.explain.capacity_check import Shortfall, capacity_check
from allocator.explain.diagnose import Diagnosis, diagnose, explain_infeasibility
from allocator.explain.precheck import pin_conflicts, stranded_accounts

__all__ = [
    "Diagnosis",
    "Shortfall",
    "capacity_check",
    "diagnose",
    "explain_infeasibility",
    "pin_conflicts",
    "stranded_accounts",
]
