"""CSV outputs that open safely in a spreadsheet.

A text cell starting with `=`, `+`, `-`, `@`, a tab or a carriage return is a formula to
Excel and LibreOffice (`=HYPERLINK(...)` in an account name would run when a CS leader
opens the file). As OWASP recommends for CSV injection, such cells are written with a
leading `'`, which spreadsheets show as text; numbers are left as they are.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any) -> Any:
    """A text cell a spreadsheet would read as a formula, made plain text."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """`frame` with every text cell neutralised (column names too)."""
    safe = frame.copy()
    for column in safe.columns:
        series = safe[column]
        if series.dtype == object or pd.api.types.is_string_dtype(series.dtype):
            safe[column] = series.map(neutralise)
    safe.columns = [neutralise(str(c)) for c in safe.columns]
    return safe


def write_table(frame: pd.DataFrame, path: Path) -> None:
    """Write `frame` as CSV at `path` (callers make the write atomic)."""
    safe_frame(frame).to_csv(path, index=False)
