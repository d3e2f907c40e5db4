"""Owner updates for the CRM, and a per-CSM handoff list, from a solved plan.

The move list holds only what the platform's owner-update import needs: the account key,
the new owner as the platform names users (Salesforce user id, email or full name), and an
effective date where the platform keeps one. New accounts being placed are included (they
need an owner too); accounts moving to a pooled segment are not (no named owner to set).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from allocator.analysis.reasons import move_reasons
from allocator.crm.keys import CrmKeys, CsmKeys
from allocator.crm.presets import ExportShape
from allocator.io.files import write_atomic
from allocator.io.tables import write_table
from allocator.schema.errors import InputError, Problem
from allocator.schema.instance import Instance
from allocator.schema.solution import Solution


@dataclass(frozen=True)
class Move:
    """One account whose owner changes (or that gets its first owner)."""

    account: str
    account_name: str
    segment: str | None
    arr: float
    renewal_date: str
    from_csm: str | None
    to_csm: str | None
    reason: str
    reason_text: str = ""


def plan_moves(instance: Instance, solution: Solution) -> list[Move]:
    """Every account whose planned owner differs from its current one, with its reason's
    category (`allocator.analysis.reasons`: the same as the report and `allocate why`)."""
    accounts = {a.id: a for a in instance.accounts}
    missing = [row.account for row in solution.assignments if row.account not in accounts]
    if missing:
        raise InputError(
            "solution",
            [Problem("assignments", "", "accounts not in the instance: " + ", ".join(missing[:5]))],
        )
    reasons = move_reasons(instance, solution)
    moves = []
    for row in solution.assignments:
        if row.csm == row.previous_csm:
            continue
        reason = reasons.get(row.account)
        moves.append(
            Move(
                row.account,
                row.account_name,
                row.segment,
                row.arr,
                accounts[row.account].renewal_date.isoformat(),
                row.previous_csm,
                row.csm,
                reason.category if reason is not None else "",
                reason.text if reason is not None else "",
            )
        )
    return moves


def _owner_values(
    instance: Instance, keys: CrmKeys | None, shape: ExportShape, csm_ids: set[str], source: str
) -> dict[str, str]:
    """CSM id -> the value the platform's owner column takes; every gap reported."""
    names = {c.id: c.name for c in instance.csms}
    values: dict[str, str] = {}
    problems = []
    for csm_id in sorted(csm_ids):
        known = keys.csms.get(csm_id, CsmKeys()) if keys else CsmKeys()
        if shape.owner_key == "id":
            value = csm_id
        elif shape.owner_key == "crm_id":
            # Without a keys file the instance's CSM ids are taken to be the CRM's user ids.
            value = known.crm_id if keys else csm_id
        elif shape.owner_key == "email":
            value = known.email
        else:
            value = known.name or names.get(csm_id, "")
        if not value:
            problems.append(
                Problem(
                    f"csms[id={csm_id}]",
                    shape.owner_key,
                    f"needed for the {shape.owner_column} column but not in "
                    "the roster (add it and import again)",
                )
            )
        values[csm_id] = value
    if problems:
        raise InputError(source, problems)
    return values


def move_list(
    instance: Instance,
    solution: Solution,
    shape: ExportShape,
    keys: CrmKeys | None = None,
    source: str = "roster",
) -> pd.DataFrame:
    """The upload-ready owner-update table (one row per account getting a new owner)."""
    moves = [m for m in plan_moves(instance, solution) if m.to_csm is not None]
    owners = _owner_values(instance, keys, shape, {str(m.to_csm) for m in moves}, source)
    columns = [shape.account_column, shape.owner_column]
    if shape.effective_date_column:
        columns.append(shape.effective_date_column)
    rows = []
    for move in moves:
        row = {shape.account_column: move.account, shape.owner_column: owners[str(move.to_csm)]}
        if shape.effective_date_column:
            row[shape.effective_date_column] = solution.effective_date.isoformat()
        rows.append(row)
    return pd.DataFrame(rows, columns=columns)


HANDOFF_COLUMNS = [
    "csm",
    "csm_name",
    "change",
    "account",
    "account_name",
    "segment",
    "arr",
    "renewal_date",
    "from_csm",
    "from_name",
    "to_csm",
    "to_name",
    "reason",
    "reason_text",
    "effective_date",
]


def handoff(instance: Instance, solution: Solution) -> pd.DataFrame:
    """Per CSM, each account gained and lost, with where it comes from or goes to."""
    names = {c.id: c.name for c in instance.csms}
    rows = []
    for move in plan_moves(instance, solution):
        base = {
            "account": move.account,
            "account_name": move.account_name,
            "segment": move.segment,
            "arr": move.arr,
            "renewal_date": move.renewal_date,
            "from_csm": move.from_csm or "",
            "from_name": names.get(move.from_csm or "", ""),
            "to_csm": move.to_csm or "",
            "to_name": names.get(move.to_csm or "", ""),
            "reason": move.reason,
            "reason_text": move.reason_text,
            "effective_date": solution.effective_date.isoformat(),
        }
        if move.to_csm is not None:
            rows.append(
                {
                    "csm": move.to_csm,
                    "csm_name": names.get(move.to_csm, ""),
                    "change": "gained",
                    **base,
                }
            )
        if move.from_csm is not None:
            rows.append(
                {
                    "csm": move.from_csm,
                    "csm_name": names.get(move.from_csm, ""),
                    "change": "lost",
                    **base,
                }
            )
    frame = pd.DataFrame(rows, columns=HANDOFF_COLUMNS)
    return frame.sort_values(["csm", "change", "account"], kind="stable").reset_index(drop=True)


def handoff_counts(frame: pd.DataFrame) -> pd.DataFrame:
    """Accounts gained and lost per CSM (from a `handoff` table)."""
    if frame.empty:
        return pd.DataFrame(columns=["csm", "csm_name", "gained", "lost", "net"])
    counts = frame.pivot_table(
        index=["csm", "csm_name"], columns="change", values="account", aggfunc="count", fill_value=0
    )
    counts = counts.reindex(columns=["gained", "lost"], fill_value=0).reset_index()
    counts["net"] = counts["gained"] - counts["lost"]
    counts.columns.name = None
    return counts


def write_csv(frame: pd.DataFrame, path: str | Path) -> Path:
    """Write a CSV atomically (UTF-8, no index), as the platforms' importers expect, with
    text cells a spreadsheet would run as formulas neutralised (`allocator.io.tables`)."""
    target = Path(path)
    write_atomic(target, lambda tmp: write_table(frame, tmp))
    return target
