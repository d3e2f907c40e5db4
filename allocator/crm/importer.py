"""Importing a CRM account export and a CSM roster into a validated instance.

    instance = import_accounts("accounts.csv", "roster.csv", "salesforce",
                               effective_date=dt.date(2027, 1, 1), max_moves=40)

Owners resolve to roster CSMs by id, CRM id, email or name; a blank owner is a new account
(no current CSM). Problems in any file are all reported at once, each naming the file, the
row (the header is row 1) and the column: `CrmInputError`, an `InputError`.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from allocator.crm.accounts import Columns, Draft, drop_duplicates, read_drafts
from allocator.crm.keys import CrmKeys
from allocator.crm.presets import Preset, load_preset
from allocator.crm.roster import Roster, read_roster
from allocator.crm.table import (
    CrmInputError,
    Issues,
    Table,
    TableFormat,
    frame_table,
    read_table,
    where,
)
from allocator.crm.values import salesforce_id as sf18
from allocator.crm.values import text
from allocator.explain import capacity_check
from allocator.explain.precheck import lock_conflict
from allocator.facts import Facts
from allocator.io.loading import instance_from_dict, read_model
from allocator.schema.errors import InputError, Problem
from allocator.schema.instance import Instance, Policy, effective_date_of

UnknownOwner = Literal["error", "new"]
PresetSpec = str | Path | Preset  # a preset name, a mapping file, or a Preset


@dataclass(frozen=True)
class ImportOptions:
    """Rebalance settings applied on top of the policy."""

    policy: Policy | None = None
    effective_date: dt.date | None = None
    max_moves: int | None = None
    max_move_share: float | None = None  # of the accounts that have an owner today
    freeze_days: int | None = None
    fewest_moves: bool = False  # policy.continuity.fewest_moves: only the moves rules need
    unknown_owner: UnknownOwner = "error"
    name: str | None = None
    day_first: bool | None = None  # 'a/b/yyyy' dates: overrides the preset's or mapping's


@dataclass
class Imported:
    instance: Instance
    keys: CrmKeys
    warnings: list[str] = field(default_factory=list)


def _resolve_owners(
    drafts: list[Draft],
    roster: Roster,
    preset: Preset,
    source: str,
    unknown: UnknownOwner,
    issues: Issues,
) -> None:
    for draft in drafts:
        owner = draft.values.pop("owner", "")
        column = draft.columns.get("owner")
        if not owner:
            continue  # a new account: placed by the plan
        found = roster.resolve(owner, preset.salesforce_ids)
        if len(found) == 1:
            draft.values["current_csm"] = found[0]
            draft.columns["current_csm"] = str(column)
        elif found:
            issues.error(
                source,
                draft.row,
                column,
                f"owner {owner!r} matches several CSMs in {roster.source}: {', '.join(found)}",
            )
        elif unknown == "new":
            issues.warn(
                source,
                draft.row,
                column,
                f"owner {owner!r} is not in "
                f"{roster.source}; treated as a new account (--unknown-owner new)",
            )
        else:
            issues.error(
                source,
                draft.row,
                column,
                f"owner {owner!r} is not an id, CRM id, "
                f"email or name in {roster.source} (or use --unknown-owner new)",
            )


def _resolve_parents(drafts: list[Draft], source: str, issues: Issues) -> None:
    """Parents by account id, else by a unique account name (Gainsight exports names)."""
    ids = {d.id for d in drafts}
    names: dict[str, list[str]] = {}
    for d in drafts:
        names.setdefault(" ".join(str(d.values.get("name", "")).split()).casefold(), []).append(
            d.id
        )
    for draft in drafts:
        parent = draft.values.get("parent_id")
        if not parent or parent in ids:
            continue
        by_name = names.get(" ".join(parent.split()).casefold(), [])
        column = draft.columns.get("parent_id")
        if len(by_name) == 1:
            draft.values["parent_id"] = by_name[0]
        elif by_name:
            issues.error(
                source,
                draft.row,
                column,
                f"parent {parent!r} names several accounts: {', '.join(by_name)}",
            )
        else:
            issues.error(source, draft.row, column, f"unknown parent account {parent!r}")


@dataclass
class _Lock:
    source: str
    row: int
    column: str | None


def _apply_locks(
    drafts: list[Draft], locks: Table | None, preset: Preset, issues: Issues
) -> dict[str, _Lock]:
    """Locks from a locks file (account id, reason); returns where each lock came from."""
    origin = {
        d.id: _Lock("", d.row, d.columns.get("locked")) for d in drafts if d.values.get("locked")
    }
    if locks is None:
        return origin
    by_id = {d.id: d for d in drafts}
    id_column = locks.find(
        ("account_id", "account id", "account", "id", *preset.columns.get("id", ()))
    )
    reason_column = locks.find(("reason", "lock_reason", "lock reason"))
    if id_column is None:
        if locks.header:
            issues.error(
                locks.source, 1, None, "no account id column (looked for account_id, account, id)"
            )
        return origin
    for row in locks.rows:
        account_id = text(row.cells.get(id_column), literal=True)
        if preset.salesforce_ids:
            account_id = sf18(account_id)
        draft = by_id.get(account_id)
        if draft is None:
            issues.error(locks.source, row.number, id_column, f"unknown account {account_id!r}")
            continue
        draft.values["locked"] = True
        reason = text(row.cells.get(reason_column), literal=True) if reason_column else ""
        if reason:
            draft.values["lock_reason"] = reason
        origin[account_id] = _Lock(locks.source, row.number, id_column)
    return origin


def _policy(options: ImportOptions, drafts: list[Draft]) -> Policy:
    policy = options.policy or Policy()
    continuity = policy.continuity
    if options.max_move_share is not None:
        owned = sum(1 for d in drafts if d.values.get("current_csm"))
        continuity = continuity.model_copy(
            update={"max_moves": math.floor(options.max_move_share * owned + 1e-9)}
        )
    if options.max_moves is not None:
        continuity = continuity.model_copy(update={"max_moves": options.max_moves})
    if options.freeze_days is not None:
        continuity = continuity.model_copy(update={"freeze_days": options.freeze_days})
    if options.fewest_moves:
        continuity = continuity.model_copy(update={"fewest_moves": True})
    # A rebalance is planned for a date: fix it now so the file solves the same way later.
    effective = options.effective_date or policy.effective_date or dt.date.today()
    return policy.model_copy(update={"continuity": continuity, "effective_date": effective})


_RECORD = re.compile(r"^(accounts|csms)\[id=(.*)\]$")


def _translate(
    error: InputError,
    drafts: dict[str, Draft],
    locks: dict[str, _Lock],
    accounts_source: str,
    roster: Roster,
) -> CrmInputError:
    """Validation problems of the built instance, pointed back at file, row and column."""
    entries: list[tuple[str, Problem]] = []
    for problem in error.problems:
        match = _RECORD.match(problem.record)
        fld = problem.field.split(".")[0]
        if match and match.group(1) == "accounts" and match.group(2) in drafts:
            draft = drafts[match.group(2)]
            lock = locks.get(draft.id)
            if fld == "locked" and lock is not None and lock.source:
                source, row, column = lock.source, lock.row, lock.column
            else:
                source, row, column = accounts_source, draft.row, draft.columns.get(fld)
            entries.append((source, Problem(where(row, column), "", problem.message)))
        elif match and match.group(1) == "csms" and match.group(2) in roster.rows:
            entries.append(
                (
                    roster.source,
                    Problem(
                        where(roster.rows[match.group(2)], roster.columns.get(fld)),
                        "",
                        problem.message,
                    ),
                )
            )
        else:
            entries.append((error.source, problem))
    return CrmInputError(entries)


def import_tables(
    accounts: Table,
    roster_table: Table,
    preset: Preset,
    options: ImportOptions = ImportOptions(),
    locks: Table | None = None,
    issues: Issues | None = None,
) -> Imported:
    """The instance described by an account table, a roster table and optional locks."""
    issues = issues or Issues()
    if options.day_first is not None:
        preset = replace(preset, day_first=options.day_first)
    roster = read_roster(roster_table, issues, preset)
    drafts, columns = read_drafts(accounts, preset, issues)
    drafts = drop_duplicates(drafts, accounts.source, issues)
    _resolve_owners(drafts, roster, preset, accounts.source, options.unknown_owner, issues)
    _resolve_parents(drafts, accounts.source, issues)
    lock_origin = _apply_locks(drafts, locks, preset, issues)
    by_id = {d.id: d for d in drafts}
    for account_id, lock in lock_origin.items():
        if not by_id[account_id].values.get("current_csm"):
            issues.error(
                lock.source or accounts.source,
                lock.row,
                lock.column,
                f"account {account_id} is locked but has no owner to stay with",
            )
    issues.raise_if_any()
    policy = _policy(options, drafts)
    raw: dict[str, Any] = {
        "name": options.name or _name_of(accounts.source),
        "accounts": [d.values for d in drafts],
        "csms": roster.csms,
        "policy": policy.model_dump(mode="json"),
    }
    try:
        instance = instance_from_dict(raw, accounts.source)
    except InputError as error:
        raise _translate(error, by_id, lock_origin, accounts.source, roster) from None
    facts = Facts(instance, effective_date_of(instance))
    for account_id, lock in lock_origin.items():
        conflict = lock_conflict(facts, account_id)
        if conflict is not None:
            issues.error(lock.source or accounts.source, lock.row, lock.column, conflict)
    issues.raise_if_any()
    # A shortfall is a proof that no plan exists: said now, not 0.1 s into the solve.
    for shortfall in capacity_check(facts):
        issues.warnings.append(f"no plan can obey every rule: {shortfall}")
    return Imported(instance, _keys(preset, columns, roster), issues.warnings)


def _name_of(source: str) -> str:
    return "crm-import" if source.startswith("<") else Path(source).stem


def _keys(preset: Preset, columns: Columns, roster: Roster) -> CrmKeys:
    shape = preset.export
    owner_column = columns.get("owner")
    # Owner updates go back to the field the owners came from when the platform can write
    # it (e.g. a Salesforce CSM__c lookup rather than the account's OwnerId).
    if owner_column is not None and owner_column in shape.writable_owner_columns:
        shape = shape.with_owner_column(owner_column)
    return CrmKeys(
        preset=preset.name,
        account_column=shape.account_column,
        owner_column=shape.owner_column,
        owner_key=shape.owner_key,
        effective_date_column=shape.effective_date_column,
        csms=roster.keys,
    )


def read_policy(path: str | Path) -> Policy:
    """A policy JSON file (the instance's `policy` object)."""
    return read_model(path, Policy, prefix=("policy",))


def import_files(
    accounts_path: str | Path,
    csms_path: str | Path,
    preset: PresetSpec,
    fmt: TableFormat | None = None,
    locks_path: str | Path | None = None,
    options: ImportOptions = ImportOptions(),
) -> Imported:
    """Read the export, roster and locks files (CSV or XLSX) and build the instance."""
    issues = Issues()
    spec = preset if isinstance(preset, Preset) else load_preset(preset)
    accounts = read_table(accounts_path, fmt, issues)
    roster = read_table(csms_path, None, issues)
    locks = read_table(locks_path, None, issues) if locks_path is not None else None
    return import_tables(accounts, roster, spec, options, locks, issues)


def import_accounts(
    accounts_path: str | Path,
    csms_path: str | Path,
    preset: PresetSpec,
    fmt: TableFormat | None = None,
    locks_path: str | Path | None = None,
    **options: Any,
) -> Instance:
    """The instance from an account export and a CSM roster; `options` are
    `ImportOptions` fields (policy, effective_date, max_moves, max_move_share, ...)."""
    return import_files(
        accounts_path, csms_path, preset, fmt, locks_path, ImportOptions(**options)
    ).instance


def import_frames(
    accounts: pd.DataFrame,
    csms: pd.DataFrame,
    preset: PresetSpec,
    locks: pd.DataFrame | None = None,
    **options: Any,
) -> Instance:
    """`import_accounts` for DataFrames (rows numbered as if written with a header row)."""
    spec = preset if isinstance(preset, Preset) else load_preset(preset)
    return import_tables(
        frame_table(accounts, "<accounts>"),
        frame_table(csms, "<csms>"),
        spec,
        ImportOptions(**options),
        None if locks is None else frame_table(locks, "<locks>"),
    ).instance
