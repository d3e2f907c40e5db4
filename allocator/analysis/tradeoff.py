"""The moves / balance trade-off: the best plan for each move budget.

Each point solves the instance with `policy.continuity.max_moves` set to its budget and the
moves weight set to 0, so the objective is balance (plus the policy's other soft terms, or
balance alone with `balance_only`). Budgets are solved smallest first, each warm-started from
the previous point's plan: a plan within budget k is within any larger budget, so the curve
can only go down. Should the solver still return something worse in its time, the earlier
plan is kept and the point says so. Every point's plan goes through the checker.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go

from allocator.checker import check
from allocator.io.files import write_atomic
from allocator.io.pages import with_csp
from allocator.parameters import DEFAULT_WORKERS
from allocator.pipeline import SolveResult, solve
from allocator.schema.instance import Instance, effective_date_of, with_fewest_moves
from allocator.schema.plan import Plan
from allocator.schema.solution import relative_gap

Budget = int | None  # None: no cap
DEFAULT_POINTS = "0,25,50,100,200,unlimited"
_TOLERANCE = 1e-6


@dataclass
class TradeoffPoint:
    budget: Budget
    status: str
    objective: float | None  # the weighted objective, moves excluded
    balance: float | None
    moves: int | None  # voluntary moves used (forced ones are not capped)
    forced_moves: int | None
    bound: float | None
    gap: float | None
    checker: str  # "ok", "N violations" or "no plan"
    note: str = ""
    plan: Plan | None = None

    @property
    def label(self) -> str:
        return "unlimited" if self.budget is None else str(self.budget)


def parse_points(spec: str) -> list[Budget]:
    """'0,25,50,unlimited' -> [0, 25, 50, None], sorted, duplicates dropped."""
    budgets: set[int] = set()
    unlimited = False
    for part in (p.strip() for p in spec.split(",")):
        if part.casefold() in ("unlimited", "none", "inf", "all"):
            unlimited = True
        elif part.isdigit():
            budgets.add(int(part))
        elif part:
            raise ValueError(f"not a move budget: {part!r} (use integers or 'unlimited')")
    ordered: list[Budget] = [*sorted(budgets)]
    if unlimited:
        ordered.append(None)
    if not ordered:
        raise ValueError("no move budgets given")
    return ordered


def curve_instance(instance: Instance, budget: Budget, balance_only: bool = False) -> Instance:
    """`instance` with the move cap set to `budget` and moves (and, with `balance_only`,
    every other soft term) weighted 0."""
    policy = instance.policy
    zero = {"moves": 0.0}
    if balance_only:
        zero.update(renewal_bunching=0.0, pair_cost=0.0, specialization=0.0)
    policy = policy.model_copy(
        update={
            "weights": policy.weights.model_copy(update=zero),
            "continuity": policy.continuity.model_copy(update={"max_moves": budget}),
        }
    )
    return instance.model_copy(update={"policy": policy})


def _point(
    budget: Budget,
    status: str,
    instance: Instance,
    plan: Plan,
    effective: dt.date,
    bound: float | None,
    note: str,
) -> TradeoffPoint:
    report = check(instance, plan, effective)
    objective = round(report.objective, 6)  # sums of hundredths: drop float noise
    final_bound = None if bound is None else round(min(bound, objective), 6)
    gap = relative_gap(objective, final_bound)
    return TradeoffPoint(
        budget=budget,
        status=status,
        objective=objective,
        balance=round(report.terms["balance"], 6),
        moves=report.moves - report.forced_moves,
        forced_moves=report.forced_moves,
        bound=final_bound,
        gap=None if gap is None else round(gap, 9),
        checker="ok" if report.feasible else f"{len(report.violations)} violations",
        note=note,
        plan=plan,
    )


def _choose(
    budget: Budget,
    current: Instance,
    result: SolveResult,
    previous: TradeoffPoint | None,
    effective: dt.date,
) -> TradeoffPoint:
    """The solver's plan, unless the previous point's plan (feasible here too) is better,
    or as good with fewer moves."""
    solution = result.solution
    value = solution.objective if result.feasible else None
    if previous is None or previous.plan is None or previous.objective is None:
        if value is None:
            return TradeoffPoint(
                budget=budget,
                status=solution.status,
                objective=None,
                balance=None,
                moves=None,
                forced_moves=None,
                bound=solution.bound,
                gap=None,
                checker="no plan",
                note="; ".join(solution.explanation[:1]),
            )
        return _point(
            budget, solution.status, current, result.owners, effective, solution.bound, ""
        )
    carried = check(current, previous.plan, effective)
    if not carried.feasible:  # cannot happen unless the move cap rule is broken
        raise RuntimeError(
            f"budget {previous.label}'s plan breaks budget {budget}: {carried.violations[0]}"
        )
    carried_moves = carried.moves - carried.forced_moves
    if value is not None and (
        value < carried.objective - _TOLERANCE
        or (
            value <= carried.objective + _TOLERANCE
            and solution.moves - solution.forced_moves <= carried_moves
        )
    ):
        return _point(
            budget, solution.status, current, result.owners, effective, solution.bound, ""
        )
    if value is None:
        why = f"solver found no plan ({solution.status})"
    elif value <= carried.objective + _TOLERANCE:
        why = "solver's plan is no better and uses more moves"
    else:
        why = f"solver's plan ({value:,.2f}) is worse"
    proven = solution.bound is not None and carried.objective <= solution.bound + _TOLERANCE
    return _point(
        budget,
        "OPTIMAL" if proven else "FEASIBLE",
        current,
        previous.plan,
        effective,
        solution.bound,
        f"{why}; kept budget {previous.label}'s plan",
    )


def _fewest(
    instance: Instance,
    balance_only: bool,
    time_limit: float,
    workers: int,
    seed: int,
    effective: dt.date,
) -> tuple[TradeoffPoint, int, bool]:
    """The curve's first point: the plan with the fewest voluntary moves (the
    fewest-moves pass), best on the other terms among such plans; with the proven least
    any plan makes, and whether the point's plan meets it."""
    current = with_fewest_moves(curve_instance(instance, None, balance_only))
    result = solve(
        current, time_limit=time_limit, workers=workers, seed=seed, effective_date=effective
    )
    solution = result.solution
    least = int(solution.parameters.get("fewest_voluntary_moves", 0))
    if not result.feasible:
        return _choose(None, current, result, None, effective), least, False
    voluntary = solution.moves - solution.forced_moves
    proven = bool(solution.parameters.get("fewest_moves_proven"))
    note = (
        "the fewest voluntary moves any plan can make (proven)"
        if proven
        else f"the fewest voluntary moves found; every plan makes at least {least}"
    )
    point = _point(
        voluntary,
        solution.status,
        curve_instance(instance, voluntary, balance_only),
        result.owners,
        effective,
        solution.bound,
        note,
    )
    return point, least, proven


def run_tradeoff(
    instance: Instance,
    budgets: list[Budget],
    time_limit: float = 10.0,
    workers: int = DEFAULT_WORKERS,
    seed: int = 0,
    balance_only: bool = False,
    on_point: Callable[[TradeoffPoint], None] | None = None,
) -> list[TradeoffPoint]:
    """One point per budget (ascending, unlimited last); `time_limit` is per point.

    The curve starts at the plan with the fewest voluntary moves (found first, by the
    fewest-moves pass): budgets below the proven least any plan makes are not solved (they
    come back as points without a plan, saying so), and every larger budget starts from
    that plan."""
    effective = effective_date_of(instance)
    first, least, proven = _fewest(instance, balance_only, time_limit, workers, seed, effective)
    points: list[TradeoffPoint] = []
    previous: TradeoffPoint | None = None
    for budget in sorted(b for b in budgets if b is not None and b < least):
        points.append(
            TradeoffPoint(
                budget=budget,
                status="BELOW MINIMUM",
                objective=None,
                balance=None,
                moves=None,
                forced_moves=None,
                bound=None,
                gap=None,
                checker="no plan",
                note=f"no plan can make fewer than {least} voluntary moves (proven)",
            )
        )
    if first.plan is not None and first.budget is not None:
        points.append(first)
        previous = first
        if on_point is not None:
            on_point(first)
    capped = sorted(
        b
        for b in budgets
        if b is not None
        and b >= least
        and (first.budget is None or b != first.budget or not proven)
    )
    ordered: list[Budget] = [*capped, *([None] if None in budgets else [])]
    for cap in ordered:
        current = curve_instance(instance, cap, balance_only)
        result = solve(
            current,
            time_limit=time_limit,
            workers=workers,
            seed=seed,
            effective_date=effective,
            start=None if previous is None or not _within(previous, cap) else previous.plan,
        )
        point = _choose(
            cap,
            current,
            result,
            previous if previous is not None and _within(previous, cap) else None,
            effective,
        )
        points.append(point)
        if on_point is not None:
            on_point(point)
        if point.plan is not None:
            previous = point
    points.sort(key=lambda p: (p.budget is None, p.budget if p.budget is not None else 0))
    return points


def _within(point: TradeoffPoint, budget: Budget) -> bool:
    """Whether a point's plan keeps within another budget."""
    return budget is None or (point.moves is not None and point.moves <= budget)


FRAME_COLUMNS = [
    "budget",
    "status",
    "objective",
    "balance",
    "moves",
    "forced_moves",
    "bound",
    "gap",
    "checker",
    "note",
]


def points_frame(points: list[TradeoffPoint]) -> pd.DataFrame:
    rows = [
        {
            "budget": p.label,
            "status": p.status,
            "objective": p.objective,
            "balance": p.balance,
            "moves": p.moves,
            "forced_moves": p.forced_moves,
            "bound": p.bound,
            "gap": p.gap,
            "checker": p.checker,
            "note": p.note,
        }
        for p in points
    ]
    return pd.DataFrame(rows, columns=FRAME_COLUMNS)


def is_monotone(points: list[TradeoffPoint]) -> bool:
    """Best objective non-increasing as the budget grows (points without a plan skipped)."""
    values = [p.objective for p in points if p.objective is not None]
    return all(b <= a + _TOLERANCE for a, b in itertools.pairwise(values))


def curve_measure(balance_only: bool) -> str:
    """What the curve's objective counts: balance alone, or every soft term but moves."""
    return "balance" if balance_only else "objective without moves"


def write_chart(points: list[TradeoffPoint], path: str | Path, title: str, measure: str) -> None:
    """The curve as a self-contained plotly HTML chart (plotly.js inlined: works offline)."""
    planned = [p for p in points if p.objective is not None]
    labels = [f"budget {p.label}" for p in planned]
    figure = go.Figure()
    figure.add_trace(
        go.Scatter(
            x=[p.moves for p in planned],
            y=[p.objective for p in planned],
            mode="lines+markers",
            name="best plan",
            text=labels,
        )
    )
    bounded = [p for p in planned if p.bound is not None]
    figure.add_trace(
        go.Scatter(
            x=[p.moves for p in bounded],
            y=[p.bound for p in bounded],
            mode="markers",
            name="proven bound",
            marker={"symbol": "triangle-down"},
        )
    )
    figure.update_layout(
        title=title,
        xaxis_title="voluntary moves used",
        yaxis_title=measure,
    )
    page = with_csp(figure.to_html(include_plotlyjs=True, full_html=True))
    write_atomic(Path(path), lambda tmp: tmp.write_text(page, encoding="utf-8"))
