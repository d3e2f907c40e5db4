"""Reading untrusted text and JSON files: bounded in size and depth, strict about what JSON
may hold, every failure an `InputError` naming the file.

JSON as Python reads it accepts `NaN`, `Infinity`, numbers too large for a float (read as
infinity), duplicate keys (the last one silently wins) and lone surrogates in strings; none
of these can be a real instance, so each is refused here, before any record is parsed.
"""

from __future__ import annotations

import json
import math
import stat
from pathlib import Path
from typing import Any

from allocator.schema.errors import InputError, Problem

MAX_INPUT_BYTES = 512 * 1024 * 1024
"""The largest file read (a 50,000-account instance is about 10 MB)."""

MAX_JSON_DEPTH = 32
"""Nesting an instance never needs (it uses 5 levels)."""


class _Refused(ValueError):
    """A JSON value refused while parsing; carries the problem."""

    def __init__(self, problem: Problem):
        super().__init__(problem.message)
        self.problem = problem


def read_bytes(path: str | Path) -> bytes:
    """A regular file's bytes, at most MAX_INPUT_BYTES; devices, pipes and folders are
    refused (reading `/dev/zero` would never end)."""
    source = str(path)
    try:
        info = Path(path).stat()
    except FileNotFoundError:
        raise InputError(source, [Problem("file", "", "no such file")]) from None
    except OSError as error:
        raise InputError(source, [Problem("file", "", f"cannot read: {error}")]) from None
    if not stat.S_ISREG(info.st_mode):
        raise InputError(source, [Problem("file", "", "not a regular file")])
    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_INPUT_BYTES + 1)
    except OSError as error:
        raise InputError(source, [Problem("file", "", f"cannot read: {error}")]) from None
    if len(data) > MAX_INPUT_BYTES:
        limit = MAX_INPUT_BYTES // (1024 * 1024)
        raise InputError(source, [Problem("file", "", f"larger than {limit} MiB")])
    return data


def read_text(path: str | Path) -> str:
    """A UTF-8 text file (see `read_bytes`)."""
    try:
        return read_bytes(path).decode("utf-8")
    except UnicodeDecodeError as error:
        raise InputError(str(path), [Problem("file", "", f"not UTF-8 text: {error}")]) from None


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    for key, value in pairs:
        if key in seen:
            raise _Refused(Problem("JSON", key, "key given twice in one object"))
        seen[key] = value
    return seen


def _constant(name: str) -> Any:
    raise _Refused(Problem("JSON", "", f"{name} is not a number"))


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _Refused(Problem("JSON", "", f"number {text[:40]} is too large"))
    return value


def _check_tree(value: Any) -> Problem | None:
    """Depth and strings of a parsed document, without recursion."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_JSON_DEPTH:
            return Problem("JSON", "", f"nested deeper than {MAX_JSON_DEPTH} levels")
        if isinstance(node, dict):
            stack.extend((k, depth) for k in node)
            stack.extend((v, depth + 1) for v in node.values())
        elif isinstance(node, list):
            stack.extend((v, depth + 1) for v in node)
        elif isinstance(node, str) and _has_surrogate(node):
            shown = node.encode("utf-8", "backslashreplace").decode("ascii", "replace")[:60]
            return Problem("JSON", "", f"string {shown!r} holds a lone surrogate (not text)")
    return None


def _has_surrogate(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def parse_json(text: str, source: str) -> Any:
    """Parse untrusted JSON text strictly (see the module docstring)."""
    if not text.strip():
        raise InputError(source, [Problem("file", "", "file is empty")])
    try:
        value = json.loads(
            text,
            object_pairs_hook=_unique_keys,
            parse_constant=_constant,
            parse_float=_finite,
        )
    except _Refused as refused:
        raise InputError(source, [refused.problem]) from None
    except json.JSONDecodeError as error:
        where = f"line {error.lineno}, column {error.colno}"
        raise InputError(source, [Problem(where, "", f"malformed JSON: {error.msg}")]) from None
    except RecursionError:
        deep = Problem("JSON", "", f"nested deeper than {MAX_JSON_DEPTH} levels")
        raise InputError(source, [deep]) from None
    except ValueError as error:  # an integer of more digits than Python converts
        raise InputError(source, [Problem("JSON", "", f"unreadable number: {error}")]) from None
    problem = _check_tree(value)
    if problem is not None:
        raise InputError(source, [problem])
    return value


def read_json(path: str | Path) -> Any:
    """Parse a JSON file strictly, turning every way it can fail into an `InputError`."""
    return parse_json(read_text(path), str(path))
