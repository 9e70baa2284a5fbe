"""The package's layers import only downwards, and no import cycle runs between files or parts.

Layers, each importing only layers before it (and itself)::

    errors → ortload → targets → ir → dialects → onnxio → analysis → passmanager → transforms → cost → top

where *top* is the user-facing part: ``compiler``, ``passes``, ``runtime``, ``universe``, ``summary``,
``cli``, ``instruments``, ``frontend`` (PyTorch to tagged ONNX); ``targets`` is the list of lowering targets, which ``forgec --help`` reads
without loading anything else; ``ortload`` is the one module that imports onnxruntime (an optional
dependency). Every ``import`` counts, including those inside functions (a lazy import is still a
dependency, only a cheaper one), and ``from pkg import name`` counts as importing the submodule
``pkg.name`` when there is one. Importing a module also runs its packages' ``__init__`` files, so
those count too. The edges are read from the source with ``ast``: nothing is imported.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path

import pytest
from paths import ROOT

PACKAGE = ROOT / "onnxforge"
LAYERS = ["errors", "ortload", "targets", "ir", "dialects", "onnxio", "analysis", "passmanager", "transforms", "cost",
          "top"]
TOP = {"compiler", "passes", "runtime", "universe", "summary", "cli", "instruments", "frontend", "batch"}


def _modules() -> dict[str, Path]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


MODULES = _modules()


def _package_of(module: str) -> str:
    """The package a module's relative imports start from."""
    is_package = MODULES[module].name == "__init__.py"
    return module if is_package else module.rpartition(".")[0]


def _targets(module: str, node: ast.Import | ast.ImportFrom) -> Iterable[str]:
    if isinstance(node, ast.Import):
        yield from (alias.name for alias in node.names)
        return
    base = node.module or ""
    if node.level:
        package = _package_of(module).split(".")
        package = package[: len(package) - node.level + 1]
        base = ".".join([*package, base] if base else package)
    for alias in node.names:
        yield f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base


def _with_packages(target: str, importer: str) -> Iterable[str]:
    """A module and the package ``__init__`` files importing it runs: not the root's (it imports
    nothing of ours at load time), nor the importer's own packages (already imported before it)."""
    parts = target.split(".")
    for end in range(2, len(parts) + 1):
        name = ".".join(parts[:end])
        if name in MODULES and (name == target or not importer.startswith(name + ".")):
            yield name


def _edges() -> dict[str, set[str]]:
    edges: dict[str, set[str]] = defaultdict(set)
    for module, path in MODULES.items():
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                for target in _targets(module, node):
                    if target.split(".")[0] == "onnxforge":
                        edges[module].update(t for t in _with_packages(target, module) if t != module)
    return edges


EDGES = _edges()


def part_of(module: str) -> str:
    """``onnxforge.transforms.lowering.norms`` → ``transforms``; ``onnxforge.compiler`` → ``compiler``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "onnxforge"


def layer_of(module: str) -> int:
    part = part_of(module)
    return LAYERS.index("top" if part in TOP else part)


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of the graph (as a path that returns to its start), or None."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt):], nxt]
            if nxt not in state and (found := visit(nxt)) is not None:
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)) is not None:
            return found
    return None


def test_every_part_is_in_a_layer() -> None:
    parts = {part_of(m) for m in MODULES} - {"onnxforge"}
    assert parts <= set(LAYERS) | TOP, sorted(parts - set(LAYERS) - TOP)


def test_the_root_package_imports_nothing_at_load_time() -> None:
    """Every ``import onnxforge.x`` runs it: it must stay free of our modules (``compile`` is lazy)."""
    tree = ast.parse((PACKAGE / "__init__.py").read_text())
    eager = [t for node in tree.body if isinstance(node, (ast.Import, ast.ImportFrom))
             for t in _targets("onnxforge", node) if t.startswith("onnxforge.")]
    assert eager == ["onnxforge.errors"]


def test_imports_only_go_downwards() -> None:
    upward = sorted(
        f"{module} (layer {LAYERS[layer_of(module)]}) imports {target} (layer {LAYERS[layer_of(target)]})"
        for module, targets in EDGES.items() if module != "onnxforge"
        for target in targets if target != "onnxforge" and layer_of(target) > layer_of(module)
    )
    assert not upward, "\n".join(upward)


def test_no_import_cycle_between_files() -> None:
    cycle = _cycle(EDGES)
    assert cycle is None, " → ".join(cycle or ())


def test_no_import_cycle_between_parts() -> None:
    graph: dict[str, set[str]] = defaultdict(set)
    for module, targets in EDGES.items():
        graph[part_of(module)].update(part_of(t) for t in targets if part_of(t) != part_of(module))
    cycle = _cycle(graph)
    assert cycle is None, " → ".join(cycle or ())


@pytest.mark.parametrize(("source", "expected"), [
    ("from onnxforge.ir import provenance", {"onnxforge.ir.provenance"}),
    ("from onnxforge.ir.provenance import node_name", {"onnxforge.ir.provenance"}),
    ("from . import tensor", {"onnxforge.ir.tensor"}),
    ("from onnxforge.ir import Nothing", {"onnxforge.ir"}),
    ("import onnxforge.dialects.onnx.base as b", {"onnxforge.dialects", "onnxforge.dialects.onnx", "onnxforge.dialects.onnx.base"}),
])
def test_edges_are_read_as_python_resolves_them(source: str, expected: set[str]) -> None:
    """The checker itself: relative imports, submodules named in ``from … import`` and package inits."""
    (node,) = ast.parse(source).body
    assert isinstance(node, (ast.Import, ast.ImportFrom))
    found = {p for t in _targets("onnxforge.ir.values", node) for p in _with_packages(t, "onnxforge.ir.values")}
    assert found == expected


def test_a_cycle_is_found() -> None:
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b", "c"}, "b": {"c"}, "c": set()}) is None
