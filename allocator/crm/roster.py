"""The CSM roster (CSV/XLSX): one row per CSM, and how account owners resolve to CSMs.

Columns (names matched ignoring case): `id` and `capacity` and `segments` are required;
`name`, `email`, `crm_id` (e.g. the Salesforce user id), `verticals` (specialisms),
`generalist` (yes: also takes the verticals that need no specialist), `regions`,
`max_accounts` ("Global=6;Scale=40"), `annual_cost`, `leaving`, `ramp` are optional. Lists
are separated by ';', ',' or '|'; regions and verticals go through the preset's value maps
('North America' is NA). An account export may name its owner by any of the CSM's id, CRM
id, email or name.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from allocator.crm.keys import CsmKeys
from allocator.crm.presets import Preset
from allocator.crm.table import Issues, Table
from allocator.crm.values import Cell, is_blank, parse_amount, parse_bool, parse_number, text
from allocator.crm.values import salesforce_id as sf18

COLUMNS: dict[str, tuple[str, ...]] = {
    "id": ("id", "csm_id", "csm id"),
    "name": ("name", "full name", "csm name", "csm"),
    "email": ("email", "e-mail", "email address", "username", "user name"),
    "crm_id": (
        "crm_id",
        "crm id",
        "salesforce_id",
        "salesforce id",
        "sfdc_id",
        "sfdc id",
        "user_id",
        "user id",
        "owner_id",
        "owner id",
        "ownerid",
    ),
    "segments": ("segments", "segment"),
    "verticals": ("verticals", "vertical", "specialisms", "specialties"),
    "generalist": ("generalist", "also generalist", "takes all verticals"),
    "regions": ("regions", "region"),
    "capacity": ("capacity",),
    "max_accounts": ("max_accounts", "max accounts", "account caps"),
    "annual_cost": ("annual_cost", "annual cost", "cost", "fully loaded cost"),
    "leaving": ("leaving", "leaver", "departing"),
    "ramp": ("ramp", "ramp share", "ramp %"),
}
_LIST = re.compile(r"[;,|]")
_USER_ID = re.compile(r"^005[a-zA-Z0-9]{12}(?:[a-zA-Z0-9]{3})?$")  # Salesforce User ids


def _fold(value: str) -> str:
    return " ".join(value.split()).casefold()


def split_list(cell: Cell) -> list[str]:
    return [v.strip() for v in _LIST.split(text(cell, literal=True)) if v.strip()]


@dataclass
class Roster:
    """Parsed CSMs (raw records for the instance), where each came from, and owner keys."""

    source: str
    csms: list[dict[str, Any]] = field(default_factory=list)
    rows: dict[str, int] = field(default_factory=dict)
    columns: dict[str, str] = field(default_factory=dict)
    keys: dict[str, CsmKeys] = field(default_factory=dict)
    _index: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))

    def add_key(self, key: str, csm_id: str) -> None:
        if key:
            self._index[_fold(key)].add(csm_id)

    def resolve(self, owner: str, salesforce_ids: bool = False) -> list[str]:
        """CSM ids matching `owner` by id, CRM id, email or name (several: ambiguous)."""
        if owner in self.rows:
            return [owner]
        # 15-character Salesforce ids are case-sensitive: match on the 18-character form.
        candidates = [sf18(owner), owner] if salesforce_ids else [owner]
        for key in candidates:
            found = self._index.get(_fold(key))
            if found:
                return sorted(found)
        return []


LITERAL = frozenset({"id", "name", "email", "crm_id", "segments", "verticals", "regions"})
"""Name-like columns: only an empty cell is blank ('NA' is North America)."""


def _parse_cell(name: str, cell: Cell, preset: Preset) -> Any:
    """One roster cell. Regions and verticals go through the same value maps as the
    accounts' ('North America' and 'AMER' are region NA, 'Banking' is finance)."""
    if name == "segments":
        return split_list(cell)
    if name == "regions":
        return [preset.map_value("region", v) or v for v in split_list(cell)]
    if name == "verticals":
        return [(preset.map_value("vertical", v) or v).casefold() for v in split_list(cell)]
    if name in ("capacity", "annual_cost"):
        return parse_amount(cell)
    if name in ("leaving", "generalist"):
        return parse_bool(cell)
    if name == "ramp":
        value, percent = parse_number(cell)
        return value / 100 if percent else value
    if name == "max_accounts":
        caps: dict[str, int] = {}
        for part in split_list(cell):
            segment, sep, number = part.partition("=")
            if not sep or not number.strip().isdigit():
                raise ValueError(f"expected 'Segment=N' entries, got {part!r}")
            caps[segment.strip()] = int(number)
        return caps
    return text(cell, literal=True)


def read_roster(table: Table, issues: Issues, preset: Preset) -> Roster:
    """Parse the roster; every bad cell is reported with its row and column."""
    salesforce_ids = preset.salesforce_ids
    roster = Roster(source=table.source)
    for name, candidates in COLUMNS.items():
        found = table.find(candidates)
        if found is not None:
            roster.columns[name] = found
    for name in ("id", "segments", "capacity"):
        if name not in roster.columns and table.header:
            issues.error(
                table.source,
                1,
                None,
                f"no {name} column (looked for " + ", ".join(COLUMNS[name]) + ")",
            )
    if "id" not in roster.columns:
        return roster
    emails: dict[str, int] = {}
    for row in table.rows:
        record: dict[str, Any] = {}
        for name, column in roster.columns.items():
            cell = row.cells.get(column)
            if is_blank(cell, literal=name in LITERAL):
                continue
            try:
                record[name] = _parse_cell(name, cell, preset)
            except ValueError as error:
                issues.error(table.source, row.number, column, str(error))
        csm_id = record.get("id", "")
        if not csm_id:
            issues.error(table.source, row.number, roster.columns["id"], "blank CSM id")
            continue
        if csm_id in roster.rows:
            issues.error(
                table.source,
                row.number,
                roster.columns["id"],
                f"CSM {csm_id!r} already on row {roster.rows[csm_id]}",
            )
            continue
        email = record.pop("email", "")
        crm_id = record.pop("crm_id", "")
        if salesforce_ids and not crm_id and _USER_ID.match(csm_id):
            crm_id = csm_id  # the roster's ids are Salesforce user ids
        if salesforce_ids and crm_id:
            crm_id = sf18(crm_id)
        if email and _fold(email) in emails:
            issues.error(
                table.source,
                row.number,
                roster.columns["email"],
                f"email {email!r} already on row {emails[_fold(email)]}",
            )
        elif email:
            emails[_fold(email)] = row.number
        roster.rows[csm_id] = row.number
        roster.csms.append(record)
        roster.keys[csm_id] = CsmKeys(name=record.get("name", ""), email=email, crm_id=crm_id)
        for key in (
            csm_id,
            sf18(csm_id) if salesforce_ids else "",
            crm_id,
            email,
            record.get("name", ""),
        ):
            roster.add_key(key, csm_id)
    return roster
