"""Fixtures shared by every test package; instance builders are in `tests/builders.py`."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest


@pytest.fixture
def tmp_json(tmp_path: Path) -> Callable[..., Path]:
    """Write a JSON-able object (or raw text) to a file in tmp_path and return its path."""

    def write(content: Any, name: str = "instance.json") -> Path:
        path = tmp_path / name
        path.write_text(
            content if isinstance(content, str) else json.dumps(content), encoding="utf-8"
        )
        return path

    return write
