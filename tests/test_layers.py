"""The package's layers: each subpackage imports only from layers below it, and no module
imports itself back through others (no cycles). Imports are read from the source (every
`import` statement, at any depth), so an import hidden in a function counts too."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "allocator"

# Lowest first. A module may import from its own package and from lower layers; packages
# on one line are independent of each other. The checker sits below the model's facts:
# it derives what it needs itself, and the facts score plans with it.
LAYERS: list[set[str]] = [
    {"interrupts"},
    {"deadline", "parameters"},
    {"schema"},
    {"checker"},
    {"facts"},
    {"io"},
    {"model"},
    {"bounds"},
    {"search"},
    {"explain"},
    {"pipeline"},
    {"analysis"},
    {"report", "crm"},
    {"planning"},
    {"workspace"},
    {"cli"},
    {""},  # allocator/__init__.py: the public API
]


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in PACKAGE.rglob("*.py")}


def _imports(name: str, path: Path, known: set[str]) -> set[str]:
    """allocator modules imported by one module (resolved to the deepest known module)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[: len(parts) - node.level + 1] + ([base] if base else []))
            targets = [base] + [f"{base}.{alias.name}" for alias in node.names]
        for target in targets:
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target and target != name:
                found.add(target)
    return found


def _layer_of(module: str) -> int:
    top = module.split(".")[1] if "." in module else ""
    for rank, members in enumerate(LAYERS):
        if top in members:
            return rank
    raise AssertionError(f"{module} is in no layer: add its package to LAYERS")


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    known = set(modules)
    return {name: _imports(name, path, known) for name, path in modules.items()}


def test_every_import_goes_down_the_layers() -> None:
    upward = []
    for module, targets in sorted(_graph().items()):
        for target in sorted(targets):
            if target == "allocator" and module != "allocator":
                upward.append(f"{module} imports the public API package")
                continue
            same_package = target.split(".")[:2] == module.split(".")[:2]
            if not same_package and _layer_of(target) >= _layer_of(module):
                upward.append(f"{module} -> {target}")
    assert not upward, "imports that do not go down the layers:\n" + "\n".join(upward)


def test_no_import_cycles() -> None:
    graph = _graph()
    # Package __init__ files re-export their modules: an edge module -> its own package
    # __init__ is not a cycle through the package.
    for module, targets in graph.items():
        targets.difference_update({t for t in targets if module.startswith(t + ".")})
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                cycles.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    assert not cycles, "import cycles: " + "; ".join(" <-> ".join(c) for c in cycles)


def test_few_modules_at_the_top() -> None:
    top = sorted(p.name for p in PACKAGE.glob("*.py"))
    assert len(top) <= 12, top
