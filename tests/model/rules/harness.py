"""Each rule both ways, in both forms of the model, against the checker.

A case is a tiny instance with a `bad` plan (breaks the case's rule and nothing else) and a
`good` plan (breaks nothing); plans list every account, pooled accounts map to None.
`assert_case` pins each plan in the CP-SAT form and in the MathOpt form of the model (the
rule's two forms, written once in `allocator/model/rules/`) and in the whole solve, and
holds all of them to the checker: the bad plan is infeasible everywhere and the checker
names exactly the rule; the good plan is feasible everywhere, at the checker's objective.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from ortools.sat.python import cp_model

from allocator.facts import UNITS, Facts
from allocator.model import build_mip, build_model
from allocator.model.mathopt import solve_highs
from allocator.schema import Instance, Plan
from tests.builders import EFFECTIVE, check_plan, rule_names, run


@dataclass
class Case:
    id: str
    rule: str
    subject: str
    build: Callable[[], Instance]
    bad: dict[str, str | None]
    good: dict[str, str | None]


def pins_of(plan: Plan) -> dict[str, str]:
    return {a: c for a, c in plan.items() if c is not None}


def solve_cpsat_form(instance: Instance, plan: Plan) -> tuple[str, float | None]:
    """(status, objective) of the CP-SAT form with every account of `plan` pinned."""
    built = build_model(Facts(instance, EFFECTIVE), pins=pins_of(plan))
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = 10
    solver.parameters.num_workers = 1
    status = solver.solve(built.model)
    if status == cp_model.INFEASIBLE:
        return "INFEASIBLE", None
    assert status == cp_model.OPTIMAL
    return "OPTIMAL", built.objective_value(solver.objective_value)


def solve_mathopt_form(instance: Instance, plan: Plan) -> tuple[str, float | None]:
    """(status, objective) of the MathOpt form (HiGHS) with every account pinned."""
    form = build_mip(Facts(instance, EFFECTIVE), pins=pins_of(plan))
    outcome = solve_highs(form.model, form.weighted_objective(), 10.0)
    if outcome.status == "INFEASIBLE":
        return "INFEASIBLE", None
    assert outcome.status == "OPTIMAL" and outcome.objective is not None
    return "OPTIMAL", outcome.objective / UNITS


def modelled(instance: Instance, plan: Plan) -> bool:
    """Whether every pinned account is modelled (a pooled one is not: pooled_segments is
    enforced by leaving it out of every form)."""
    facts = Facts(instance, EFFECTIVE)
    return all(a in facts.named_accounts for a in pins_of(plan))


def assert_case(case: Case) -> None:
    instance = case.build()
    bad = check_plan(instance, case.bad)
    assert rule_names(bad) == {case.rule}
    assert case.subject in {v.subject for v in bad.violations}
    good = check_plan(instance, case.good)
    assert good.violations == []

    if modelled(instance, case.bad):
        assert solve_cpsat_form(instance, case.bad) == ("INFEASIBLE", None)
        assert solve_mathopt_form(instance, case.bad) == ("INFEASIBLE", None)
    else:
        facts = Facts(instance, EFFECTIVE)
        outside = [a for a in pins_of(case.bad) if a not in facts.named_accounts]
        assert outside and all(facts.is_pooled(a) for a in outside)
    for solve_form in (solve_cpsat_form, solve_mathopt_form):
        status, objective = solve_form(instance, case.good)
        assert status == "OPTIMAL"
        assert objective == pytest.approx(good.objective, abs=1e-6)

    refused = run(instance, pins=pins_of(case.bad), time_limit=5)
    assert refused.solution.status == "INFEASIBLE" and refused.solution.assignments == []
    kept = run(instance, pins=pins_of(case.good), time_limit=5)
    assert kept.solution.status in ("OPTIMAL", "FEASIBLE")
    assert kept.solution.violations == [] and kept.owners == case.good
    free = run(instance, time_limit=5)
    assert free.solution.status == "OPTIMAL"
    assert rule_names(check_plan(instance, free.owners)) == set()


def assert_term(instance: Instance, plan: Plan, term: str, value: float) -> None:
    """An objective-only rule: its term in the checker, and the objective of both forms
    with the plan pinned, equal the checker's."""
    report = check_plan(instance, plan)
    assert report.violations == []
    assert report.terms[term] == pytest.approx(value)
    for solve_form in (solve_cpsat_form, solve_mathopt_form):
        status, objective = solve_form(instance, plan)
        assert status == "OPTIMAL"
        assert objective == pytest.approx(report.objective, abs=1e-6)
