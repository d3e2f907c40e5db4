"""Turning the rows of an account export into account records, cell by cell.

Each record keeps the spreadsheet row it came from and the column behind each field, so
that every later problem (a duplicate, an unknown owner, a validation error) can name the
file, row and column a user has to fix.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from allocator.crm.presets import REQUIRED, Preset
from allocator.crm.table import Issues, Row, Table
from allocator.crm.values import (
    Cell,
    currency_of,
    parse_amount,
    parse_bool,
    parse_date,
    parse_number,
    slash_ambiguous,
    slash_order,
    text,
)
from allocator.crm.values import salesforce_id as sf18


@dataclass
class Draft:
    """One account as read: our field values, its row, and the column behind each field."""

    row: int
    values: dict[str, Any] = field(default_factory=dict)
    columns: dict[str, str] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return str(self.values.get("id", ""))


@dataclass
class Columns:
    """Which export column feeds each field (fields absent from the export are missing)."""

    by_field: dict[str, str]
    region_from_country: bool = False

    def get(self, name: str) -> str | None:
        return self.by_field.get(name)


def find_columns(table: Table, preset: Preset, issues: Issues) -> Columns:
    found: dict[str, str] = {}
    for name, candidates in preset.columns.items():
        column = table.find(candidates)
        if column is not None:
            found[name] = column
    if not table.header:
        return Columns(found)
    for name in REQUIRED:
        if name not in found:
            looked = ", ".join(preset.columns.get(name, ())) or "no column mapped"
            issues.error(table.source, 1, None, f"no {name} column (looked for {looked})")
    if found.get("arr", "").replace(" ", "").casefold() == "annualrevenue":
        issues.warn(
            table.source,
            1,
            found["arr"],
            "AnnualRevenue is the customer's company "
            "revenue, not ARR; map your ARR field in a mapping file if you have one",
        )
    country = found.pop("country", None)
    if "region" not in found and country is not None:
        found["region"] = country
        return Columns(found, region_from_country=True)
    return Columns(found)


def _day_first(table: Table, column: str | None, preset: Preset, issues: Issues) -> bool:
    """Whether 'a/b/yyyy' dates in `column` are day-first: the preset's say, else what the
    unambiguous ones show, else month-first (US exports)."""
    if column is None:
        return False
    votes = Counter(slash_order(row.cells.get(column)) for row in table.rows)
    if votes[True] and votes[False]:
        issues.warn(
            table.source,
            None,
            column,
            f"mixes day-first ({votes[True]}) and month-first ({votes[False]}) dates; "
            "each is read the only way it can be, ambiguous ones as "
            + ("day-first" if preset.day_first else "month-first"),
        )
    if preset.day_first is not None:
        return preset.day_first
    ambiguous = [c for row in table.rows if slash_ambiguous(c := row.cells.get(column))]
    if ambiguous and not votes[True] and not votes[False]:
        issues.warn(
            table.source,
            None,
            column,
            f"every slashed date is ambiguous ({len(ambiguous)}, e.g. {text(ambiguous[0])!r} "
            "could be either day or month first); read month-first (US) — if these are "
            'day-first, set "day_first": true in the mapping file or pass --day-first',
        )
    return votes[True] > 0 and votes[False] == 0


@dataclass
class _Reader:
    """Parses one row's cells; remembers unmapped values to warn about once."""

    table: Table
    preset: Preset
    columns: Columns
    issues: Issues
    day_first: bool
    unmapped: dict[str, set[str]] = field(default_factory=dict)
    parsers: dict[str, Callable[[Cell], Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.parsers = {
            "arr": parse_amount,
            "renewal_date": lambda c: parse_date(c, self.day_first),
            "strategic": parse_bool,
            "locked": parse_bool,
            "health": lambda c: parse_number(c)[0],
            "effort": lambda c: parse_number(c)[0],
        }

    def _mapped(self, name: str, value: str, strict: bool) -> str:
        mapping = self.preset.value_map(name)
        found = mapping.get(" ".join(value.split()).casefold())
        if found is not None:
            return found
        if strict:
            raise ValueError(f"unknown value {value!r}; add it to the mapping's values.{name}")
        self.unmapped.setdefault(name, set()).add(value)
        return value

    def parse(self, name: str, cell: Cell) -> Any:
        if name in self.parsers:
            return self.parsers[name](cell)
        value = text(cell, literal=True)  # blanks were told apart in `read`
        if name == "id" or name == "parent_id":
            return sf18(value) if self.preset.salesforce_ids else value
        if name == "region":
            return self._mapped("region", value, strict=self.columns.region_from_country)
        if name == "vertical":
            return self._mapped("vertical", value, strict=False).casefold()
        if name == "lifecycle_stage":
            stage = self._mapped("lifecycle_stage", value, strict=False)
            return stage.casefold().replace(" ", "_").replace("-", "_")
        if name == "contract":
            return self._mapped("contract", value, strict=True)
        return value

    def read(self, row: Row) -> Draft:
        draft = Draft(row.number)
        for name, column in self.columns.by_field.items():
            cell = row.cells.get(column)
            if self.preset.is_blank(name, cell):
                if name in REQUIRED:
                    self.issues.error(
                        self.table.source, row.number, column, f"blank {name.replace('_', ' ')}"
                    )
                continue
            try:
                draft.values[name] = self.parse(name, cell)
            except ValueError as error:
                self.issues.error(self.table.source, row.number, column, str(error))
                continue
            draft.columns[name] = column
        reason = draft.values.get("lock_reason")
        if reason and "locked" not in draft.values:
            draft.values["locked"] = True  # a lock reason without a flag means locked
            draft.columns["locked"] = draft.columns["lock_reason"]
        return draft


def _warn_currencies(table: Table, column: str | None, issues: Issues) -> None:
    if column is None:
        return
    seen = sorted({c for row in table.rows if (c := currency_of(row.cells.get(column)))})
    if len(seen) > 1:
        issues.warn(
            table.source,
            None,
            column,
            f"mixes currencies ({', '.join(seen)}); amounts are taken as written, not converted",
        )


def read_drafts(table: Table, preset: Preset, issues: Issues) -> tuple[list[Draft], Columns]:
    """Every row as a Draft (rows with a bad id are reported and left out)."""
    columns = find_columns(table, preset, issues)
    reader = _Reader(
        table,
        preset,
        columns,
        issues,
        _day_first(table, columns.get("renewal_date"), preset, issues),
    )
    _warn_currencies(table, columns.get("arr"), issues)
    drafts = []
    for row in table.rows:
        draft = reader.read(row)
        if draft.id:
            drafts.append(draft)
    for name, values in sorted(reader.unmapped.items()):
        column = columns.get(name)
        listed = ", ".join(sorted(values)[:8]) + (" ..." if len(values) > 8 else "")
        issues.warn(
            table.source,
            None,
            column,
            f"{len(values)} value(s) kept as written (no {name} mapping): {listed}",
        )
    return drafts, columns


def drop_duplicates(drafts: list[Draft], source: str, issues: Issues) -> list[Draft]:
    """Identical repeats of an account are dropped with a warning; differing ones are errors
    naming each differing column."""
    first: dict[str, Draft] = {}
    kept = []
    for draft in drafts:
        earlier = first.get(draft.id)
        if earlier is None:
            first[draft.id] = draft
            kept.append(draft)
            continue
        differing = sorted(
            k
            for k in set(earlier.values) | set(draft.values)
            if earlier.values.get(k) != draft.values.get(k)
        )
        if not differing:
            issues.warn(
                source,
                draft.row,
                None,
                f"duplicate of row {earlier.row} (account {draft.id}, identical); dropped",
            )
            continue
        for name in differing:
            column = draft.columns.get(name) or earlier.columns.get(name)
            issues.error(
                source,
                draft.row,
                column,
                f"account {draft.id} is also on row {earlier.row} with a different "
                f"{name.replace('_', ' ')} ({_show(earlier.values.get(name))} vs "
                f"{_show(draft.values.get(name))})",
            )
    return kept


def _show(value: Any) -> str:
    if value is None:
        return "blank"
    if isinstance(value, float):
        return f"{value:,.2f}".rstrip("0").rstrip(".")
    return str(value)
