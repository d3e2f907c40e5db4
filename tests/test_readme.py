"""The README's Python examples use the public API only: every import is from `allocator`
itself and every `allocator.<name>` it mentions exists there."""

from __future__ import annotations

import ast
import re

import allocator
from tests.builders import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")
CODE = "\n".join(re.findall(r"```python\n(.*?)```", README, flags=re.S))


def test_the_readme_has_python_examples() -> None:
    assert "allocator.solve(" in CODE


def test_examples_import_only_the_public_api() -> None:
    tree = ast.parse(CODE)
    modules = [n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)] + [
        alias.name for n in ast.walk(tree) if isinstance(n, ast.Import) for alias in n.names
    ]
    ours = [m for m in modules if m and m.split(".")[0] == "allocator"]
    assert ours and set(ours) == {"allocator"}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "allocator":
            for alias in node.names:
                assert hasattr(allocator, alias.name), alias.name


def test_every_allocator_name_in_the_readme_text_exists() -> None:
    for name in set(re.findall(r"\ballocator\.([a-z_]\w*)\(", README)):
        assert hasattr(allocator, name), name
