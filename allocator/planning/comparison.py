"""The comparison of a sweep's scenarios: one row each, as CSV and as a self-contained
HTML page with plotly charts."""

from __future__ import annotations

import statistics
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import pandas as pd
import plotly.graph_objects as go
from plotly.offline import get_plotlyjs
from plotly.subplots import make_subplots

from allocator.io.pages import with_csp
from allocator.report.charts import chart_html
from allocator.report.markup import CSS, TableRow, e, label_text, table
from allocator.schema.instance import Instance
from allocator.schema.solution import Solution


@dataclass(frozen=True)
class ComparisonRow:
    """One scenario's figures."""

    scenario: str
    status: str
    checker: str
    objective: float | None = None
    bound: float | None = None
    gap: float | None = None
    moves: int | None = None
    forced_moves: int | None = None
    csms: int = 0
    csm_cost: float = 0.0
    utilisation_max: float | None = None
    utilisation_min: float | None = None
    utilisation_cv: float | None = None
    solve_seconds: float | None = None
    wall_seconds: float | None = None
    error: str = ""
    cost_to_arr: dict[str, float | None] = field(default_factory=dict)
    targets: dict[str, float] = field(default_factory=dict)

    def flat(self) -> dict[str, Any]:
        row = asdict(self)
        shares = row.pop("cost_to_arr")
        row.pop("targets")
        for segment, value in shares.items():
            row[f"cost_to_arr_{segment}"] = value
        return row


def comparison_row(
    name: str,
    instance: Instance,
    solution: Solution | None,
    checker: str,
    wall_seconds: float | None,
    error: str = "",
) -> ComparisonRow:
    """The row of one scenario; figures come from the checked solution."""
    active = [c for c in instance.csms if not c.leaving]
    row = ComparisonRow(
        scenario=name,
        status="FAILED" if error else "NO PLAN",
        checker=checker,
        csms=len(active),
        csm_cost=round(sum(c.annual_cost for c in active), 2),
        wall_seconds=wall_seconds,
        error=error,
        targets={s.name: s.cost_to_arr_target for s in instance.policy.segments},
    )
    if solution is None:
        return row
    utilisation = [
        r.utilisation for r in solution.csm_summary if not r.leaving and r.ramped_capacity > 0
    ]
    mean = statistics.fmean(utilisation) if utilisation else 0.0
    cv = statistics.pstdev(utilisation) / mean if len(utilisation) > 1 and mean > 0 else None
    return replace(
        row,
        status=solution.status,
        objective=solution.objective,
        bound=solution.bound,
        gap=solution.gap,
        moves=solution.moves,
        forced_moves=solution.forced_moves,
        utilisation_max=max(utilisation, default=None),
        utilisation_min=min(utilisation, default=None),
        utilisation_cv=None if cv is None else round(cv, 4),
        solve_seconds=solution.solve_seconds,
        cost_to_arr={r.segment: r.cost_to_arr for r in solution.segment_summary if not r.pooled},
    )


def comparison_frame(rows: list[ComparisonRow]) -> pd.DataFrame:
    return pd.DataFrame([r.flat() for r in rows])


def _figure(rows: list[ComparisonRow]) -> go.Figure:
    names = [label_text(r.scenario) for r in rows]
    fig = make_subplots(
        rows=2,
        cols=2,
        subplot_titles=(
            "objective and proven bound (lower is better)",
            "moves (voluntary + forced)",
            "cost / ARR per segment (dotted: target)",
            "utilisation per CSM: max, min (effort / capacity)",
        ),
        vertical_spacing=0.16,
    )
    fig.add_bar(x=names, y=[r.objective for r in rows], name="objective", row=1, col=1)
    fig.add_bar(x=names, y=[r.bound for r in rows], name="bound", row=1, col=1)
    fig.add_bar(x=names, y=[r.moves for r in rows], name="moves", row=1, col=2)
    segments = sorted({s for r in rows for s in r.cost_to_arr})
    for segment in segments:
        fig.add_bar(
            x=names,
            y=[r.cost_to_arr.get(segment) for r in rows],
            name=label_text(f"cost/ARR {segment}"),
            row=2,
            col=1,
        )
        targets = [r.targets.get(segment) for r in rows]
        fig.add_scatter(
            x=names,
            y=targets,
            mode="lines",
            line={"dash": "dot"},
            name=label_text(f"target {segment}"),
            row=2,
            col=1,
        )
    fig.add_scatter(
        x=names, y=[r.utilisation_max for r in rows], mode="markers", name="max", row=2, col=2
    )
    fig.add_scatter(
        x=names, y=[r.utilisation_min for r in rows], mode="markers", name="min", row=2, col=2
    )
    fig.update_layout(barmode="group")
    return fig


def _cell(value: object, spec: str = ",.2f") -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return format(value, spec)
    return str(value)


def comparison_page(title: str, rows: list[ComparisonRow]) -> str:
    """A self-contained page: the table and the charts (plotly.js inline, no network)."""
    segments = sorted({s for r in rows for s in r.cost_to_arr})
    headers = [
        "scenario",
        "status",
        "checker",
        "objective",
        "bound",
        "gap",
        "moves",
        "CSMs",
        "CSM cost",
        *[f"cost/ARR {s}" for s in segments],
        "util. max",
        "util. min",
        "util. CV",
        "wall s",
        "error",
    ]
    body: list[TableRow] = []
    for r in rows:
        cells = [
            r.scenario,
            r.status,
            r.checker,
            _cell(r.objective),
            _cell(r.bound),
            _cell(r.gap, ".2%"),
            _cell(r.moves),
            _cell(r.csms),
            _cell(r.csm_cost, ",.0f"),
            *[_cell(r.cost_to_arr.get(s), ".1%") for s in segments],
            _cell(r.utilisation_max, ".0%"),
            _cell(r.utilisation_min, ".0%"),
            _cell(r.utilisation_cv, ".3f"),
            _cell(r.wall_seconds, ",.1f"),
            r.error,
        ]
        body.append(({}, cells))
    numeric = set(range(3, len(headers) - 1))
    chart = chart_html(_figure(rows), "comparison", 760) if rows else ""
    page = (
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{e(title)}</title>"
        f"<style>{CSS}</style><script>{get_plotlyjs()}</script></head><body><main>"
        f"<h1>{e(title)}</h1><p class='sub'>{len(rows)} scenarios; every plan re-checked "
        "by the independent checker</p>"
        f"{table('scenarios', headers, body, numeric)}{chart}</main></body></html>"
    )
    return with_csp(page)
