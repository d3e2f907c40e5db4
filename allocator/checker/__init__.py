"""The independent checker: the one judge of every plan, from the raw instance and the plan
alone (`check`), and the one home of the objective outside the solver (`Checker`)."""

from allocator.checker.check import TERMS, Breach, Checker, CheckReport, Terms, check

__all__ = ["TERMS", "Breach", "CheckReport", "Checker", "Terms", "check"]
