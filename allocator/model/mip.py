"""A MIP baseline: the CP-SAT model's variables, rules and objective, solved by HiGHS.

For benchmark comparison only. The model mirrors `allocator.model.context` and `allocator.model.rules`
rule by rule: binary x[account, csm] for the pairs `Facts.eligibility.allowed` permits
(named accounts only), the same hard rules and the same objective terms, each held in
hundredths of its natural unit and weighted by `policy.weights`. HiGHS is called through
OR-Tools MathOpt; where that HiGHS is missing, SCIP through `pywraplp` stands in.

The reported objective is recomputed from the plan alone (auxiliary deviation and excess
variables taken at their tightest), so it is the checker's objective for that plan even
when a time limit stops the solver with slack in those variables; `solver_objective` is
what the solver itself reported.
"""

from __future__ import annotations

import datetime as dt
import math
import time
from dataclasses import dataclass, field
from datetime import timedelta
from functools import cache
from typing import Any, Literal

from allocator.facts.blocks import Block
from allocator.schema.instance import Instance
from allocator.facts.derived import UNITS, Facts

Status = Literal["OPTIMAL", "FEASIBLE", "INFEASIBLE", "UNKNOWN"]
SolverName = Literal["highs", "scip"]
TERMS = ["balance", "moves", "renewal_bunching", "pair_cost", "specialization"]
INF = math.inf
# Objective is minimised in weighted hundredths; stop only when the gap is below this.
ABSOLUTE_GAP = 1e-6
# An LP optimum is trusted as a bound only this far (relative) below the reported value,
# beyond the solvers' optimality tolerances.
LP_SAFETY = 1e-6

Coefs = dict[int, float]


@dataclass
class MipResult:
    """A MIP solve's outcome; `owners` is empty when no plan was found."""

    status: Status
    objective: float | None
    bound: float | None
    seconds: float
    owners: dict[str, str | None]
    solver: str = "highs"
    solver_objective: float | None = None
    terms: dict[str, float] = field(default_factory=dict)


@dataclass
class _Affine:
    coefs: Coefs = field(default_factory=dict)
    constant: float = 0.0

    def value(self, values: list[float]) -> float:
        return self.constant + sum(c * values[i] for i, c in self.coefs.items())


@dataclass
class _Model:
    """A solver-neutral MIP: variables, ranged rows, and objective terms in hundredths."""

    names: list[str] = field(default_factory=list)
    lower: list[float] = field(default_factory=list)
    upper: list[float] = field(default_factory=list)
    integer: list[bool] = field(default_factory=list)
    rows: list[tuple[Coefs, float, float]] = field(default_factory=list)
    terms: dict[str, _Affine] = field(default_factory=dict)
    # Auxiliary variable -> the expressions it must be at least (and 0): its tight value.
    tight: dict[int, list[_Affine]] = field(default_factory=dict)

    def var(self, name: str, lower: float, upper: float, integer: bool = True) -> int:
        self.names.append(name)
        self.lower.append(lower)
        self.upper.append(upper)
        self.integer.append(integer)
        return len(self.names) - 1

    def row(self, coefs: Coefs, lower: float = -INF, upper: float = INF) -> None:
        self.rows.append((coefs, lower, upper))

    def at_least(self, aux: int, expr: _Affine) -> None:
        """aux >= expr, remembered so the tight value of aux can be recomputed."""
        coefs = {i: -c for i, c in expr.coefs.items()}
        coefs[aux] = coefs.get(aux, 0.0) + 1.0
        self.row(coefs, lower=expr.constant)
        self.tight.setdefault(aux, []).append(expr)


@dataclass
class _Built:
    model: _Model
    x: dict[tuple[str, str], int]
    by_account: dict[str, list[tuple[str, int]]]
    by_csm: dict[str, list[tuple[str, int]]]
    accounts: list[str] = field(default_factory=list)  # the named accounts modelled
    csms: list[str] = field(default_factory=list)  # the active CSMs modelled
    whole: bool = True  # the whole book, not one block


def _plus(*parts: Coefs) -> Coefs:
    out: Coefs = {}
    for part in parts:
        for i, c in part.items():
            out[i] = out.get(i, 0.0) + c
    return out


# --- the rules, one function each, mirroring allocator/rules/*.py ---------------------------

def _create_variables(facts: Facts, block: Block | None) -> _Built:
    accounts = list(block.accounts) if block is not None else list(facts.named_accounts)
    csms = list(block.csms) if block is not None else list(facts.active_csms)
    built = _Built(model=_Model(), x={}, by_account={}, by_csm={}, accounts=accounts,
                   csms=csms, whole=block is None)
    for account_id in accounts:
        pairs = []
        for csm_id in facts.eligibility.allowed[account_id]:
            var = built.model.var(f"x[{account_id},{csm_id}]", 0, 1)
            built.x[(account_id, csm_id)] = var
            pairs.append((csm_id, var))
            built.by_csm.setdefault(csm_id, []).append((account_id, var))
        built.by_account[account_id] = pairs
    return built


def _one_owner(facts: Facts, b: _Built) -> None:
    for account_id in b.accounts:
        b.model.row({v: 1.0 for _, v in b.by_account[account_id]}, 1, 1)


def _account_caps(facts: Facts, b: _Built) -> None:
    for csm_id, pairs in b.by_csm.items():
        by_segment: dict[str, list[int]] = {}
        for account_id, var in pairs:
            segment = facts.segment_of[account_id]
            if segment is not None:
                by_segment.setdefault(segment, []).append(var)
        for segment, variables in by_segment.items():
            cap = facts.account_cap(csm_id, segment)
            if cap is not None and cap < len(variables):
                b.model.row(dict.fromkeys(variables, 1.0), upper=cap)


def _effort_capacity(facts: Facts, b: _Built) -> None:
    for csm_id, pairs in b.by_csm.items():
        efforts = [facts.effort(a, csm_id) for a, _ in pairs]
        capacity = facts.capacity(csm_id)
        if sum(efforts) > capacity:
            b.model.row({v: float(e) for (_, v), e in zip(pairs, efforts, strict=True)},
                        upper=capacity)


def _renewal_spread(facts: Facts, b: _Built) -> None:
    spread = facts.instance.policy.renewal_spread
    if spread.max_per_window is None:
        return
    limit = spread.max_per_window
    excess_vars: list[int] = []
    for csm_id, pairs in b.by_csm.items():
        by_window: dict[str, list[int]] = {}
        for account_id, var in pairs:
            by_window.setdefault(facts.window_of(account_id), []).append(var)
        for window, variables in sorted(by_window.items()):
            if len(variables) <= limit:
                continue
            count = dict.fromkeys(variables, 1.0)
            if spread.hard:
                b.model.row(count, upper=limit)
            else:
                excess = b.model.var(f"excess[{csm_id},{window}]", 0, len(variables) - limit)
                b.model.at_least(excess, _Affine(count, -limit))
                excess_vars.append(excess)
    if not spread.hard:
        b.model.terms["renewal_bunching"] = _Affine(dict.fromkeys(excess_vars, 100.0))


def _balance(facts: Facts, b: _Built) -> None:
    deviations: list[int] = []
    modelled = set(b.csms)
    for csm_id, target in sorted(facts.balance_target.items()):
        if csm_id not in modelled:
            continue
        pairs = b.by_csm.get(csm_id, [])
        efforts = [facts.effort(a, csm_id) for a, _ in pairs]
        load = {v: float(e) for (_, v), e in zip(pairs, efforts, strict=True)}
        free = facts.balance_tolerance(csm_id)
        top = max(target, min(sum(efforts), facts.capacity(csm_id)) - target) - free
        deviation = b.model.var(f"deviation[{csm_id}]", 0, max(top, 0))
        b.model.at_least(deviation, _Affine(load, -target - free))
        b.model.at_least(deviation, _Affine({v: -e for v, e in load.items()}, target - free))
        deviations.append(deviation)
        slack = facts.band_slack(csm_id)
        if slack is not None:
            b.model.row(load, lower=target - slack, upper=target + slack)
    b.model.terms["balance"] = _Affine(dict.fromkeys(deviations, 1.0))


def _keep_variables(facts: Facts, b: _Built) -> list[int]:
    """x[account, current owner] for every account whose current owner may keep it."""
    keeps = []
    for account_id in b.accounts:
        current = facts.accounts[account_id].current_csm
        if current is not None and (account_id, current) in b.x:
            keeps.append(b.x[(account_id, current)])
    return keeps


def _moves(facts: Facts, b: _Built) -> None:
    cost = round(facts.instance.policy.continuity.cost_per_move * 100)
    keeps = _keep_variables(facts, b)
    # A block counts its own accounts; the whole book also counts pooled accounts that had
    # an owner (always moved).
    counted = facts.instance.accounts if b.whole else [facts.accounts[a] for a in b.accounts]
    with_owner = sum(1 for a in counted if a.current_csm is not None)
    # moves = accounts with an owner - accounts kept (forced moves are never kept).
    b.model.terms["moves"] = _Affine(dict.fromkeys(keeps, -float(cost)),
                                     float(cost * with_owner))


def _move_cap(facts: Facts, b: _Built) -> None:
    cap = facts.instance.policy.continuity.max_moves
    if cap is None:
        return
    keeps = _keep_variables(facts, b)
    if len(keeps) > cap:
        b.model.row(dict.fromkeys(keeps, 1.0), lower=len(keeps) - cap)


def _families_together(facts: Facts, b: _Built) -> None:
    for root, members in sorted(facts.families.items()):
        if not any(m in b.by_account for m in members):
            continue  # another block's family
        head = root if root in b.by_account else members[0]
        for other in members:
            if other == head:
                continue
            csms = {c for c, _ in b.by_account[head]} | {c for c, _ in b.by_account[other]}
            for csm_id in sorted(csms):
                x_head = b.x.get((head, csm_id))
                x_other = b.x.get((other, csm_id))
                if x_head is not None and x_other is not None:
                    b.model.row({x_head: 1.0, x_other: -1.0}, 0, 0)
                elif x_head is not None:
                    b.model.row({x_head: 1.0}, 0, 0)
                elif x_other is not None:
                    b.model.row({x_other: 1.0}, 0, 0)


def _min_book_arr(facts: Facts, b: _Built) -> None:
    for csm_id in b.csms:
        minimum = facts.min_book_arr(csm_id)
        if minimum is None:
            continue
        pairs = b.by_csm.get(csm_id, [])
        b.model.row({v: float(round(facts.accounts[a].arr)) for a, v in pairs}, lower=minimum)


def _pair_cost(facts: Facts, b: _Built) -> None:
    costs = facts.pair_cost
    if not costs:
        return
    coefs: Coefs = {}
    for key, cost in sorted(costs.items()):
        var = b.x.get(key)
        if var is not None:
            coefs[var] = float(cost)
    b.model.terms["pair_cost"] = _Affine(coefs)


def _specialization(facts: Facts, b: _Built) -> None:
    spec = facts.instance.policy.specialization
    if spec.hard:
        return
    specialized = set(spec.verticals)
    off: list[int] = []
    for (account_id, csm_id), var in b.x.items():
        vertical = facts.accounts[account_id].vertical
        if vertical in specialized and vertical not in facts.csms[csm_id].verticals:
            off.append(var)
    b.model.terms["specialization"] = _Affine(dict.fromkeys(off, 100.0))


_RULES = [_one_owner, _account_caps, _effort_capacity, _renewal_spread, _balance, _moves,
          _move_cap, _families_together, _min_book_arr, _pair_cost, _specialization]


def build_mip(facts: Facts, block: Block | None = None) -> _Built:
    """The variables and every rule; objective terms in `model.terms` (hundredths).
    With `block`, only that block's accounts and CSMs (see `blocks.py`)."""
    built = _create_variables(facts, block)
    for rule in _RULES:
        rule(facts, built)
    return built


def _objective(facts: Facts, model: _Model) -> _Affine:
    """Sum of weight x term, in weighted hundredths of the natural units."""
    weights = facts.instance.policy.weights
    total = _Affine()
    for name, term in model.terms.items():
        weight = float(getattr(weights, name))
        if weight == 0:
            continue
        total.coefs = _plus(total.coefs, {i: weight * c for i, c in term.coefs.items()})
        total.constant += weight * term.constant
    return total


# --- backends -----------------------------------------------------------------------------

@dataclass
class _Outcome:
    status: Status
    values: list[float] | None
    objective: float | None
    bound: float | None


def to_mathopt(model: _Model, objective: _Affine, relax: bool = False) -> Any:
    """The model as a MathOpt model, built through its proto in bulk: adding variables
    and rows one Python call at a time took 8 s on bench-M, against about 1 s this way."""
    from ortools.math_opt import model_pb2
    from ortools.math_opt.python import mathopt

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


def _solve_highs(model: _Model, objective: _Affine, time_limit: float,
                 interrupter: Any = None, relax: bool = False) -> _Outcome:
    from ortools.math_opt.python import mathopt

    started = time.monotonic()
    m = to_mathopt(model, objective, relax=relax)
    variables = list(m.variables())
    left = time_limit - (time.monotonic() - started)
    params = mathopt.SolveParameters(time_limit=timedelta(seconds=max(0.01, left)),
                                     relative_gap_tolerance=0.0,
                                     absolute_gap_tolerance=ABSOLUTE_GAP)
    result: Any = mathopt.solve(m, mathopt.SolverType.HIGHS, params=params,
                                interrupter=interrupter)
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
    return _Outcome(status, values, objective_value, bound)


def _solve_scip(model: _Model, objective: _Affine, time_limit: float) -> _Outcome:
    from ortools.linear_solver import pywraplp

    solver: Any = pywraplp.Solver.CreateSolver("SCIP")
    if solver is None:
        raise RuntimeError("neither HiGHS (MathOpt) nor SCIP (pywraplp) is available")
    infinity = solver.infinity()

    def finite(v: float) -> float:
        return v if math.isfinite(v) else (infinity if v > 0 else -infinity)

    variables = [solver.Var(finite(lo), finite(hi), integer, name)
                 for name, lo, hi, integer in zip(model.names, model.lower, model.upper,
                                                  model.integer, strict=True)]
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
        return _Outcome(status, None, None, None)
    values = [float(v.solution_value()) for v in variables]
    bound = float(goal.BestBound())
    return _Outcome(status, values, float(goal.Value()),
                    bound if math.isfinite(bound) else None)


@cache
def highs_available() -> bool:
    """Whether OR-Tools' MathOpt can run HiGHS here."""
    try:
        from ortools.math_opt.python import mathopt

        m = mathopt.Model(name="probe")
        x = m.add_binary_variable(name="x")
        m.minimize(x)
        result: Any = mathopt.solve(m, mathopt.SolverType.HIGHS)
        return bool(result.termination.reason == mathopt.TerminationReason.OPTIMAL)
    except Exception:
        return False


# --- entry point --------------------------------------------------------------------------

def solve_mip(instance: Instance, time_limit: float, effective_date: dt.date | None = None,
              solver: SolverName | str = "highs") -> MipResult:
    """Solve the allocation model as a MIP (HiGHS, else SCIP) for benchmark comparison.

    `solver` is "highs" (falls back to SCIP when HiGHS is unavailable) or "scip".
    Objective and bound are in natural units, comparable with CP-SAT's and the checker's.
    """
    if solver not in ("highs", "scip"):
        raise ValueError(f"unknown MIP solver {solver!r}; use 'highs' or 'scip'")
    effective = effective_date or instance.policy.effective_date or dt.date.today()
    facts = Facts(instance, effective)
    used: SolverName = "highs" if solver == "highs" and highs_available() else "scip"
    return solve_block_mip(facts, None, time_limit, solver=used)


def solve_block_mip(facts: Facts, block: Block | None, time_limit: float,
                    solver: SolverName = "highs", interrupter: Any = None,
                    built: _Built | None = None, relax: bool = False) -> MipResult:
    """One block (or, with None, the whole book) as a MIP; `interrupter` (a MathOpt
    SolveInterrupter, HiGHS only) stops it early with the best plan and bound so far.
    `built` is the block's `build_mip`, when the caller already has it. With `relax`
    (HiGHS only), the LP relaxation: a proven bound when it solves, and no plan."""
    started = time.monotonic()
    built = built or build_mip(facts, block)
    objective = _objective(facts, built.model)
    remaining = time_limit - (time.monotonic() - started)
    if solver == "highs":
        outcome = _solve_highs(built.model, objective, remaining, interrupter, relax=relax)
    else:
        outcome = _solve_scip(built.model, objective, remaining)
    seconds = time.monotonic() - started

    result = MipResult(status=outcome.status, objective=None, bound=None,
                       seconds=round(seconds, 3), owners={}, solver=solver)
    if relax:  # only an optimal LP value is a bound; step back past the LP's tolerances
        result.status = "UNKNOWN"
        if outcome.status == "OPTIMAL" and outcome.objective is not None:
            outcome.bound = outcome.objective - LP_SAFETY * max(1.0, abs(outcome.objective))
        else:
            outcome.bound = None
        outcome.values = None
    if outcome.bound is not None and outcome.status != "INFEASIBLE":
        bound = outcome.bound
        if _integral(built.model, objective):  # every plan's value is a whole number
            bound = math.ceil(bound - 1e-6)
        result.bound = bound / UNITS
    if outcome.values is None:
        return result
    owners: dict[str, str | None] = (
        {a.id: None for a in facts.instance.accounts} if block is None
        else dict.fromkeys(block.accounts))
    for (account_id, csm_id), var in built.x.items():
        if outcome.values[var] > 0.5:
            owners[account_id] = csm_id
    result.owners = owners
    result.objective, result.terms = plan_objective(facts, built, owners)
    result.solver_objective = (outcome.objective / UNITS if outcome.objective is not None
                               else None)
    if result.bound is not None:
        result.bound = min(result.bound, result.objective)
    return result


def plan_objective(facts: Facts, built: _Built,
                   owners: dict[str, str | None]) -> tuple[float, dict[str, float]]:
    """The weighted objective and its terms for the modelled accounts' owners in `owners`,
    auxiliary variables at their tightest (the checker's value for that plan)."""
    values = [0.0] * len(built.model.names)
    for (account_id, csm_id), var in built.x.items():
        if owners.get(account_id) == csm_id:
            values[var] = 1.0
    for aux, exprs in built.model.tight.items():  # each depends on assignment variables only
        values[aux] = max(0.0, *(e.value(values) for e in exprs))
    terms = {name: 0.0 for name in TERMS}
    for name, term in built.model.terms.items():
        terms[name] = term.value(values) / UNITS
    weights = facts.instance.policy.weights
    return sum(getattr(weights, t) * terms[t] for t in TERMS), terms


def _integral(model: _Model, objective: _Affine) -> bool:
    numbers = [*objective.coefs.values(), objective.constant]
    return all(model.integer) and all(float(c).is_integer() for c in numbers)
