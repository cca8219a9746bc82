"""The package shows the flow data -> rules -> formulations -> solvers -> outputs ->
analysis -> CLI: no module imports a package above its own layer, and no import
cycles between modules."""

from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx

from conftest import ROOT

PACKAGE = ROOT / "src" / "consortia"
LAYERS = {
    "errors": 0,
    "folders": 0,
    "data": 1,
    "rules": 2,
    "backend": 3,
    "formulations": 4,
    "solvers": 5,
    "outputs": 6,
    "analysis": 7,
    "cli": 8,
}


def _module(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> list[str]:
    """consortia modules imported by `path`, outside `if TYPE_CHECKING:` blocks."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    typing_only: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            typing_only |= {id(n) for n in ast.walk(node)}
    found = []
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module.startswith("consortia"):
                found.append(node.module)
        elif isinstance(node, ast.Import):
            found += [a.name for a in node.names if a.name.startswith("consortia")]
    return found


def _layer(module: str) -> int | None:
    parts = module.split(".")
    return LAYERS.get(parts[1]) if len(parts) > 1 else None


def _graph() -> nx.DiGraph:
    graph = nx.DiGraph()
    for path in PACKAGE.rglob("*.py"):
        graph.add_node(_module(path))
        for target in _imports(path):
            graph.add_edge(_module(path), target)
    return graph


def test_every_module_belongs_to_a_layer() -> None:
    for path in PACKAGE.rglob("*.py"):
        module = _module(path)
        assert module == "consortia" or _layer(module) is not None, module


def test_no_module_imports_a_layer_above_its_own() -> None:
    upward = []
    for source, target in _graph().edges:
        if source == "consortia":  # the public API gathers every layer
            continue
        here, there = _layer(source), _layer(target)
        if there is None or (here is not None and there > here):
            upward.append(f"{source} -> {target}")
    assert upward == []


def test_no_import_cycles() -> None:
    graph = _graph()
    graph.remove_node("consortia")
    cycles = list(nx.simple_cycles(graph))
    assert cycles == []
