"""Reading a CSV or XLSX export into rows numbered the way a spreadsheet shows them.

The header is row 1 and the first data row is row 2; blank rows keep their number but are
skipped. CSV cells are text; XLSX cells keep their type (numbers, datetimes, booleans).
Problems are collected as (file, Problem) pairs so that one report can span several files.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Literal

import pandas as pd
from openpyxl import load_workbook

from allocator.crm.values import Cell, is_blank, text
from allocator.io.reading import read_bytes
from allocator.schema.errors import InputError, Problem, printable

TableFormat = Literal["csv", "xlsx"]
_DELIMITERS = ",;\t|"


class CrmInputError(InputError):
    """Problems across several files, each line naming its own file."""

    def __init__(self, entries: list[tuple[str, Problem]]):
        self.entries = entries
        super().__init__(entries[0][0] if entries else "<crm>", [p for _, p in entries])

    def lines(self) -> list[str]:
        return [f"{printable(source)}: {problem}" for source, problem in self.entries]


@dataclass
class Issues:
    """Errors and warnings gathered while importing; `raise_if_any` reports them all."""

    errors: list[tuple[str, Problem]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def error(self, source: str, row: int | None, column: str | None, message: str) -> None:
        self.errors.append((source, Problem(where(row, column), "", message)))

    def warn(self, source: str, row: int | None, column: str | None, message: str) -> None:
        self.warnings.append(printable(f"{source}: {where(row, column)}: {message}"))

    def raise_if_any(self) -> None:
        if self.errors:
            raise CrmInputError(self.errors)


def where(row: int | None, column: str | None) -> str:
    parts = ([f"row {row}"] if row is not None else []) + ([f"column {column}"] if column else [])
    return ", ".join(parts) or "file"


@dataclass
class Row:
    number: int
    cells: dict[str, Cell]


@dataclass
class Table:
    """A sheet: its header names (as written) and its non-blank data rows."""

    source: str
    header: list[str]
    rows: list[Row]

    def find(self, candidates: Iterable[str]) -> str | None:
        """The first candidate present as a column (matched ignoring case and spaces)."""
        index = {_key(h): h for h in reversed(self.header)}
        for name in candidates:
            found = index.get(_key(name))
            if found is not None:
                return found
        return None


def _key(name: str) -> str:
    return " ".join(name.split()).casefold()


def _table(source: str, records: Iterable[tuple[int, Sequence[Cell]]], issues: Issues) -> Table:
    """Header from the first record, then rows keyed by header name (first of duplicates)."""
    iterator = iter(records)
    first = next(iterator, None)
    if first is None:
        issues.error(source, None, None, "file is empty")
        return Table(source, [], [])
    header = [text(h, literal=True) for h in first[1]]
    seen: dict[str, int] = {}
    for position, name in enumerate(header):
        if name and _key(name) in seen:
            issues.warn(source, 1, name, "column appears twice; the first one is used")
        elif name:
            seen[_key(name)] = position
    columns = [(header[p], p) for p in seen.values()]
    rows = []
    for number, values in iterator:
        if all(is_blank(v, literal=True) for v in values):
            continue
        cells = {name: values[p] if p < len(values) else None for name, p in columns}
        rows.append(Row(number, cells))
    return Table(source, [name for name, _ in columns], rows)


def _decode(data: bytes) -> str:
    # Excel writes CSV as UTF-8 with a BOM, or in the Windows code page (where € is 0x80).
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def _delimiter(first_line: str) -> str:
    """The delimiter used most in the header line (European Excel writes ';')."""
    counts = {d: first_line.count(d) for d in _DELIMITERS}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def read_csv_text(content: str, source: str, issues: Issues) -> Table:
    first_line = content.split("\n", 1)[0]
    reader = csv.reader(io.StringIO(content, newline=""), delimiter=_delimiter(first_line))
    try:
        records = [(n, list(r)) for n, r in enumerate(reader, start=1)]
    except csv.Error as error:
        issues.error(source, None, None, f"malformed CSV: {error}")
        return Table(source, [], [])
    return _table(source, records, issues)


MAX_XLSX_UNPACKED = 512 * 1024 * 1024
"""Bytes a workbook may unpack to (a 50,000-row export unpacks to about 30 MB)."""

MAX_XLSX_RATIO = 200
"""How much a workbook part may expand (sheet XML packs about 10 to 30 times)."""


def _zip_problem(path: Path) -> str | None:
    """Why the workbook's zip is not safe to unpack (a zip bomb), if it is not. The sizes
    the zip declares are the most `zipfile` will unpack, so checking them bounds memory."""
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as error:
        return f"cannot read as XLSX: {error}"
    total = sum(m.file_size for m in members)
    if total > MAX_XLSX_UNPACKED:
        return (
            f"unpacks to {total / 2**20:,.0f} MiB, over the "
            f"{MAX_XLSX_UNPACKED // 2**20} MiB allowed (a zip bomb?)"
        )
    for member in members:
        ratio = member.file_size // max(1, member.compress_size)
        if member.file_size > 1_000_000 and ratio > MAX_XLSX_RATIO:
            return f"part {member.filename!r} expands {ratio:,} times (a zip bomb?)"
    return None


def _read_xlsx(path: Path, source: str, issues: Issues) -> Table:
    problem = _zip_problem(path)
    if problem is not None:
        issues.error(source, None, None, problem)
        return Table(source, [], [])
    try:
        # defusedxml (a dependency) makes openpyxl refuse XML entities and DTDs
        workbook = load_workbook(path, read_only=True, data_only=True)
        try:
            sheet = workbook.worksheets[0]
            records = [
                (n, [_xlsx_cell(v) for v in values])
                for n, values in enumerate(sheet.iter_rows(values_only=True), start=1)
            ]
        finally:
            workbook.close()
    except Exception as error:
        issues.error(source, None, None, f"cannot read as XLSX: {type(error).__name__}: {error}")
        return Table(source, [], [])
    return _table(source, records, issues)


def _xlsx_cell(value: object) -> Cell:
    """A cell value as a Cell: decimals become floats, rich text and formulas text."""
    if value is None or isinstance(value, str | int | float | bool | dt.date | dt.time):
        return value
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, dt.timedelta):
        return value.total_seconds() / 86_400  # a duration cell: days, as Excel stores it
    return str(value)


def read_table(path: str | Path, fmt: TableFormat | None, issues: Issues) -> Table:
    """Read `path` (format from `fmt` or the file suffix); problems go to `issues`."""
    path = Path(path)
    source = str(path)
    kind = fmt or ("xlsx" if path.suffix.lower() in (".xlsx", ".xlsm") else "csv")
    if not path.is_file():
        issues.error(source, None, None, "no such file")
        return Table(source, [], [])
    if kind == "xlsx":
        return _read_xlsx(path, source, issues)
    try:
        content = _decode(read_bytes(path))
    except InputError as error:
        issues.error(source, None, None, error.problems[0].message)
        return Table(source, [], [])
    return read_csv_text(content, source, issues)


def frame_table(frame: pd.DataFrame, source: str) -> Table:
    """A DataFrame as a table: row numbers as if written to a sheet with a header row."""
    header = [str(c) for c in frame.columns]
    rows = []
    for number, record in enumerate(frame.itertuples(index=False, name=None), start=2):
        values: list[Cell] = [_frame_cell(v) for v in record]
        if not all(is_blank(v, literal=True) for v in values):
            rows.append(Row(number, dict(zip(header, values, strict=True))))
    return Table(source, header, rows)


def _frame_cell(value: object) -> Cell:
    if value is None or value is pd.NaT:
        return None
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    if isinstance(value, str | int | float | bool):
        return value
    if hasattr(value, "item"):  # numpy scalars
        item = value.item()
        if isinstance(item, str | int | float | bool):
            return item
    return str(value)
