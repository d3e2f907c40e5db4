"""Every rule of the model is one module, named as users see it, with a test module of its
own here; the hard rules each have a bad/good case run in both forms."""

from __future__ import annotations

import importlib
from pathlib import Path

from allocator.model.rules import RULES

HERE = Path(__file__).resolve().parent
RULE_MODULES = Path(importlib.import_module("allocator.model.rules").__file__ or "").parent


def test_each_rule_has_its_own_module_and_test_module() -> None:
    names = [rule.name for rule in RULES]
    assert len(names) == len(set(names)) == 15
    for name in names:
        assert (RULE_MODULES / f"{name}.py").exists(), name
        assert (HERE / f"test_{name}.py").exists(), name
