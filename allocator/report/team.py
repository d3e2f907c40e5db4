"""The report's views for CS leaders: how even the books are before and after, the move
budget used, the book by region and segment, each CSM's book, and the accounts that may
not move."""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from collections.abc import Mapping

from allocator.facts import Facts
from allocator.report.markup import TableRow, e, num, table
from allocator.schema.solution import Solution


def _utilisation(facts: Facts, owners: Mapping[str, str | None]) -> dict[str, float]:
    """Effort / ramped capacity per staying CSM with capacity, for a plan."""
    load: Counter[str] = Counter()
    for account_id in facts.named_accounts:
        owner = owners.get(account_id)
        if owner is not None and owner in facts.csms:
            load[owner] += facts.effort(account_id, owner)
    return {c: load[c] / facts.capacity(c) for c in facts.active_csms if facts.capacity(c) > 0}


def _spread(values: list[float]) -> tuple[float, float, float]:
    """(min, max, coefficient of variation) of utilisations."""
    if not values:
        return 0.0, 0.0, 0.0
    mean = statistics.fmean(values)
    cv = statistics.pstdev(values) / mean if mean > 0 else 0.0
    return min(values), max(values), cv


def team_section(facts: Facts, solution: Solution) -> str:
    """Utilisation spread before and after, the move budget used, and pinned accounts."""
    before = _utilisation(facts, {a.id: a.current_csm for a in facts.instance.accounts})
    after = _utilisation(facts, solution.owners())
    rows: list[TableRow] = []
    for label, values in (("before (current owners)", before), ("after (this plan)", after)):
        low, high, cv = _spread(list(values.values()))
        over = sum(1 for v in values.values() if v > 1 + 1e-9)
        rows.append(({}, [label, f"{low:.0%}", f"{high:.0%}", f"{cv:.2f}", str(over)]))
    voluntary = solution.moves - solution.forced_moves
    cap = facts.move_cap
    budget = (
        f"{voluntary} of {cap} voluntary moves used"
        if cap is not None
        else f"{voluntary} voluntary moves (no cap)"
    )
    locked = len(facts.eligibility.locked)
    frozen = len(facts.eligibility.frozen)
    parts = [
        "<h2>Team at a glance</h2>",
        '<p class="caption">Utilisation is effort over capacity x ramp for each staying CSM; '
        "CV is the coefficient of variation (standard deviation / mean): lower is more even."
        "</p>",
        table(
            "utilisation-spread",
            ["books", "lowest", "highest", "CV", "CSMs over 100%"],
            rows,
            {1, 2, 3, 4},
        ),
        f'<p id="move-budget">{e(budget)}; {solution.forced_moves} forced moves (leavers, '
        f"lost eligibility, pooled segments, not capped); {locked} locked and {frozen} "
        "frozen accounts stay with their owners.</p>",
    ]
    return "".join(parts)


def region_segment_section(facts: Facts, solution: Solution) -> str:
    """Accounts, ARR, CSMs and moves per region and segment, after the plan."""
    rows_by: dict[tuple[str, str], dict[str, float]] = defaultdict(lambda: defaultdict(float))
    owners_by: dict[tuple[str, str], set[str]] = defaultdict(set)
    for row in solution.assignments:
        account = facts.accounts.get(row.account)
        if account is None:
            continue
        key = (account.region or "-", row.segment or "-")
        cell = rows_by[key]
        cell["accounts"] += 1
        cell["arr"] += account.arr
        cell["moved"] += row.moved
        cell["pooled"] += row.pooled
        if row.csm is not None:
            owners_by[key].add(row.csm)
    rows: list[TableRow] = []
    for (region, segment), cell in sorted(rows_by.items()):
        csms = len(owners_by[(region, segment)])
        per_csm = cell["arr"] / csms if csms else None
        rows.append(
            (
                {"data-region": region, "data-segment": segment},
                [
                    region,
                    segment,
                    f"{cell['accounts']:.0f}",
                    num(cell["arr"], ",.0f"),
                    str(csms),
                    num(per_csm, ",.0f"),
                    f"{cell['moved']:.0f}",
                    f"{cell['pooled']:.0f}",
                ],
            )
        )
    return "".join(
        [
            "<h2>By region and segment</h2>",
            '<p class="caption">After the plan; CSMs are those owning accounts of the region and '
            "segment (a CSM may appear in several rows).</p>",
            table(
                "region-segment",
                ["region", "segment", "accounts", "ARR", "CSMs", "ARR per CSM", "moved", "pooled"],
                rows,
                {2, 3, 4, 5, 6, 7},
            ),
        ]
    )


def csm_section(facts: Facts, solution: Solution, labels: Mapping[str, str]) -> str:
    """Each CSM's book: utilisation before and after, accounts, ARR, cost/ARR, changes."""
    before = _utilisation(facts, {a.id: a.current_csm for a in facts.instance.accounts})
    rows: list[TableRow] = []
    for r in solution.csm_summary:
        if r.leaving and r.accounts == 0:
            continue
        segments = ", ".join(f"{n} {s}" for s, n in r.accounts_by_segment.items()) or "-"
        was = before.get(r.csm)
        rows.append(
            (
                {"data-csm": r.csm},
                [
                    labels.get(r.csm, r.csm),
                    r.pool,
                    "-" if was is None else f"{was:.0%}",
                    f"{r.utilisation:.0%}",
                    segments,
                    num(r.arr, ",.0f"),
                    "-" if r.cost_to_arr is None else f"{r.cost_to_arr:.1%}",
                    str(r.moved_in),
                    str(r.new_accounts),
                    str(r.lost),
                ],
            )
        )
    return "".join(
        [
            "<h2>Books by CSM</h2>",
            '<p class="caption">Utilisation: effort over capacity x ramp, before (current owners) '
            "and after the plan. Moved in: taken over from another CSM; new: accounts without a "
            "previous owner.</p>",
            table(
                "csm-books",
                [
                    "CSM",
                    "serves",
                    "utilisation before",
                    "after",
                    "accounts",
                    "ARR",
                    "cost/ARR",
                    "moved in",
                    "new",
                    "lost",
                ],
                rows,
                {2, 3, 5, 6, 7, 8, 9},
            ),
        ]
    )


def pinned_section(facts: Facts) -> str:
    """The accounts that may not move: locked, or frozen close to renewal."""
    eligibility = facts.eligibility
    rows: list[TableRow] = []
    for account_id in sorted(eligibility.locked | eligibility.frozen):
        account = facts.accounts[account_id]
        if account_id in eligibility.locked:
            why = "locked" + (f": {account.lock_reason}" if account.lock_reason else "")
        else:
            days = (account.renewal_date - facts.effective_date).days
            why = f"frozen: renews {account.renewal_date} (in {days} days)"
        rows.append(
            (
                {"data-account": account_id},
                [
                    account_id,
                    account.name,
                    str(facts.segment_of[account_id] or "-"),
                    num(account.arr, ",.0f"),
                    str(account.current_csm or "-"),
                    why,
                ],
            )
        )
    if not rows:
        return ""
    return "".join(
        [
            f"<h2>Locked and frozen accounts ({len(rows)})</h2>",
            table("pinned", ["account", "name", "segment", "ARR", "stays with", "why"], rows, {3}),
        ]
    )
