"""Input errors: every problem found, each naming its record and field."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass


def printable(text: str, keep: str = "") -> str:
    """`text` with control characters (newlines, ANSI escapes) and lone surrogates shown as
    escapes: a name from a file can neither forge an extra error line nor drive the
    terminal. Characters in `keep` (e.g. newline, for a console) stay as they are."""
    if text.isprintable():
        return text
    out = []
    for char in text:
        if (
            char == " "
            or char in keep
            or unicodedata.category(char) not in ("Cc", "Cs", "Cf", "Zl", "Zp")
        ):
            out.append(char)
        else:
            out.append(char.encode("unicode_escape", "backslashreplace").decode("ascii"))
    return "".join(out)


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the input: which record, which field, what."""

    record: str
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.record}.{self.field}" if self.field else self.record
        return printable(f"{where}: {self.message}")


class InputError(Exception):
    """Invalid input; `problems` lists every problem found, `source` names the file."""

    def __init__(self, source: str, problems: list[Problem]):
        self.source = source
        self.problems = problems
        super().__init__("\n".join(self.lines()))

    def lines(self) -> list[str]:
        return [f"{printable(self.source)}: {p}" for p in self.problems]
