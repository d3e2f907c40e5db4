"""Reading the dirty cell values of CRM exports: amounts, dates, flags, Salesforce ids.

Every parser takes a raw cell (text from a CSV, or a typed value from an XLSX cell) and
returns the value or raises `ValueError` with a message fit for one line of an error report.
"""

from __future__ import annotations

import datetime as dt
import math
import re

Cell = str | int | float | bool | dt.datetime | dt.date | dt.time | None

# Values that mean "nothing here" in the number, date and flag columns of CRM exports.
# In name-like columns (ids, names, regions, verticals) they are values: "NA" is North
# America, and "None" may be a company's name; there only an empty cell is blank.
_BLANKS = frozenset({"", "-", "--", "n/a", "na", "none", "null", "#n/a"})
_CURRENCY = re.compile(r"US\$|C\$|A\$|USD|EUR|GBP|CAD|AUD|JPY|CHF|[$€£¥]", re.IGNORECASE)
_SCALE = {"": 1.0, "k": 1e3, "m": 1e6, "mm": 1e6, "mn": 1e6, "b": 1e9, "bn": 1e9}
_AMOUNT = re.compile(r"^([0-9][0-9.,]*)(k|m|mm|mn|b|bn)?$", re.IGNORECASE)
_SPACES = re.compile(r"[\s\u00a0\u202f'\u2019]")
_TRUE = frozenset({"true", "yes", "y", "1", "x", "checked", "t"})
_FALSE = frozenset({"false", "no", "n", "0", "unchecked", "f"})
# Excel's day 0 is 1899-12-30 (its 1900 leap-year bug is folded into the offset).
_EXCEL_EPOCH = dt.date(1899, 12, 30)
_SERIAL_RANGE = (20_000, 110_000)  # 1954-2201: anything else in a date column is a typo
_ISO = re.compile(r"^(\d{4})[-/](\d{1,2})[-/](\d{1,2})(?:[T ].*)?$")
_SLASHED = re.compile(r"^(\d{1,2})[/-](\d{1,2})[/-](\d{2}|\d{4})(?:[T ].*)?$")
_DOTTED = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{2}|\d{4})(?:[T ].*)?$")
_NAMED_FORMATS = (
    "%d %b %Y",
    "%d %B %Y",
    "%b %d, %Y",
    "%B %d, %Y",
    "%d-%b-%Y",
    "%d-%b-%y",
    "%b %d %Y",
    "%B %d %Y",
)
_SF_ID = re.compile(r"^[a-zA-Z0-9]{15}(?:[a-zA-Z0-9]{3})?$")
_SF_SUFFIX = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"


def is_blank(cell: Cell, literal: bool = False) -> bool:
    """An empty cell; unless `literal` (a name-like column), also the placeholders
    spreadsheets write for nothing ('n/a', '-', 'null', ...)."""
    if cell is None:
        return True
    if isinstance(cell, float) and math.isnan(cell):
        return True
    if not isinstance(cell, str):
        return False
    return not cell.strip() if literal else cell.strip().casefold() in _BLANKS


def text(cell: Cell, literal: bool = False) -> str:
    """The cell as trimmed text; whole floats lose their '.0' (Excel stores ids as numbers).
    `literal`: see `is_blank`."""
    if is_blank(cell, literal):
        return ""
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    if isinstance(cell, dt.datetime):
        return cell.date().isoformat() if cell.time() == dt.time() else cell.isoformat()
    if isinstance(cell, dt.date):
        return cell.isoformat()
    return str(cell).strip()


def _decimal(digits: str, scaled: bool) -> float:
    """'1,200,000.50' / '30.000,5' / '1,5' -> float; thousands groups must have 3 digits."""
    commas, dots = digits.count(","), digits.count(".")
    if commas and dots:
        decimal = "," if digits.rfind(",") > digits.rfind(".") else "."
    elif commas:
        # One comma followed by exactly three digits is a thousands separator ("1,200"),
        # unless a scale suffix makes a fraction likely ("1,5M").
        tail = digits.rsplit(",", 1)[1]
        decimal = "," if commas == 1 and (len(tail) != 3 or scaled) else ""
    elif dots > 1:
        decimal = ""
    else:
        decimal = "."
    whole, fraction = digits, ""
    if decimal and decimal in digits:
        whole, _, fraction = digits.rpartition(decimal)
    separators = "".join(sorted({",", "."} - {decimal}))
    groups = re.split(f"[{re.escape(separators)}]", whole)
    if len(groups) > 1 and (
        not groups[0] or len(groups[0]) > 3 or any(len(g) != 3 for g in groups[1:])
    ):
        raise ValueError("misplaced thousands separator")
    if not whole or (fraction and not fraction.isdigit()):
        raise ValueError("not a number")
    return float("".join(groups) + ("." + fraction if fraction else ""))


def currency_of(cell: Cell) -> str | None:
    """The currency symbol or code written in a text amount, if any."""
    if not isinstance(cell, str):
        return None
    match = _CURRENCY.search(cell)
    return match.group(0).upper() if match else None


def parse_amount(cell: Cell) -> float:
    """'$1,200,000', '1.2M', '€ 30 000', '(5,000)', 'USD 12k' or a number cell -> float."""
    if isinstance(cell, bool):
        raise ValueError(f"expected an amount, got {cell}")
    if isinstance(cell, int | float):
        if math.isnan(cell) or math.isinf(cell):
            raise ValueError("expected an amount")
        return float(cell)
    if not isinstance(cell, str):
        raise ValueError(f"expected an amount, got {text(cell)!r}")
    raw = cell.strip()
    body = _SPACES.sub("", _CURRENCY.sub("", raw))
    negative = body.startswith("-") or (body.startswith("(") and body.endswith(")"))
    body = body.strip("()").lstrip("-+")
    match = _AMOUNT.match(body)
    if not match:
        raise ValueError(f"cannot read amount {raw!r}")
    suffix = (match.group(2) or "").lower()
    try:
        # Rounded to cents: '123.4k' is 123400, not 123400.00000000001.
        value = round(_decimal(match.group(1), scaled=bool(suffix)) * _SCALE[suffix], 2)
    except ValueError as error:
        raise ValueError(f"cannot read amount {raw!r} ({error})") from None
    return -value if negative else value


def parse_number(cell: Cell) -> tuple[float, bool]:
    """A plain number and whether it was written as a percentage ('75%')."""
    if isinstance(cell, str) and cell.strip().endswith("%"):
        return parse_amount(cell.strip()[:-1]), True
    if isinstance(cell, str) and currency_of(cell):
        raise ValueError(f"expected a number, got {cell.strip()!r}")
    try:
        return parse_amount(cell), False
    except ValueError:
        raise ValueError(f"expected a number, got {text(cell)!r}") from None


def parse_bool(cell: Cell) -> bool:
    if isinstance(cell, bool):
        return cell
    word = text(cell).casefold()
    if word in _TRUE:
        return True
    if word in _FALSE:
        return False
    raise ValueError(f"expected yes/no or true/false, got {text(cell)!r}")


def slash_order(cell: Cell) -> bool | None:
    """For an 'a/b/yyyy' date: True if only day-first reads it, False if only month-first,
    None when both could (or it is not such a date)."""
    match = _SLASHED.match(cell.strip()) if isinstance(cell, str) else None
    if not match:
        return None
    first, second = int(match.group(1)), int(match.group(2))
    if first > 12 >= second:
        return True
    if second > 12 >= first:
        return False
    return None


def slash_ambiguous(cell: Cell) -> bool:
    """An 'a/b/yyyy' date that reads as two different dates ('05/03/2025')."""
    match = _SLASHED.match(cell.strip()) if isinstance(cell, str) else None
    if not match:
        return False
    first, second = int(match.group(1)), int(match.group(2))
    return first != second and first <= 12 and second <= 12


def _year(value: str) -> int:
    return int(value) + 2000 if len(value) == 2 else int(value)


def _make_date(year: int, month: int, day: int, raw: str) -> dt.date:
    try:
        return dt.date(year, month, day)
    except ValueError:
        raise ValueError(f"no such date {raw!r}") from None


def _serial(value: float, raw: str) -> dt.date:
    if not _SERIAL_RANGE[0] <= value < _SERIAL_RANGE[1]:
        raise ValueError(f"{raw!r} is not a date (as an Excel serial it is out of range)")
    return _EXCEL_EPOCH + dt.timedelta(days=int(value))


def parse_date(cell: Cell, day_first: bool = False) -> dt.date:
    """ISO, US '03/31/2027', European '31.03.2027' / '31/03/2027', '31 Mar 2027', Excel
    serial numbers and datetime cells. `day_first` decides 'a/b/yyyy' when both fit."""
    if isinstance(cell, dt.datetime):
        return cell.date()
    if isinstance(cell, dt.date):
        return cell
    if isinstance(cell, bool) or cell is None or isinstance(cell, dt.time):
        raise ValueError(f"expected a date, got {text(cell)!r}")
    if isinstance(cell, int | float):
        return _serial(float(cell), text(cell))
    raw = cell.strip()
    if re.fullmatch(r"\d{5}(\.\d+)?", raw):
        return _serial(float(raw), raw)
    if match := _ISO.match(raw):
        return _make_date(int(match.group(1)), int(match.group(2)), int(match.group(3)), raw)
    if match := _DOTTED.match(raw):
        return _make_date(_year(match.group(3)), int(match.group(2)), int(match.group(1)), raw)
    if match := _SLASHED.match(raw):
        a, b = int(match.group(1)), int(match.group(2))
        order = slash_order(raw)
        if order is True or (order is None and day_first):
            a, b = b, a
        return _make_date(_year(match.group(3)), a, b, raw)
    for fmt in _NAMED_FORMATS:
        try:
            return dt.datetime.strptime(raw, fmt).date()
        except ValueError:
            continue
    raise ValueError(f"cannot read date {raw!r}")


def salesforce_id(value: str) -> str:
    """A 15- or 18-character Salesforce id in its 18-character form.

    The 3-character suffix encodes which of the first 15 characters are upper case, so a
    15-character id gets its suffix computed, and an 18-character id whose case was lost
    (a case-insensitive tool upper- or lower-cased it) gets its case back from the suffix.
    Anything that does not look like a Salesforce id is returned unchanged.
    """
    if not _SF_ID.match(value):
        return value
    if len(value) == 18:
        suffix = value[15:].upper()
        if any(ch not in _SF_SUFFIX for ch in suffix):
            return value
        chars = list(value[:15])
        for chunk, code in enumerate(suffix):
            bits = _SF_SUFFIX.index(code)
            for j in range(5):
                ch = chars[chunk * 5 + j]
                chars[chunk * 5 + j] = ch.upper() if bits >> j & 1 else ch.lower()
        return "".join(chars) + suffix
    suffix = ""
    for chunk in range(3):
        part = value[chunk * 5 : chunk * 5 + 5]
        bits = sum(1 << j for j, ch in enumerate(part) if "A" <= ch <= "Z")
        suffix += _SF_SUFFIX[bits]
    return value + suffix
