"""The optimisation model: one module per business rule (`rules/`), written once against
`Form` and built for CP-SAT (`cpsat.py`) or MathOpt/HiGHS (`mathopt.py`, `mip.py`)."""

from allocator.model.cpsat import CpSatForm, CpSatModel, build_model
from allocator.model.form import Form, Rule
from allocator.model.mathopt import MathOptForm, build_mip, highs_available
from allocator.model.mip import MipResult, solve_block_mip, solve_mip
from allocator.model.rules import RULES
from allocator.model.run import Incumbent, RunOutcome, run_cpsat

__all__ = [
    "RULES",
    "CpSatForm",
    "CpSatModel",
    "Form",
    "Incumbent",
    "MathOptForm",
    "MipResult",
    "Rule",
    "RunOutcome",
    "build_mip",
    "build_model",
    "highs_available",
    "run_cpsat",
    "solve_block_mip",
    "solve_mip",
]
