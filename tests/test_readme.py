"""The README's Python examples use the public API only: every import is from `allocator`
itself and every `allocator.<name>` it mentions exists there."""

from __future__ import annotations

import re

import allocator
from tests.builders import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")
CODE = "\n".join(re.findall(r"```python\n(.*?)```", README, flags=re.S))


def test_the_readme_has_python_examples() -> None:
    assert "allocator.solve(" in CODE


def test_examples_import_only_the_public_api() -> None:
    imports = re.findall(r"^\s*(from allocator\S* import|import allocator\S*)", CODE, re.M)
    assert imports and set(imports) <= {"from allocator import", "import allocator"}
    names = re.findall(r"from allocator import \(?([^)\n]+(?:\n[^)\n]+)*)\)?", CODE)
    for group in names:
        for name in (n.strip() for n in group.replace("\n", ",").split(",")):
            if name:
                assert hasattr(allocator, name), name


def test_every_allocator_name_in_the_readme_text_exists() -> None:
    for name in set(re.findall(r"\ballocator\.([a-z_]\w*)\(", README)):
        assert hasattr(allocator, name), name
