"""The house's import graph: no cycles (deferred imports count) and no arrow against the flow.

The flow is geodata → coverage → (maps, scenarios on top): geodata imports only itself, coverage
imports geodata, maps draws what it is given (geodata only, never coverage), scenarios may import
every room. Built statically from the AST of every module, imports inside functions and under
``TYPE_CHECKING`` included.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ROOMS = ("geodata", "coverage", "maps", "scenarios")
#: Rooms each room may import (besides itself).
ALLOWED = {"geodata": set(), "coverage": {"geodata"}, "maps": {"geodata"}, "scenarios": set(ROOMS)}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path) -> set[str]:
    """Product modules ``path`` imports, as names relative to the repository (``coverage.reach``)."""
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                mod = ".".join([*base, node.module] if node.module else base)
            else:
                mod = node.module or ""
            targets = [mod] + [f"{mod}.{a.name}" for a in node.names]
        else:
            continue
        for t in targets:
            t = t.removeprefix("lifecircle.")
            if t.split(".")[0] in ROOMS:
                found.add(t)
    return found


def _graph() -> dict[str, set[str]]:
    files = [p for room in ROOMS for p in (ROOT / room).rglob("*.py")]
    modules = {_module_name(p): p for p in files}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        edges = set()
        for t in _imports(path):
            # `from pkg import mod` names a module; `from mod import func` names the module itself
            while t and t not in modules:
                t = t.rpartition(".")[0]
            if t and t != name:
                edges.add(t)
        graph[name] = edges
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def _package_of(module: str) -> str:
    return module.rsplit(".", 1)[0] if module.count(".") else module


def test_the_graph_sees_the_house():
    graph = _graph()
    assert {"geodata.common", "coverage.reach", "maps.webmap", "scenarios.pipeline"} <= set(graph)
    assert "geodata.common" in graph["coverage.reach"]  # an import is found
    # a deferred import (inside a function) is found too
    assert "scenarios.siting" in graph["scenarios.pipeline"]


def test_no_import_cycles():
    # a package's __init__ importing its own modules is not a cycle between rooms' modules
    graph = {m: {t for t in e if _package_of(t) != m} for m, e in _graph().items()}
    assert _cycles(graph) == []


def test_no_arrow_against_the_flow():
    wrong = sorted(
        f"{m} -> {t}"
        for m, edges in _graph().items()
        for t in edges
        if t.split(".")[0] != m.split(".")[0] and t.split(".")[0] not in ALLOWED[m.split(".")[0]]
    )
    assert wrong == []


def test_cycle_finder_finds_a_cycle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
