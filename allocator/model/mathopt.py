"""The MathOpt form of the model: every rule of `rules/` as a MIP, for HiGHS (or SCIP).

`LinearModel` is a solver-neutral MIP (variables, ranged rows, objective terms in
hundredths); `MathOptForm` builds the rules into one; `solve_highs` and `solve_scip` solve
it. HiGHS is called through OR-Tools' MathOpt, built in bulk through its proto; where that
HiGHS is missing, SCIP through `pywraplp` stands in. The counts model
(`allocator.bounds.counts`) is a `LinearModel` of its own.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from functools import cache
from typing import Any, Literal

from ortools.linear_solver import pywraplp
from ortools.math_opt import model_pb2
from ortools.math_opt.python import mathopt

from allocator.deadline import Deadline
from allocator.facts import Block, Facts
from allocator.model.form import Form, Rule
from allocator.model.rules import RULES
from allocator.schema.plan import Plan

Status = Literal["OPTIMAL", "FEASIBLE", "INFEASIBLE", "UNKNOWN"]
INF = math.inf
ABSOLUTE_GAP = 1e-6
"""The objective is minimised in weighted hundredths; stop only when the gap is below this."""

Coefs = dict[int, float]


@dataclass
class Affine:
    """A linear expression over a `LinearModel`'s variables."""

    coefs: Coefs = field(default_factory=dict)
    constant: float = 0.0

    def value(self, values: Sequence[float]) -> float:
        return self.constant + sum(c * values[i] for i, c in self.coefs.items())


@dataclass
class LinearModel:
    """A solver-neutral MIP: variables, ranged rows, and objective terms in hundredths."""

    names: list[str] = field(default_factory=list)
    lower: list[float] = field(default_factory=list)
    upper: list[float] = field(default_factory=list)
    integer: list[bool] = field(default_factory=list)
    rows: list[tuple[Coefs, float, float]] = field(default_factory=list)
    terms: dict[str, Affine] = field(default_factory=dict)

    def var(self, name: str, lower: float, upper: float, integer: bool = True) -> int:
        self.names.append(name)
        self.lower.append(lower)
        self.upper.append(upper)
        self.integer.append(integer)
        return len(self.names) - 1

    def row(self, coefs: Coefs, lower: float = -INF, upper: float = INF) -> None:
        self.rows.append((coefs, lower, upper))

    def at_least(self, aux: int, expr: Affine) -> None:
        """aux >= expr."""
        coefs = {i: -c for i, c in expr.coefs.items()}
        coefs[aux] = coefs.get(aux, 0.0) + 1.0
        self.row(coefs, lower=expr.constant)

    def integral(self, objective: Affine) -> bool:
        """Every plan's objective value is a whole number."""
        numbers = [*objective.coefs.values(), objective.constant]
        return all(self.integer) and all(float(c).is_integer() for c in numbers)


class MathOptForm(Form[int]):
    """A form whose variables are columns of a `LinearModel`."""

    def __init__(self, facts: Facts, block: Block | None = None):
        super().__init__(facts, block)
        self.model = LinearModel()

    def new_bool(self, name: str) -> int:
        return self.model.var(name, 0, 1)

    def new_int(
        self, lower: int, upper: int, name: str, value: Callable[[Plan], int] | None = None
    ) -> int:
        return self.model.var(name, lower, upper)

    def require(
        self,
        variables: Sequence[int],
        coefficients: Sequence[int],
        lower: int | None,
        upper: int | None,
        rule: str,
        subject: str,
    ) -> None:
        coefs: Coefs = {}
        for var, coefficient in zip(variables, coefficients, strict=True):
            coefs[var] = coefs.get(var, 0.0) + coefficient
        self.model.row(coefs, -INF if lower is None else lower, INF if upper is None else upper)

    def exactly_one(self, variables: Sequence[int]) -> None:
        self.model.row(dict.fromkeys(variables, 1.0), 1, 1)

    def add_term(
        self, name: str, variables: Sequence[int], coefficients: Sequence[int], constant: int = 0
    ) -> None:
        coefs: Coefs = {}
        for var, coefficient in zip(variables, coefficients, strict=True):
            coefs[var] = coefs.get(var, 0.0) + coefficient
        self.model.terms[name] = Affine(coefs, float(constant))

    def pin(self, account_id: str, csm_id: str) -> None:
        var = self.x.get((account_id, csm_id))
        if var is None:
            self.model.row({}, 1, 1)  # 0 = 1: no plan
        else:
            self.model.row({var: 1.0}, 1, 1)

    def weighted_objective(self) -> Affine:
        """Sum of weight x term, in weighted hundredths of the natural units."""
        weights = self.facts.instance.policy.weights
        total = Affine()
        for name, term in self.model.terms.items():
            weight = float(getattr(weights, name))
            if weight == 0:
                continue
            for i, c in term.coefs.items():
                total.coefs[i] = total.coefs.get(i, 0.0) + weight * c
            total.constant += weight * term.constant
        return total


def build_mip(
    facts: Facts,
    block: Block | None = None,
    *,
    rules: Sequence[Rule] = RULES,
    pins: dict[str, str] | None = None,
) -> MathOptForm:
    """The MathOpt form of a block (or, with None, the whole book): every rule."""
    form = MathOptForm(facts, block)
    form.build(rules, pins)
    return form


@dataclass
class LpOutcome:
    """What a MIP or LP solver returned: column values of its plan, objective, bound."""

    status: Status
    values: list[float] | None
    objective: float | None
    bound: float | None
    reduced_costs: list[float] | None = None
    """Per column, for an LP with a dual solution: how much a unit of it would add."""


def to_mathopt(model: LinearModel, objective: Affine, relax: bool = False) -> Any:
    """The model as a MathOpt model, built through its proto in bulk: adding variables
    and rows one Python call at a time is several times slower on bench-M."""
    proto = model_pb2.ModelProto(name="allocator")
    count = len(model.names)
    proto.variables.ids.extend(range(count))
    proto.variables.lower_bounds.extend(model.lower)
    proto.variables.upper_bounds.extend(model.upper)
    proto.variables.integers.extend([False] * count if relax else model.integer)
    proto.objective.offset = objective.constant
    columns = sorted(i for i, c in objective.coefs.items() if c != 0)
    proto.objective.linear_coefficients.ids.extend(columns)
    proto.objective.linear_coefficients.values.extend(objective.coefs[i] for i in columns)
    proto.linear_constraints.ids.extend(range(len(model.rows)))
    proto.linear_constraints.lower_bounds.extend(lower for _, lower, _ in model.rows)
    proto.linear_constraints.upper_bounds.extend(upper for _, _, upper in model.rows)
    row_ids: list[int] = []
    column_ids: list[int] = []
    values: list[float] = []
    for row, (coefs, _, _) in enumerate(model.rows):
        ordered = sorted(i for i, c in coefs.items() if c != 0)  # the proto wants row-major
        row_ids.extend([row] * len(ordered))
        column_ids.extend(ordered)
        values.extend(coefs[i] for i in ordered)
    matrix = proto.linear_constraint_matrix
    matrix.row_ids.extend(row_ids)
    matrix.column_ids.extend(column_ids)
    matrix.coefficients.extend(values)
    return mathopt.Model.from_model_proto(proto)


def solve_highs(
    model: LinearModel,
    objective: Affine,
    time_limit: float,
    interrupter: Any = None,
    relax: bool = False,
) -> LpOutcome:
    deadline = Deadline.after(time_limit)
    m = to_mathopt(model, objective, relax=relax)
    return solve_built(m, deadline.left(), interrupter)


def solve_built(
    m: Any, time_limit: float, interrupter: Any = None, lp_algorithm: Any = None
) -> LpOutcome:
    """HiGHS on a model from `to_mathopt`; `lp_algorithm` (a MathOpt `LPAlgorithm`) for
    an LP, else HiGHS's own choice."""
    variables = list(m.variables())
    params = mathopt.SolveParameters(
        time_limit=timedelta(seconds=max(0.01, time_limit)),
        relative_gap_tolerance=0.0,
        absolute_gap_tolerance=ABSOLUTE_GAP,
        lp_algorithm=lp_algorithm,
    )
    result: Any = mathopt.solve(m, mathopt.SolverType.HIGHS, params=params, interrupter=interrupter)
    reason = result.termination.reason
    reasons = mathopt.TerminationReason
    has_solution = bool(result.has_primal_feasible_solution())
    status: Status
    if reason == reasons.OPTIMAL:
        status = "OPTIMAL"
    elif reason in (reasons.INFEASIBLE, reasons.INFEASIBLE_OR_UNBOUNDED):
        status = "INFEASIBLE"  # every variable is bounded: never unbounded
    else:
        status = "FEASIBLE" if has_solution else "UNKNOWN"
    if status == "OPTIMAL" and not has_solution:
        status = "UNKNOWN"
    values = None
    objective_value = None
    if has_solution and status != "INFEASIBLE":
        values = [float(v) for v in result.variable_values(variables)]
        objective_value = float(result.objective_value())
    dual = float(result.termination.objective_bounds.dual_bound)
    bound = dual if math.isfinite(dual) else None
    reduced = None
    if values is not None and result.has_dual_feasible_solution():
        reduced = [float(v) for v in result.reduced_costs(variables)]
    return LpOutcome(status, values, objective_value, bound, reduced)


def solve_scip(model: LinearModel, objective: Affine, time_limit: float) -> LpOutcome:
    solver: Any = pywraplp.Solver.CreateSolver("SCIP")
    if solver is None:
        raise RuntimeError("neither HiGHS (MathOpt) nor SCIP (pywraplp) is available")
    infinity = solver.infinity()

    def finite(v: float) -> float:
        return v if math.isfinite(v) else (infinity if v > 0 else -infinity)

    variables = [
        solver.Var(finite(lo), finite(hi), integer, name)
        for name, lo, hi, integer in zip(
            model.names, model.lower, model.upper, model.integer, strict=True
        )
    ]
    for coefs, lower, upper in model.rows:
        row = solver.RowConstraint(finite(lower), finite(upper), "")
        for i, c in coefs.items():
            row.SetCoefficient(variables[i], c)
    goal = solver.Objective()
    for i, c in objective.coefs.items():
        goal.SetCoefficient(variables[i], c)
    goal.SetOffset(objective.constant)
    goal.SetMinimization()
    solver.SetTimeLimit(max(10, round(time_limit * 1000)))
    params = pywraplp.MPSolverParameters()
    params.SetDoubleParam(pywraplp.MPSolverParameters.RELATIVE_MIP_GAP, 0.0)
    code = solver.Solve(params)
    status: Status
    if code == pywraplp.Solver.OPTIMAL:
        status = "OPTIMAL"
    elif code == pywraplp.Solver.FEASIBLE:
        status = "FEASIBLE"
    elif code == pywraplp.Solver.INFEASIBLE:
        status = "INFEASIBLE"
    else:
        status = "UNKNOWN"
    if status not in ("OPTIMAL", "FEASIBLE"):
        return LpOutcome(status, None, None, None)
    values = [float(v.solution_value()) for v in variables]
    bound = float(goal.BestBound())
    return LpOutcome(status, values, float(goal.Value()), bound if math.isfinite(bound) else None)


@cache
def highs_available() -> bool:
    """Whether OR-Tools' MathOpt can run HiGHS here."""
    try:
        m = mathopt.Model(name="probe")
        x = m.add_binary_variable(name="x")
        m.minimize(x)
        result: Any = mathopt.solve(m, mathopt.SolverType.HIGHS)
        return bool(result.termination.reason == mathopt.TerminationReason.OPTIMAL)
    except Exception:
        return False
