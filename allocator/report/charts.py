"""The report's charts (plotly): effort against capacity, renewals by CSM and window, and
books before and after. Every label from the files is escaped (`markup.label_text`)."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import plotly.graph_objects as go
import plotly.io as pio

from allocator.facts import UNITS, Facts, renewal_window
from allocator.report.markup import label_text
from allocator.schema.instance import Instance
from allocator.schema.solution import Solution

CHART_IDS = ("chart-effort", "chart-renewals", "chart-books-accounts", "chart-books-effort")
"""The div id of each chart, in page order (a plan always gets all four)."""


POOLED_ROW = "(pooled)"


NO_OWNER_ROW = "(no owner)"


_PLOT_CONFIG = {"displaylogo": False, "responsive": True, "showSendToCloud": False}


_BAR, _BAR_OUT, _BEFORE, _AFTER = "#4c78a8", "#d62728", "#b0b7c3", "#4c78a8"


@dataclass
class Books:
    """Accounts and effort per CSM."""

    accounts: Counter[str] = field(default_factory=Counter)
    effort: defaultdict[str, float] = field(default_factory=lambda: defaultdict(float))


def books_before_after(facts: Facts, solution: Solution) -> tuple[Books, Books]:
    """Books before (from `current_csm`) and after (from the solution's assignments)."""
    before, after = Books(), Books()
    for account in facts.instance.accounts:
        if account.current_csm is not None:
            before.accounts[account.current_csm] += 1
            before.effort[account.current_csm] += (
                facts.effort(account.id, account.current_csm) / UNITS
            )
    for row in solution.assignments:
        if row.csm is not None:
            after.accounts[row.csm] += 1
            after.effort[row.csm] += row.effort
    return before, after


def csm_labels(instance: Instance, width: int | None = None) -> dict[str, str]:
    """CSM id -> display label, unique: 'Name (id)', or the id alone; names cut to `width`."""
    labels = {}
    for csm in instance.csms:
        name = csm.name
        if width is not None and len(name) > width:
            name = name[: width - 1] + "…"
        text = f"{name} ({csm.id})" if name and csm.name != csm.id else csm.id
        labels[csm.id] = text + (" [leaving]" if csm.leaving else "")
    return labels


def chart_html(fig: go.Figure, div_id: str, height: int) -> str:
    fig.update_layout(
        height=height,
        margin={"l": 60, "r": 20, "t": 30, "b": 40},
        template="plotly_white",
        legend={"orientation": "h", "y": 1.02, "yanchor": "bottom"},
    )
    return str(
        pio.to_html(
            fig,
            config=_PLOT_CONFIG,
            include_plotlyjs=False,
            full_html=False,
            div_id=div_id,
            default_height=f"{height}px",
        )
    )


def effort_figure(solution: Solution, labels: Mapping[str, str], band: float | None) -> go.Figure:
    rows = [r for r in solution.csm_summary if not (r.leaving and r.accounts == 0)]
    x = [label_text(labels.get(r.csm, r.csm)) for r in rows]
    width = [
        band * r.ramped_capacity if band is not None and r.target_effort is not None else 0.0
        for r in rows
    ]
    outside = [
        band is not None
        and r.target_effort is not None
        and abs(r.effort - r.target_effort) > w + 1e-6
        for r, w in zip(rows, width, strict=True)
    ]
    fig = go.Figure()
    fig.add_bar(
        x=x,
        y=[r.effort for r in rows],
        name="effort (after)",
        marker_color=[_BAR_OUT if o else _BAR for o in outside],
        customdata=[[r.ramped_capacity, r.utilisation, r.accounts] for r in rows],
        hovertemplate="%{x}<br>effort %{y:.1f} of %{customdata[0]:.1f} "
        "(%{customdata[1]:.0%}), %{customdata[2]} accounts<extra></extra>",
    )
    fig.add_scatter(
        x=x,
        y=[r.ramped_capacity for r in rows],
        mode="markers",
        name="capacity x ramp",
        marker={"symbol": "line-ew-open", "size": 26, "color": "#333", "line": {"width": 3}},
        hovertemplate="%{x}<br>capacity %{y:.1f}<extra></extra>",
    )
    targets = [
        (xi, r.target_effort, w)
        for xi, r, w in zip(x, rows, width, strict=True)
        if r.target_effort is not None
    ]
    if targets:
        name = "balance target" + (f" ± {band:g} x capacity" if band is not None else "")
        fig.add_scatter(
            x=[t[0] for t in targets],
            y=[t[1] for t in targets],
            mode="markers",
            name=name,
            marker={"symbol": "diamond", "size": 9, "color": "#f58518"},
            error_y={
                "type": "data",
                "array": [t[2] for t in targets],
                "visible": band is not None,
                "thickness": 2,
                "width": 8,
                "color": "#f58518",
            },
            hovertemplate="%{x}<br>target %{y:.1f}<extra></extra>",
        )
    fig.update_layout(
        barmode="overlay", yaxis_title="effort units", xaxis={"type": "category", "tickangle": -40}
    )
    return fig


def _windows(dates: Iterable[dt.date], window: str) -> list[str]:
    """Every calendar month (or quarter) from the earliest to the latest date, gaps
    included, named as the renewal_spread rule names them."""
    ordered = sorted(dates)
    if not ordered:
        return []
    step = 3 if window == "quarter" else 1
    year, month = ordered[0].year, (ordered[0].month - 1) // step * step + 1
    found = []
    while (year, month) <= (ordered[-1].year, ordered[-1].month):
        found.append(renewal_window(dt.date(year, month, 1), window))
        month += step
        if month > 12:
            year, month = year + 1, month - 12
    return found


def renewals_figure(
    instance: Instance, solution: Solution, labels: Mapping[str, str]
) -> tuple[go.Figure, int]:
    """Renewals per CSM (and pooled, and unowned) per window: months, or quarters when the
    renewal spread is counted per quarter."""
    window = instance.policy.renewal_spread.window
    owners = solution.owners()
    pooled = {row.account for row in solution.assignments if row.pooled}
    counts: dict[tuple[int, str], Counter[str]] = defaultdict(Counter)  # (kind, CSM id)
    for account in instance.accounts:
        owner = owners.get(account.id)
        row = (
            (0, owner)
            if owner is not None
            else (1, POOLED_ROW)
            if account.id in pooled
            else (2, NO_OWNER_ROW)
        )
        counts[row][renewal_window(account.renewal_date, window)] += 1
    months = _windows((a.renewal_date for a in instance.accounts), window)
    order = [(0, c.id) for c in instance.csms if (0, c.id) in counts]
    order += [r for r in ((1, POOLED_ROW), (2, NO_OWNER_ROW)) if r in counts]
    z = [[counts[r][m] for m in months] for r in order]
    names = [labels.get(key, key) if kind == 0 else key for kind, key in order]
    fig = go.Figure(
        go.Heatmap(
            z=z,
            x=months,
            y=[label_text(n) for n in names],
            colorscale="Blues",
            zmin=0,
            xgap=1,
            ygap=1,
            text=[[str(v) if v else "" for v in line] for line in z],
            texttemplate="%{text}",
            colorbar={"title": {"text": "renewals"}},
            hovertemplate="%{y}<br>%{x}: %{z} renewals<extra></extra>",
        )
    )
    fig.update_layout(
        xaxis={"type": "category", "tickangle": -40},
        yaxis={"type": "category", "autorange": "reversed"},
    )
    return fig, 140 + 24 * len(order)


def books_figure(
    instance: Instance,
    labels: Mapping[str, str],
    before: Mapping[str, float],
    after: Mapping[str, float],
    unit: str,
) -> go.Figure:
    ids = [c.id for c in instance.csms if before.get(c.id) or after.get(c.id)]
    x = [label_text(labels[c]) for c in ids]
    fig = go.Figure()
    for name, values, color in (("before", before, _BEFORE), ("after", after, _AFTER)):
        fig.add_bar(
            x=x,
            y=[round(values.get(c, 0), 2) for c in ids],
            name=name,
            marker_color=color,
            hovertemplate=f"%{{x}}<br>{name}: %{{y}} {unit}<extra></extra>",
        )
    fig.update_layout(
        barmode="group", yaxis_title=unit, xaxis={"type": "category", "tickangle": -40}
    )
    return fig
