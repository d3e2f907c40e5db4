"""The HTML report of a plan: one self-contained file (plotly.js inlined) that works offline.

Sections: headline numbers, effort against capacity with the balance band, renewals per CSM
and month, books before and after, and the move list with a reason per move
(`allocator.analysis.reasons`: the same as `allocate why` and the handoff file). Every
string taken from the instance or the solution is HTML-escaped, in the page and in chart
labels (plotly.js reads labels as pseudo-HTML and decodes entities, so escaped labels show
as typed).
A solution without a plan (INFEASIBLE / UNKNOWN) still gives a valid page that says so.
"""

from __future__ import annotations

import datetime as dt
import html
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import plotly.graph_objects as go
import plotly.io as pio
from plotly.offline import get_plotlyjs

from allocator.analysis.reasons import move_reasons
from allocator.facts import UNITS, Facts
from allocator.io.files import write_text_atomic
from allocator.schema.errors import InputError, Problem
from allocator.schema.instance import Instance, instance_hash
from allocator.schema.solution import AssignmentRow, Solution

CHART_IDS = ("chart-effort", "chart-renewals", "chart-books-accounts", "chart-books-effort")
"""The div id of each chart, in page order (a plan always gets all four)."""

MAX_PROBLEMS = 20
"""Mismatches between instance and solution listed before the rest are only counted."""

POOLED_ROW = "(pooled)"
NO_OWNER_ROW = "(no owner)"
# plotly.js 4 offers a "Share chart" button that uploads the data unless told not to.
_PLOT_CONFIG = {"displaylogo": False, "responsive": True, "showSendToCloud": False}
_BAR, _BAR_OUT, _BEFORE, _AFTER = "#4c78a8", "#d62728", "#b0b7c3", "#4c78a8"


def e(value: object) -> str:
    """HTML-escape any value for text or attribute context."""
    return html.escape(str(value), quote=True)


def _label_text(value: str) -> str:
    """A chart label: plotly.js parses pseudo-HTML, so escape it (it decodes entities)."""
    return html.escape(value, quote=False)


# --- checks ---------------------------------------------------------------------------------


def check_pairing(instance: Instance, solution: Solution, source: str) -> None:
    """Raise `InputError` when the solution names accounts or CSMs the instance lacks."""
    accounts = {a.id for a in instance.accounts}
    csms = {c.id for c in instance.csms}
    problems: list[Problem] = []
    for row in solution.assignments:
        where = f"assignments[account={row.account}]"
        if row.account not in accounts:
            problems.append(Problem(where, "account", "account not in the instance"))
        for name, value in (("csm", row.csm), ("previous_csm", row.previous_csm)):
            if value is not None and value not in csms:
                problems.append(Problem(where, name, f"CSM {value!r} not in the instance"))
    if solution.assignments:
        listed = {row.account for row in solution.assignments}
        problems += [
            Problem(f"instance accounts[id={a}]", "", "account has no assignment row")
            for a in sorted(accounts - listed)
        ]
    problems += [
        Problem(f"csm_summary[csm={row.csm}]", "csm", "CSM not in the instance")
        for row in solution.csm_summary
        if row.csm not in csms
    ]
    if len(problems) > MAX_PROBLEMS:
        rest = len(problems) - MAX_PROBLEMS
        problems = [
            *problems[:MAX_PROBLEMS],
            Problem(
                "solution",
                "",
                f"and {rest} more mismatches: is this the solution of this instance?",
            ),
        ]
    if problems:
        raise InputError(source, problems)


def hash_matches(instance: Instance, solution: Solution) -> bool:
    """False when the solution records a different instance hash (the instance changed)."""
    return not solution.instance_hash or solution.instance_hash == instance_hash(instance)


@dataclass
class _Books:
    """Accounts and effort per CSM."""

    accounts: Counter[str] = field(default_factory=Counter)
    effort: defaultdict[str, float] = field(default_factory=lambda: defaultdict(float))


def _books(facts: Facts, solution: Solution) -> tuple[_Books, _Books]:
    """Books before (from `current_csm`) and after (from the solution's assignments)."""
    before, after = _Books(), _Books()
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


# --- charts ---------------------------------------------------------------------------------


def _csm_labels(instance: Instance, width: int | None = None) -> dict[str, str]:
    """CSM id -> display label, unique: 'Name (id)', or the id alone; names cut to `width`."""
    labels = {}
    for csm in instance.csms:
        name = csm.name
        if width is not None and len(name) > width:
            name = name[: width - 1] + "…"
        text = f"{name} ({csm.id})" if name and csm.name != csm.id else csm.id
        labels[csm.id] = text + (" [leaving]" if csm.leaving else "")
    return labels


def _chart_html(fig: go.Figure, div_id: str, height: int) -> str:
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


def _effort_figure(solution: Solution, labels: Mapping[str, str], band: float | None) -> go.Figure:
    rows = [r for r in solution.csm_summary if not (r.leaving and r.accounts == 0)]
    x = [_label_text(labels.get(r.csm, r.csm)) for r in rows]
    width = [
        band * r.capacity if band is not None and r.target_effort is not None else 0.0 for r in rows
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
        customdata=[[r.capacity, r.utilisation, r.accounts] for r in rows],
        hovertemplate="%{x}<br>effort %{y:.1f} of %{customdata[0]:.1f} "
        "(%{customdata[1]:.0%}), %{customdata[2]} accounts<extra></extra>",
    )
    fig.add_scatter(
        x=x,
        y=[r.capacity for r in rows],
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


def _month(date: dt.date) -> str:
    return f"{date.year}-{date.month:02d}"


def _month_range(dates: Iterable[dt.date]) -> list[str]:
    """Every calendar month from the earliest to the latest date, gaps included."""
    ordered = sorted(dates)
    if not ordered:
        return []
    year, month = ordered[0].year, ordered[0].month
    months = []
    while (year, month) <= (ordered[-1].year, ordered[-1].month):
        months.append(f"{year}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def _renewals_figure(
    instance: Instance, solution: Solution, labels: Mapping[str, str]
) -> tuple[go.Figure, int]:
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
        counts[row][_month(account.renewal_date)] += 1
    months = _month_range(a.renewal_date for a in instance.accounts)
    order = [(0, c.id) for c in instance.csms if (0, c.id) in counts]
    order += [r for r in ((1, POOLED_ROW), (2, NO_OWNER_ROW)) if r in counts]
    z = [[counts[r][m] for m in months] for r in order]
    names = [labels.get(key, key) if kind == 0 else key for kind, key in order]
    fig = go.Figure(
        go.Heatmap(
            z=z,
            x=months,
            y=[_label_text(n) for n in names],
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


def _books_figure(
    instance: Instance,
    labels: Mapping[str, str],
    before: Mapping[str, float],
    after: Mapping[str, float],
    unit: str,
) -> go.Figure:
    ids = [c.id for c in instance.csms if before.get(c.id) or after.get(c.id)]
    x = [_label_text(labels[c]) for c in ids]
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


# --- page -----------------------------------------------------------------------------------

_CSS = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#1f2328}
main{max-width:1200px;margin:0 auto;padding:16px 24px 48px}
h1{font-size:22px;margin:8px 0 2px}h3{font-size:15px;margin:14px 0 0}
h2{font-size:18px;margin:28px 0 6px;border-bottom:1px solid #d0d7de;padding-bottom:4px}
.sub,.caption{color:#57606a;margin:2px 0 8px}
.cards{display:flex;flex-wrap:wrap;gap:10px;margin:12px 0}
.card{border:1px solid #d0d7de;border-radius:6px;padding:8px 14px;min-width:120px}
.card .k{color:#57606a;font-size:12px}.card .v{font-size:20px;font-weight:600}
.good{color:#1a7f37}.warn{color:#9a6700}.bad{color:#cf222e}
.banner{border:1px solid #d4a72c;background:#fff8c5;border-radius:6px;padding:8px 12px}
.banner.bad{border-color:#cf222e;background:#ffebe9}
table{border-collapse:collapse;margin:6px 0 12px}
th,td{border-bottom:1px solid #eaeef2;padding:4px 10px;text-align:left;vertical-align:top}
th{background:#f6f8fa}td.n{text-align:right;font-variant-numeric:tabular-nums}
.tag{display:inline-block;border-radius:10px;padding:0 8px;background:#ddf4ff;font-size:12px}
"""

_CSP = (
    "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
    "img-src data: blob:; font-src data:; form-action 'none'; base-uri 'none'"
)
"""Offline by construction: the browser may fetch nothing and send nothing."""


def _num(value: float | None, spec: str = ",.2f") -> str:
    return "-" if value is None else format(value, spec)


_TableRow = tuple[dict[str, str], list[str]]
"""A table row: attributes of its <tr>, then its cells (plain text)."""


def _table(
    table_id: str, headers: list[str], rows: list[_TableRow], numeric: set[int] | None = None
) -> str:
    """A table; cells are plain text (escaped here), row attributes likewise."""
    numeric = numeric or set()
    head = "".join(f"<th>{e(h)}</th>" for h in headers)
    body = []
    for attrs, cells in rows:
        attr = "".join(f' {k}="{e(v)}"' for k, v in attrs.items())
        tds = "".join(
            f'<td class="n">{e(c)}</td>' if i in numeric else f"<td>{e(c)}</td>"
            for i, c in enumerate(cells)
        )
        body.append(f"<tr{attr}>{tds}</tr>")
    return (
        f'<table id="{e(table_id)}"><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table>"
    )


def _headline(solution: Solution) -> str:
    status_class = {"OPTIMAL": "good", "FEASIBLE": "warn"}.get(solution.status, "bad")
    checker = (
        "no violations" if not solution.violations else f"{len(solution.violations)} violations"
    )
    cards = [
        ("status", solution.status, status_class),
        ("objective", _num(solution.objective), ""),
        ("proven bound", _num(solution.bound), ""),
        ("gap", "-" if solution.gap is None else f"{solution.gap:.2%}", ""),
        ("moves (forced)", f"{solution.moves} ({solution.forced_moves})", ""),
        ("checker", checker, "bad" if solution.violations else "good"),
        ("solve time", f"{solution.solve_seconds:.1f} s", ""),
    ]
    parts = ['<div class="cards" id="headline">']
    parts += [
        f'<div class="card"><div class="k">{e(k)}</div><div class="v {c}">{e(v)}</div></div>'
        for k, v, c in cards
    ]
    parts.append("</div>")
    if solution.terms:
        rows: list[_TableRow] = [
            (
                {},
                [
                    name,
                    _num(value),
                    f"{solution.weights.get(name, 0.0):g}",
                    _num(value * solution.weights.get(name, 0.0)),
                ],
            )
            for name, value in solution.terms.items()
        ]
        parts.append("<h2>Objective terms</h2>")
        parts.append(_table("terms", ["term", "value", "weight", "weighted"], rows, {1, 2, 3}))
    if solution.segment_summary:
        seg_rows: list[_TableRow] = []
        for seg in solution.segment_summary:
            verdict = (
                "pooled"
                if seg.pooled
                else "-"
                if seg.within_target is None
                else "within target"
                if seg.within_target
                else "OVER target"
            )
            seg_rows.append(
                (
                    {"data-segment": seg.segment},
                    [
                        seg.segment,
                        str(seg.accounts),
                        _num(seg.arr, ",.0f"),
                        _num(seg.csm_cost, ",.0f"),
                        "-" if seg.cost_to_arr is None else f"{seg.cost_to_arr:.1%}",
                        f"{seg.target:.1%}",
                        verdict,
                    ],
                )
            )
        parts.append("<h2>Cost / ARR by segment</h2>")
        parts.append('<p class="caption">CSM cost is split across segments by share of effort.</p>')
        parts.append(
            _table(
                "segments",
                ["segment", "accounts", "ARR", "CSM cost", "cost/ARR", "target", ""],
                seg_rows,
                {1, 2, 3, 4, 5},
            )
        )
    if solution.violations:
        items = "".join(f"<li>{e(v)}</li>" for v in solution.violations)
        parts.append(
            f'<div class="banner bad"><b>The checker found violations:</b><ul>{items}</ul></div>'
        )
    return "".join(parts)


def _move_section(facts: Facts, solution: Solution, labels: Mapping[str, str]) -> str:
    reasons = move_reasons(facts.instance, solution, facts)
    moved = [r for r in solution.assignments if r.moved]
    new = [r for r in solution.assignments if r.previous_csm is None and r.csm is not None]

    def owner(csm_id: str | None, row: AssignmentRow) -> str:
        if csm_id is None:
            return f"pool ({row.segment})" if row.pooled else "-"
        return labels.get(csm_id, csm_id)

    def name(row: AssignmentRow) -> str:
        account = facts.accounts.get(row.account)
        return account.name if account is not None else row.account_name

    moved.sort(key=lambda r: (reasons[r.account].category, -r.arr, r.account))
    counts = Counter(reasons[r.account].category for r in moved)
    parts = [f"<h2>Moves ({len(moved)}, {solution.forced_moves} forced)</h2>"]
    summary = " · ".join(f"{category}: {n}" for category, n in sorted(counts.items()))
    parts.append(f'<p class="caption">Reasons by category: {e(summary)}</p>')
    rows = [
        (
            {"data-account": r.account, "data-category": reasons[r.account].category},
            [
                r.account,
                name(r),
                r.segment or "-",
                _num(r.arr, ",.0f"),
                owner(r.previous_csm, r),
                owner(r.csm, r),
                "yes" if r.forced else "no",
                reasons[r.account].category,
                reasons[r.account].text,
            ],
        )
        for r in moved
    ]
    parts.append(
        _table(
            "moves",
            ["account", "name", "segment", "ARR", "from", "to", "forced", "category", "reason"],
            rows,
            {3},
        )
    )
    if new:
        new.sort(key=lambda r: (-r.arr, r.account))
        parts.append(f"<h2>New accounts placed ({len(new)})</h2>")
        parts.append('<p class="caption">Accounts without a previous owner (not moves).</p>')
        rows = [
            (
                {"data-account": r.account},
                [
                    r.account,
                    name(r),
                    r.segment or "-",
                    _num(r.arr, ",.0f"),
                    owner(r.csm, r),
                    reasons[r.account].text,
                ],
            )
            for r in new
        ]
        parts.append(
            _table(
                "new-accounts", ["account", "name", "segment", "ARR", "owner", "reason"], rows, {3}
            )
        )
    return "".join(parts)


def _chart_sections(
    facts: Facts, solution: Solution, labels: Mapping[str, str], before: _Books, after: _Books
) -> str:
    instance = facts.instance
    band = instance.policy.balance.band
    spread = instance.policy.renewal_spread
    parts = ["<h2>Effort against capacity</h2>"]
    caption = (
        "Bars: each CSM's effort after the plan; dash: capacity x ramp; diamond: the "
        "balance target (pool utilisation x capacity)"
    )
    caption += (
        f", whiskers: the hard band ± {band:g} x capacity (bars in red are outside)."
        if band is not None
        else "; no hard balance band is set."
    )
    parts.append(f'<p class="caption">{e(caption)}</p>')
    parts.append(_chart_html(_effort_figure(solution, labels, band), CHART_IDS[0], 460))

    fig, height = _renewals_figure(instance, solution, labels)
    rule = (
        "no renewal cap"
        if spread.max_per_window is None
        else f"cap {spread.max_per_window} per {spread.window} per CSM "
        f"({'hard' if spread.hard else 'penalised'})"
    )
    parts.append("<h2>Renewals by CSM and month</h2>")
    parts.append(
        f'<p class="caption">Renewal month of every account in the instance, by owner '
        f"after the plan; policy: {e(rule)}.</p>"
    )
    parts.append(_chart_html(fig, CHART_IDS[1], height))

    unowned = sum(1 for a in instance.accounts if a.current_csm is None)
    pooled = sum(1 for r in solution.assignments if r.pooled)
    parts.append("<h2>Books before and after</h2>")
    parts.append(
        f'<p class="caption">Before: from each account\'s current owner '
        f"({unowned} accounts had none); after: the plan ({pooled} accounts pooled, "
        "no named CSM).</p>"
    )
    parts.append("<h3>Accounts per CSM</h3>")
    parts.append(
        _chart_html(
            _books_figure(instance, labels, before.accounts, after.accounts, "accounts"),
            CHART_IDS[2],
            380,
        )
    )
    parts.append("<h3>Effort per CSM</h3>")
    parts.append(
        _chart_html(
            _books_figure(instance, labels, before.effort, after.effort, "effort units"),
            CHART_IDS[3],
            380,
        )
    )
    return "".join(parts)


def build_report(instance: Instance, solution: Solution) -> str:
    """The report as one HTML page (plotly.js inlined when there are charts).

    Raises `InputError` when the solution names accounts or CSMs the instance lacks.
    """
    check_pairing(instance, solution, "solution")
    has_plan = bool(solution.assignments)
    title = f"Allocation report: {instance.name}"
    body = [
        f"<h1>{e(title)}</h1>",
        f'<p class="sub">Solution of {e(solution.instance)} · plan date '
        f"{e(solution.effective_date.isoformat())} · {len(instance.accounts)} accounts, "
        f"{len(instance.csms)} CSMs</p>",
    ]
    if not hash_matches(instance, solution):
        body.append(
            '<p class="banner">This solution was computed for a different version of '
            f"the instance (hash {e(solution.instance_hash)}, instance "
            f"{e(instance_hash(instance))}): figures may not match.</p>"
        )
    body.append(_headline(solution))
    if has_plan:
        facts = Facts(instance, solution.effective_date)
        labels = _csm_labels(instance)
        before, after = _books(facts, solution)
        body.append(
            _chart_sections(facts, solution, _csm_labels(instance, width=28), before, after)
        )
        body.append(_move_section(facts, solution, labels))
    else:
        what = (
            "no plan satisfies every rule (proven infeasible)"
            if solution.status == "INFEASIBLE"
            else "no plan was found"
        )
        body.append(
            f'<h2>No plan</h2><div class="banner bad" id="no-plan">This solution holds '
            f"no plan (status {e(solution.status)}): {e(what)}."
        )
        if solution.explanation:
            body.append(
                "<ul>" + "".join(f"<li>{e(x)}</li>" for x in solution.explanation) + "</ul>"
            )
        body.append("</div>")
    script = f"<script>{get_plotlyjs()}</script>" if has_plan else ""
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{e(title)}</title><style>{_CSS}</style>{script}</head>"
        f"<body><main>{''.join(body)}</main></body></html>\n"
    )


def write_report(instance: Instance, solution: Solution, path: str | Path) -> int:
    """Write the report atomically; returns its size in bytes."""
    text = build_report(instance, solution)
    write_text_atomic(Path(path), text)
    return len(text.encode("utf-8"))
