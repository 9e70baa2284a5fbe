"""Per-module report: nodes, parameters, FLOPs, bytes and estimated time of every ``nn.Module``.

Each row is one module path of the hierarchy tags (``onnxforge.ir.hierarchy``), with its own
(exclusive) numbers and those of its whole subtree (inclusive = exclusive + the children's
inclusive). Where each number comes from:

* **nodes**: the ops of the main graph that are ONNX nodes (onnx and nn dialect ops, ``onnx.custom``;
  not initializers, ``onnx.novalue`` or ``onnx.return``), each counted once at its tag's module. The
  ops of a subgraph (If/Loop/Scan bodies) and of model-local functions are part of the node that
  holds or calls them: they are not nodes of their own and their tags are not read.
* **FLOPs, bytes, ms**: the cost model's kernels (``cost.model.analyze`` / ``estimate``). A kernel may
  group ops of several modules: its FLOPs go to each op's module by that op's own count; its bytes
  go to its ops in proportion to their node weight; its time follows the FLOPs when the kernel is
  compute-bound, else the node weights. An op's node weight is 1, or for a fused op the number of
  nodes it absorbed, and a fused op's share is split among its ``fused_modules`` in proportion to
  those counts, so the totals of a module before and after a pipeline compare. Ops that launch no
  kernel (constants, shapes, views) have nodes but no cost.
* **params**: the model's ``onnxforge.module_table`` when it has one (``own_params`` and the inclusive
  ``params``, as the table states them); else the initializers, each counted once at the lowest common
  ancestor of the modules of the tagged nodes that read it (at the root when none is tagged); graph
  inputs the model names as weights (``onnxforge.weight_inputs``) count too. Initializers of integer (shape and index constants, position ids), bool and string type are not
  counted as parameters.

A model without any tag falls back to ``provenance.module_path`` (the exporters' own scopes: node
names of TorchScript, ``pkg.torch.onnx.name_scopes`` of dynamo); coverage then says 0 tagged nodes and
names the fallback. Nodes neither source places belong to the root.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from xdsl.dialects.builtin import ModuleOp, StringAttr
from xdsl.ir import Block, Operation, SSAValue

from onnxforge.cost.grouping import main_graph, weight_input_names
from onnxforge.cost.hardware import Target, load_target
from onnxforge.cost.model import Analysis, analyze, estimate
from onnxforge.dialects.onnx.queries import op_type
from onnxforge.dialects.onnx.structure import (
    FunctionOp,
    GraphOp,
    InitializerOp,
    ModelOp,
    NoValueOp,
    ReturnOp,
    strings_of,
)
from onnxforge.ir import hierarchy, provenance
from onnxforge.ir.types import TensorType, elem_name
from onnxforge.onnxio.hierarchy import ModuleTable

NOT_PARAMS = frozenset({"i16", "i32", "i64", "u16", "u32", "u64", "bool", "string"})
"""Element types of initializers that are not parameters (shapes, indices, masks; int8 and uint8 are: quantized weights)."""
UNTAGGED_LISTED = 10
FALLBACK = "provenance.module_path"


@dataclass
class Stats:
    """Numbers of one module (its own, or its subtree's)."""

    nodes: int = 0
    params: int = 0
    flops: float = 0.0
    bytes: float = 0.0
    seconds: float = 0.0

    @property
    def ms(self) -> float:
        return self.seconds * 1e3

    def add(self, other: Stats) -> None:
        self.nodes += other.nodes
        self.params += other.params
        self.flops += other.flops
        self.bytes += other.bytes
        self.seconds += other.seconds

    def to_json(self, inclusive: Stats) -> dict[str, Any]:
        return {"nodes": self.nodes, "nodes_inclusive": inclusive.nodes, "params": self.params,
                "params_inclusive": inclusive.params, "flops": self.flops, "flops_inclusive": inclusive.flops,
                "bytes": self.bytes, "bytes_inclusive": inclusive.bytes, "ms": self.ms, "ms_inclusive": inclusive.ms}


@dataclass
class Coverage:
    """How many nodes carry a hierarchy tag, and of what kind."""

    nodes: int = 0
    tagged: int = 0
    by_source: Counter[str] = field(default_factory=Counter)
    below_root: int = 0
    """Nodes placed in a module other than the root (by tag or fallback)."""
    untagged: list[tuple[str, str]] = field(default_factory=list)
    """(op type, node name) of the first untagged nodes."""
    untagged_count: int = 0
    modules_from: str = "tags"
    """``tags``, or ``provenance.module_path`` for a model without any tag."""

    def share(self, count: int) -> float:
        return count / self.nodes if self.nodes else 0.0

    def to_json(self) -> dict[str, Any]:
        return {"nodes": self.nodes, "tagged": self.tagged, "tagged_share": self.share(self.tagged),
                "by_source": {s: self.by_source.get(s, 0) for s in (*hierarchy.SOURCES, *sorted(
                    set(self.by_source) - set(hierarchy.SOURCES)))},
                "below_root": self.below_root, "below_root_share": self.share(self.below_root),
                "untagged_count": self.untagged_count,
                "untagged": [{"op": op, "name": name} for op, name in self.untagged],
                "modules_from": self.modules_from}

    def text(self) -> str:
        sources = ", ".join(f"{s} {n}" for s, n in self.by_source.most_common()) or "none"
        line = (f"coverage: {self.tagged}/{self.nodes} nodes tagged ({100 * self.share(self.tagged):.1f} %; {sources}); "
                f"{100 * self.share(self.below_root):.1f} % below the root")
        if self.modules_from != "tags":
            line += f"; no tags: modules from {self.modules_from}"
        if self.untagged_count:
            shown = ", ".join(f"{op} {name or '(unnamed)'}" for op, name in self.untagged)
            more = f" and {self.untagged_count - len(self.untagged)} more" if self.untagged_count > len(self.untagged) else ""
            line += f"\n  untagged: {shown}{more}"
        return line


@dataclass
class Side:
    """The per-module numbers of one model (as imported, or after a pipeline)."""

    own: dict[str, Stats]
    classes: dict[str, str]
    coverage: Coverage
    params_source: str
    """``module_table`` or ``initializers``."""
    order: list[str]
    """Module paths in first-seen order (a live module table's, then the graph's)."""
    table_params: dict[str, int] = field(default_factory=dict)
    """Inclusive parameter counts the module table states."""
    execution: str = ""
    dims: dict[str, int] = field(default_factory=dict)
    assumed: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.inclusive: dict[str, Stats] = {}
        for path, stats in self.own.items():
            for ancestor in _ancestors(path):
                self.inclusive.setdefault(ancestor, Stats()).add(stats)
        for path, params in self.table_params.items():
            self.inclusive.setdefault(path, Stats()).params = params

    @property
    def total(self) -> Stats:
        return self.inclusive.get("", Stats())

    def own_of(self, path: str) -> Stats:
        return self.own.get(path, Stats())

    def inclusive_of(self, path: str) -> Stats:
        return self.inclusive.get(path, Stats())


@dataclass
class Row:
    path: str
    module_class: str
    own: Stats
    inclusive: Stats
    after_own: Stats | None = None
    after_inclusive: Stats | None = None

    @property
    def depth(self) -> int:
        return hierarchy.depth(self.path)

    def to_json(self) -> dict[str, Any]:
        row: dict[str, Any] = {"path": self.path, "class": self.module_class, "depth": self.depth,
                               **self.own.to_json(self.inclusive)}
        if self.after_own is not None and self.after_inclusive is not None:
            row["after"] = self.after_own.to_json(self.after_inclusive)
        return row


@dataclass
class ModuleReport:
    """Rows of the module tree (preorder), before and optionally after a pipeline."""

    before: Side
    after: Side | None
    target: str
    depth: int | None
    label: str = ""
    pipeline: str = ""

    @property
    def rows(self) -> list[Row]:
        paths = _tree_order([*self.before.order, *(self.after.order if self.after else [])])
        rows = []
        for path in paths:
            if self.depth is not None and hierarchy.depth(path) > self.depth:
                continue
            cls = self.before.classes.get(path) or (self.after.classes.get(path, "") if self.after else "")
            row = Row(path, cls, self.before.own_of(path), self.before.inclusive_of(path))
            if self.after is not None:
                row.after_own, row.after_inclusive = self.after.own_of(path), self.after.inclusive_of(path)
            rows.append(row)
        return rows

    def to_json(self) -> dict[str, Any]:
        b = self.before
        coverage = b.coverage.to_json()
        if self.after is not None:
            coverage["after"] = self.after.coverage.to_json()
        return {"model": self.label, "target": self.target, "execution": b.execution, "dims": b.dims,
                "assumed": b.assumed, "pipeline": self.pipeline or None, "depth": self.depth,
                "params_source": b.params_source, "notes": b.notes, "coverage": coverage,
                "modules": [r.to_json() for r in self.rows]}


# --- building ---------------------------------------------------------------------------------


def side(module: ModuleOp, target: Target | str = "host", dims: dict[str, int] | None = None,
         execution: str | None = None) -> Side:
    """The per-module numbers of a module's main graph on ``target`` (symbolic dims bound from ``dims``)."""
    target = load_target(target) if isinstance(target, str) else target
    graph, model = main_graph(module)
    nodes = [op for op in graph.block.ops if _is_node(op)]
    tags = {op: hierarchy.tag_of(op) for op in nodes}
    fallback = not any(tags.values())
    place = {op: _place(op, tags[op], fallback) for op in nodes}
    table, params_from, table_note = _module_table(model)
    modules = _Modules()
    if params_from != "initializers":
        modules.order.extend(table)  # named_modules() order; a table rebuilt from tags is no better than the graph's
    # The graph's order of the modules the exporter named first: the inherited tags of weight aliases and
    # constants at the top of a graph would scramble it.
    modules.touch("", *(place[op] for op in nodes
                        if fallback or (tags[op] is not None and tags[op].source in ("exporter", "fused"))))
    coverage = _count_nodes(nodes, tags, place, modules, fallback)
    analysis = analyze(module, dims, execution or target.execution)
    _attribute_kernels(analysis, target, graph.block, tags, place, modules)

    table_params: dict[str, int] = {}
    # A table the importer rebuilt from initializer names ("params_from": "initializers") knows no more than
    # the initializers do, and less where the exporter renamed them: count them where they are read instead.
    if table and params_from != "initializers":
        params_source = "module_table"
        for path, entry in table.items():
            modules[path].params = _int(entry.get("own_params"))
            table_params[path] = _int(entry.get("params"))
    else:
        params_source = "initializers"
        for numel, readers in _weights(graph, model):
            modules[hierarchy.common_ancestor(place[r] for r in readers if tags.get(r) or fallback)].params += numel
    modules.order.extend(table)
    classes = _classes(table, (t for t in tags.values() if t is not None))
    notes = [*analysis.notes, *([table_note] if table_note else [])]
    return Side(modules.own, classes, coverage, params_source, modules.order, table_params, analysis.execution.name,
                dict(analysis.dims), dict(analysis.assumed), notes)


class _Modules:
    """Own numbers by module path, made on first use; the order paths were first used in."""

    def __init__(self) -> None:
        self.own: dict[str, Stats] = {}
        self.order: list[str] = []

    def touch(self, *paths: str) -> None:
        for path in paths:
            self[path]

    def __getitem__(self, path: str) -> Stats:
        if path not in self.own:
            self.own[path] = Stats()
            self.order.append(path)
        return self.own[path]


def _count_nodes(nodes: list[Operation], tags: dict[Operation, hierarchy.Tag | None], place: dict[Operation, str],
                 modules: _Modules, fallback: bool) -> Coverage:
    coverage = Coverage(nodes=len(nodes), modules_from=FALLBACK if fallback else "tags")
    for op in nodes:
        tag, path = tags[op], place[op]
        modules[path].nodes += 1
        modules.touch(*(tag.fused_modules if tag else ()))
        if tag is not None:
            coverage.tagged += 1
            coverage.by_source[tag.source] += 1
        else:
            coverage.untagged_count += 1
            if len(coverage.untagged) < UNTAGGED_LISTED:
                coverage.untagged.append((op_type(op), provenance.node_name(op)))
        if path:
            coverage.below_root += 1
    return coverage


def _attribute_kernels(analysis: Analysis, target: Target, block: Block, tags: dict[Operation, hierarchy.Tag | None],
                       place: dict[Operation, str], modules: _Modules) -> None:
    """Each kernel's FLOPs, bytes and time to the modules of its ops (see the module docstring)."""
    for e, plan in zip(estimate(analysis.kernels, target), analysis.plans, strict=True):
        ops = [_enclosing(op, block) for op in plan.ops]
        weights = [_weight(tags.get(op)) for op in ops]
        flops = [c.flops for c in plan.counts]
        total_w, total_f = sum(weights), sum(flops)
        by_flops = e.bound == "compute" and total_f > 0
        for op, w, f in zip(ops, weights, flops):
            node_share = w / total_w if total_w else 1.0 / len(ops)
            time_share = f / total_f if by_flops else node_share
            for path, part in _shares(tags.get(op), place.get(op, "")):
                stats = modules[path]
                stats.flops += f * part
                stats.bytes += e.kernel.bytes * node_share * part
                stats.seconds += e.seconds * time_share * part


def report(before: ModuleOp, target: Target | str = "host", dims: dict[str, int] | None = None,
           execution: str | None = None, depth: int | None = None, after: ModuleOp | None = None,
           label: str = "", pipeline: str = "") -> ModuleReport:
    """The per-module report of ``before`` (and of ``after``, the same model after a pipeline)."""
    target = load_target(target) if isinstance(target, str) else target
    return ModuleReport(side(before, target, dims, execution),
                        side(after, target, dims, execution) if after is not None else None,
                        target.name, depth, label, pipeline)


def _is_node(op: Operation) -> bool:
    return not isinstance(op, (InitializerOp, NoValueOp, ReturnOp, GraphOp, FunctionOp))


def _place(op: Operation, tag: hierarchy.Tag | None, fallback: bool) -> str:
    if tag is not None:
        return tag.module
    return provenance.module_path(op).replace("/", ".") if fallback else ""


def _shares(tag: hierarchy.Tag | None, place: str) -> list[tuple[str, float]]:
    """Where an op's cost goes: its module, or a fused op's absorbed modules by their node counts."""
    if tag is not None and tag.fused_modules:
        total = sum(tag.fused_modules.values())
        if total > 0:
            return [(path, n / total) for path, n in tag.fused_modules.items()]
    return [(place, 1.0)]


def _weight(tag: hierarchy.Tag | None) -> int:
    if tag is not None and tag.fused_modules:
        return max(sum(tag.fused_modules.values()), 1)
    return 1


def _enclosing(op: Operation, block: Block) -> Operation:
    """The op of ``block`` that is or holds ``op`` (a subgraph's op belongs to its If/Loop/Scan)."""
    while op.parent_block() is not block:
        parent = op.parent_op()
        if parent is None:
            return op
        op = parent
    return op


def _weights(graph: GraphOp, model: Operation | None) -> list[tuple[int, list[Operation]]]:
    """(elements, main-graph nodes reading it) of every initializer that is no input default (subgraphs'
    included), and of every graph input the model names as a weight (``onnxforge.weight_inputs``, the
    weightless fixtures)."""
    values: list[SSAValue] = [op.results[0] for op in graph.walk()
                              if isinstance(op, InitializerOp) and not op.is_input_default()]
    named = weight_input_names(model) if isinstance(model, ModelOp) else set()
    values += [arg for name, arg in zip(strings_of(graph.input_names), graph.block.args) if name in named]
    found = []
    for value in values:
        if _is_param(value):
            readers = {_enclosing(use.operation, graph.block) for use in value.uses}
            found.append((_numel(value), [r for r in readers if _is_node(r)]))
    return found


def _is_param(value: SSAValue) -> bool:
    t = value.type
    return isinstance(t, TensorType) and elem_name(t.elem) not in NOT_PARAMS


def _numel(value: SSAValue) -> int:
    t = value.type
    dims = t.dims if isinstance(t, TensorType) else None
    if dims is None or any(not isinstance(d, int) for d in dims):
        return 0
    n = 1
    for d in dims:
        n *= d  # type: ignore[operator]
    return n


def _int(value: object) -> int:
    return int(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else 0


def _module_table(model: Operation | None) -> tuple[dict[str, dict[str, Any]], str, str]:
    """The model's module table ({} when it has none, as ``ModuleTable.as_json`` rows), where its parameters
    came from, and a note when it cannot be read."""
    props = getattr(model, "metadata_props", None)
    entry = props.data.get(hierarchy.MODULE_TABLE) if props is not None else None
    if not isinstance(entry, StringAttr):
        return {}, "", ""
    table = ModuleTable.from_json(entry.data)
    if table is None:
        return {}, "", f"{hierarchy.MODULE_TABLE} cannot be read: parameters counted from initializers"
    return {path: info.as_json() for path, info in table.modules.items()}, table.params_from, ""


def _classes(table: dict[str, dict[str, Any]], tags: Iterable[hierarchy.Tag]) -> dict[str, str]:
    """Each module's class: the table's, else the last class of the chain of a node tagged with exactly that
    module (a fused op's chain is the common prefix of what it absorbed: not read)."""
    classes = {path: str(entry.get("class", "")) for path, entry in table.items() if entry.get("class")}
    for tag in tags:
        if tag.module not in classes and tag.module_class and tag.source != "fused":
            classes[tag.module] = tag.module_class.rsplit("/", 1)[-1]
    return classes


def _ancestors(path: str) -> list[str]:
    parts = hierarchy.atoms(path)
    return [".".join(parts[:n]) for n in range(len(parts) + 1)]


def _tree_order(seen: Iterable[str]) -> list[str]:
    """Every path and its ancestors, in preorder: children in first-seen order."""
    index: dict[str, int] = {}
    for path in seen:
        for ancestor in _ancestors(path):
            index.setdefault(ancestor, len(index))
    children: dict[str, list[str]] = {}
    for path in index:
        if path:
            children.setdefault(hierarchy.truncate(path, hierarchy.depth(path) - 1), []).append(path)
    out: list[str] = []
    stack = [""]
    while stack:
        path = stack.pop()
        out.append(path)
        stack.extend(reversed(sorted(children.get(path, []), key=index.__getitem__)))
    return out


# --- renderings -------------------------------------------------------------------------------


def _si(value: float, unit: str = "") -> str:
    for scale, prefix in ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= scale:
            return f"{value / scale:.3g}{prefix}{unit}"
    return f"{value:.3g}{unit}"


def _ms(value: float) -> str:
    return f"{value:.4f}"


def _columns(r: Row, changed: bool) -> list[str]:
    cells = [r.module_class.rsplit(".", 1)[-1], str(r.own.nodes), str(r.inclusive.nodes), _si(r.inclusive.params),
             _si(r.inclusive.flops), _si(r.inclusive.bytes, "B"), _ms(r.own.ms), _ms(r.inclusive.ms)]
    if changed and r.after_own is not None and r.after_inclusive is not None:
        cells[2] = f"{r.inclusive.nodes} → {r.after_inclusive.nodes}"
        cells[4] = f"{_si(r.inclusive.flops)} → {_si(r.after_inclusive.flops)}"
        cells[7] = f"{_ms(r.inclusive.ms)} → {_ms(r.after_inclusive.ms)}"
    return cells


HEADERS = ["class", "nodes", "nodes incl", "params incl", "FLOPs incl", "bytes incl", "ms", "ms incl"]


def _headline(rep: ModuleReport) -> list[str]:
    b = rep.before
    dims = ", ".join(f"{k}={v}" for k, v in sorted(b.dims.items())) or "static shapes"
    total = b.total
    lines = [f"{rep.label or 'model'}: {total.nodes} nodes, {_si(total.params)} params ({b.params_source}), "
             f"{_si(total.flops, 'FLOP')}, {_si(total.bytes, 'B')} moved, {total.ms:.4f} ms on {rep.target} "
             f"(execution {b.execution}; {dims})"]
    if rep.after is not None:
        a = rep.after.total
        lines.append(f"after {rep.pipeline or 'the pipeline'}: {a.nodes} nodes, {_si(a.params)} params, "
                     f"{_si(a.flops, 'FLOP')}, {_si(a.bytes, 'B')} moved, {a.ms:.4f} ms")
    lines.append(b.coverage.text())
    if rep.after is not None:
        lines.append("after: " + rep.after.coverage.text())
    lines += [f"note: {n}" for n in b.notes]
    return lines


def render_tree(rep: ModuleReport) -> str:
    """An indented tree with columns (nodes and ms: own; the rest inclusive)."""
    changed = rep.after is not None
    body = [["  " * r.depth + (hierarchy.atoms(r.path)[-1] if r.path else "(model)"), *_columns(r, changed)]
            for r in rep.rows]
    headers = ["module", *HEADERS]
    widths = [max(len(h), *(len(row[i]) for row in body)) for i, h in enumerate(headers)]
    align = "<<" + ">" * (len(headers) - 2)

    def line(cells: list[str]) -> str:
        return "  ".join(f"{c:{a}{w}}" for c, a, w in zip(cells, align, widths)).rstrip()

    return "\n".join([*_headline(rep), "", line(headers), *(line(row) for row in body)]) + "\n"


def render_markdown(rep: ModuleReport) -> str:
    changed = rep.after is not None
    headers = ["module", "depth", *HEADERS]
    sep = ["---", "---:", "---", *(["---:"] * len(HEADERS[1:]))]
    rows = [[f"`{r.path}`" if r.path else "(model)", str(r.depth), *_columns(r, changed)] for r in rep.rows]
    table = ["| " + " | ".join(c.replace("|", "\\|") for c in row) + " |" for row in [headers, sep, *rows]]
    return "\n\n".join(["\n".join(f"{line}  " for line in _headline(rep)), "\n".join(table)]) + "\n"


def render_json(rep: ModuleReport) -> str:
    return json.dumps(rep.to_json(), indent=1) + "\n"


RENDER = {"tree": render_tree, "md": render_markdown, "json": render_json}
