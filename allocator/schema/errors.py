"""Input errors: every problem found, each naming its record and field."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the input: which record, which field, what."""

    record: str
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.record}.{self.field}" if self.field else self.record
        return f"{where}: {self.message}"


class InputError(Exception):
    """Invalid input; `problems` lists every problem found, `source` names the file."""

    def __init__(self, source: str, problems: list[Problem]):
        self.source = source
        self.problems = problems
        super().__init__("\n".join(self.lines()))

    def lines(self) -> list[str]:
        return [f"{self.source}: {p}" for p in self.problems]
