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

from collections import Counter
from collections.abc import Mapping
from pathlib import Path

from plotly.offline import get_plotlyjs

from allocator.analysis.reasons import move_reasons
from allocator.checker.audit import audit
from allocator.facts import Facts
from allocator.io.files import write_text_atomic
from allocator.io.pages import CSP_META
from allocator.report.charts import (
    CHART_IDS,
    Books,
    books_before_after,
    books_figure,
    chart_html,
    csm_labels,
    effort_figure,
    renewals_figure,
)
from allocator.report.markup import CSS, TableRow, e, num, table
from allocator.report.team import (
    csm_section,
    pinned_section,
    region_segment_section,
    team_section,
)
from allocator.schema.errors import InputError, Problem
from allocator.schema.instance import Instance
from allocator.schema.solution import AssignmentRow, Solution, Violation

MAX_PROBLEMS = 20
"""Mismatches between instance and solution listed before the rest are only counted."""


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


def _headline(solution: Solution, violations: list[Violation]) -> str:
    status_class = {"OPTIMAL": "good", "FEASIBLE": "warn"}.get(solution.status, "bad")
    checker = "no violations" if not violations else f"{len(violations)} violations"
    cards = [
        ("status", solution.status, status_class),
        ("objective", num(solution.objective), ""),
        ("proven bound", num(solution.bound), ""),
        ("gap", "-" if solution.gap is None else f"{solution.gap:.2%}", ""),
        ("moves (forced)", f"{solution.moves} ({solution.forced_moves})", ""),
        ("checker", checker, "bad" if violations else "good"),
        ("solve time", f"{solution.solve_seconds:.1f} s", ""),
    ]
    parts = ['<div class="cards" id="headline">']
    parts += [
        f'<div class="card"><div class="k">{e(k)}</div><div class="v {c}">{e(v)}</div></div>'
        for k, v, c in cards
    ]
    parts.append("</div>")
    if solution.terms:
        rows: list[TableRow] = [
            (
                {},
                [
                    name,
                    num(value),
                    f"{solution.weights.get(name, 0.0):g}",
                    num(value * solution.weights.get(name, 0.0)),
                ],
            )
            for name, value in solution.terms.items()
        ]
        parts.append("<h2>Objective terms</h2>")
        parts.append(table("terms", ["term", "value", "weight", "weighted"], rows, {1, 2, 3}))
    if solution.segment_summary:
        seg_rows: list[TableRow] = []
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
                        num(seg.arr, ",.0f"),
                        num(seg.csm_cost, ",.0f"),
                        "-" if seg.cost_to_arr is None else f"{seg.cost_to_arr:.1%}",
                        f"{seg.target:.1%}",
                        verdict,
                    ],
                )
            )
        parts.append("<h2>Cost / ARR by segment</h2>")
        parts.append('<p class="caption">CSM cost is split across segments by share of effort.</p>')
        parts.append(
            table(
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
                num(r.arr, ",.0f"),
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
        table(
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
                    num(r.arr, ",.0f"),
                    owner(r.csm, r),
                    reasons[r.account].text,
                ],
            )
            for r in new
        ]
        parts.append(
            table(
                "new-accounts", ["account", "name", "segment", "ARR", "owner", "reason"], rows, {3}
            )
        )
    return "".join(parts)


def _chart_sections(
    facts: Facts, solution: Solution, labels: Mapping[str, str], before: Books, after: Books
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
    parts.append(chart_html(effort_figure(solution, labels, band), CHART_IDS[0], 460))

    fig, height = renewals_figure(instance, solution, labels)
    rule = (
        "no renewal cap"
        if spread.max_per_window is None
        else f"cap {spread.max_per_window} per {spread.window} per CSM "
        f"({'hard' if spread.hard else 'penalised'})"
    )
    parts.append(f"<h2>Renewals by CSM and {spread.window}</h2>")
    parts.append(
        f'<p class="caption">Renewal {spread.window} of every account in the instance, by '
        f"owner after the plan; policy: {e(rule)}.</p>"
    )
    parts.append(chart_html(fig, CHART_IDS[1], height))

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
        chart_html(
            books_figure(instance, labels, before.accounts, after.accounts, "accounts"),
            CHART_IDS[2],
            380,
        )
    )
    parts.append("<h3>Effort per CSM</h3>")
    parts.append(
        chart_html(
            books_figure(instance, labels, before.effort, after.effort, "effort units"),
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
    verdict = audit(instance, solution) if has_plan else None
    violations = verdict.violations if verdict is not None else []
    if violations:
        shown = violations[:MAX_PROBLEMS]
        more = len(violations) - len(shown)
        body.append(
            '<div class="banner bad" id="checker-verdict"><strong>The independent checker '
            f"rejects this plan ({len(violations)} violations): do not act on it.</strong><ul>"
            + "".join(f"<li>{e(str(v))}</li>" for v in shown)
            + (f"<li>and {more} more</li>" if more else "")
            + "</ul></div>"
        )
    body.append(_headline(solution, violations))
    if verdict is not None:
        facts = Facts(instance, verdict.effective_date)
        labels = csm_labels(instance)
        before, after = books_before_after(facts, solution)
        body.append(team_section(facts, solution))
        body.append(region_segment_section(facts, solution))
        body.append(csm_section(facts, solution, labels))
        body.append(_chart_sections(facts, solution, csm_labels(instance, width=28), before, after))
        body.append(_move_section(facts, solution, labels))
        body.append(pinned_section(facts))
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
        f"{CSP_META}"
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{e(title)}</title><style>{CSS}</style>{script}</head>"
        f"<body><main>{''.join(body)}</main></body></html>\n"
    )


def write_report(instance: Instance, solution: Solution, path: str | Path) -> int:
    """Write the report atomically; returns its size in bytes."""
    text = build_report(instance, solution)
    write_text_atomic(Path(path), text)
    return len(text.encode("utf-8"))
