"""Hierarchy tags on ONNX protos: what each torch exporter recorded, normalised to one schema.

The schema is ``onnxforge.ir.hierarchy``'s. ``tag_model`` writes it on every node of a model
(main graph, subgraphs, functions), from:

* the dynamo exporter's ``pkg.torch.onnx.name_scopes`` (full module paths, the last entry being the
  FX node) and ``pkg.torch.onnx.class_hierarchy`` (their classes);
* TorchScript node names ``/encoder/layer.0/attention/self/query/MatMul``, whose scopes are torch's
  *unqualified* module names (the last non-numeric atom of the path and what follows it:
  ``encoder.layer.0`` → ``layer.0``, ``layer1.0`` → ``layer1.0``; a second call of a module gets
  ``_1``). With a ``ModuleTable`` (the live module's ``named_modules()``) each scope resolves to
  exactly one module and its class; without one the path is rebuilt from the scopes alone, and the
  class chain stays empty;
* nothing: a node the exporter did not attribute (TorchScript's Constants and initializer aliases,
  dynamo's ``sym_size`` entry nodes) takes the lowest common ancestor of the modules of the nodes that
  consume its outputs (of those producing its inputs when nothing consumes it; of the node holding its
  graph, for a subgraph), source ``inherited``.

A node that already has ``onnxforge.module`` keeps it, so a compiled model re-imported keeps the
first run's tags. The model's ``onnxforge.module_table`` is written from the table when one is given,
else from what the tags say (classes from the chains, parameters from initializers named after the
module, ``"params_from": "initializers"``).
"""

from __future__ import annotations

import ast
import functools
import itertools
import json
import math
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field

from onnx import GraphProto, ModelProto, NodeProto, StringStringEntryProto, TensorProto

from onnxforge.ir import hierarchy
from onnxforge.ir.hierarchy import MODULE, MODULE_TABLE, NAMESPACE, Tag

NAME_SCOPES = "pkg.torch.onnx.name_scopes"
CLASS_HIERARCHY = "pkg.torch.onnx.class_hierarchy"
FX_NODE = "pkg.torch.onnx.fx_node"
STACK_TRACE = "pkg.torch.onnx.stack_trace"
_NO_MODULE = "_empty_nn_module_stack_from_metadata_hook"
_FLOAT_TYPES = {TensorProto.FLOAT, TensorProto.FLOAT16, TensorProto.BFLOAT16, TensorProto.DOUBLE}
_CALL_SUFFIX = re.compile(r"^(.*)_(\d+)$")


@dataclass
class ModuleInfo:
    """One ``nn.Module`` of the model: its qualified class, parameters (inclusive, tied weights once) and
    the parameters it owns itself, and how often the forward called it."""

    path: str
    cls: str
    params: int = 0
    own_params: int = 0
    calls: int = 0

    def as_json(self) -> dict[str, object]:
        return {"class": self.cls, "params": self.params, "own_params": self.own_params, "calls": self.calls}


@dataclass
class ModuleTable:
    """``named_modules()`` of a live module (or what a model's table says), by dotted path."""

    modules: dict[str, ModuleInfo] = field(default_factory=dict)
    params_from: str = "state_dict"

    def to_json(self) -> str:
        return json.dumps({"params_from": self.params_from,
                           "modules": {p: m.as_json() for p, m in self.modules.items()}}, separators=(",", ":"))

    @staticmethod
    def from_json(text: str) -> ModuleTable | None:
        try:
            data = json.loads(text)
            modules = {p: ModuleInfo(p, str(m.get("class", "")), int(m.get("params", 0)), int(m.get("own_params", 0)),
                                     int(m.get("calls", 0))) for p, m in data["modules"].items()}
            return ModuleTable(modules, str(data.get("params_from", "state_dict")))
        except (ValueError, KeyError, TypeError, AttributeError):
            return None

    @staticmethod
    def of_model(model: ModelProto) -> ModuleTable | None:
        text = next((e.value for e in model.metadata_props if e.key == MODULE_TABLE), None)
        return ModuleTable.from_json(text) if text is not None else None

    def short_class(self, path: str) -> str:
        info = self.modules.get(path)
        return info.cls.rsplit(".", 1)[-1] if info else ""

    @functools.cached_property
    def _by_unqualified(self) -> dict[str, list[str]]:
        found: dict[str, list[str]] = {}
        for path in self.modules:
            if path:
                found.setdefault(unqualified(path), []).append(path)
        return found

    def child_named(self, parent: str, scope: str) -> str | None:
        """The shallowest module below ``parent`` whose unqualified name is ``scope`` (a TorchScript scope)."""
        candidates = [p for p in self._by_unqualified.get(scope, ()) if hierarchy.is_within(p, parent) and p != parent]
        return min(candidates, key=lambda p: (hierarchy.depth(p), p)) if candidates else None


@dataclass
class Coverage:
    """How many nodes carry a tag, by where it came from."""

    total: int = 0
    by_source: Counter[str] = field(default_factory=Counter)
    below_root: int = 0
    untagged: list[str] = field(default_factory=list)
    unresolved: list[str] = field(default_factory=list)
    """Nodes whose tag names a module the table does not have."""

    @property
    def tagged(self) -> int:
        return sum(self.by_source.values())

    @property
    def percent(self) -> float:
        return 100.0 * self.tagged / self.total if self.total else 100.0

    def as_json(self) -> dict[str, object]:
        return {"nodes": self.total, "tagged": self.tagged, "percent": round(self.percent, 2),
                "by_source": dict(self.by_source), "below_root": self.below_root,
                "untagged": self.untagged[:20], "unresolved": self.unresolved[:20]}

    def summary(self) -> str:
        sources = ", ".join(f"{k} {v}" for k, v in sorted(self.by_source.items(), key=lambda kv: -kv[1]))
        below = 100.0 * self.below_root / self.total if self.total else 0.0
        return (f"{self.tagged}/{self.total} nodes tagged ({self.percent:.1f} %: {sources or 'none'}); "
                f"{below:.1f} % below the root")


def unqualified(path: str) -> str:
    """torch's scope name of a module: its last non-numeric atom and the numeric atoms after it."""
    parts = path.split(".")
    start = len(parts) - 1
    while start > 0 and parts[start].isdigit():
        start -= 1
    return ".".join(parts[start:])


# --- reading what the exporters recorded ---------------------------------------------------------


def _props(node: NodeProto) -> dict[str, str]:
    return {e.key: e.value for e in node.metadata_props}


@functools.lru_cache(maxsize=8192)
def _literal_list(text: str) -> tuple[str, ...]:
    try:
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return ()
    return tuple(str(v) for v in value) if isinstance(value, (list, tuple)) else ()


def _fx_name(props: dict[str, str]) -> str | None:
    text = props.get(FX_NODE, "")
    return text[1:].split(" ", 1)[0] if text.startswith("%") else None


_CALL = re.compile(r"(?<![\w.])([A-Za-z_][\w.]*)\s*\(")
_NOT_FUNCTIONAL = {"len", "int", "float", "bool", "range", "tuple", "list", "dict", "max", "min", "getattr", "isinstance",
                   "super", "print", "zip", "enumerate", "sum", "any", "all", "type", "str"}


def _functional(props: dict[str, str]) -> str | None:
    """The function a node was made in when it is code of its own rather than a module's layers: the dynamo
    exporter records the line of the module's ``forward`` that made the node; when that line calls a plain
    function (``create_causal_mask(...)``) or a helper method (``self._create_attention_masks(...)``), the
    node belongs to that function. Calls of torch and tensor methods (``torch.matmul``, ``x.view``) are the
    module's own layers."""
    lines = props.get(STACK_TRACE, "").strip().splitlines()
    if not lines or lines[-1].lstrip().startswith("File "):  # no code line: nothing to read
        return None
    for target in _CALL.findall(lines[-1]):
        if target.startswith("self.") and target.count(".") == 1 and target[5:].startswith("_"):
            return target[5:]
        if "." not in target and target not in _NOT_FUNCTIONAL and not target[:1].isupper():
            return target
    return None


@dataclass
class _Tagger:
    table: ModuleTable | None
    calls: dict[str, int]
    scopes_seen: set[tuple[tuple[str, ...], str]] = field(default_factory=set)
    """(enclosing scopes, scope) of every TorchScript node name: tells a repeated call from a name with ``_N``."""
    namespaces: dict[str, str] = field(default_factory=dict)
    """Model Explorer ``namespace`` prefix of each module path seen (``: Root/encoder: Encoder``)."""
    coverage: Coverage = field(default_factory=Coverage)

    def from_dynamo(self, props: dict[str, str]) -> Tag | None:
        scopes = _literal_list(props[NAME_SCOPES])
        classes = _literal_list(props.get(CLASS_HIERARCHY, "[]"))
        if not scopes or scopes[0] == _NO_MODULE:
            return None
        modules = list(scopes[:-1])
        classes = list(classes[:-1]) if len(classes) == len(scopes) else []
        path = modules[-1] if modules else ""
        chain = "/".join(c.rsplit(".", 1)[-1] for c in classes)
        if not chain and self.table is not None:
            chain = "/".join(self.table.short_class(m) for m in modules)
        fx = _fx_name(props)
        call = self.calls.get(fx, 0) if fx else 0
        # torch's own modules (Conv2d.forward calling self._conv_forward) are layers, not functional code
        own = bool(classes) and not classes[-1].startswith("torch.")
        function = _functional(props) if own or not classes else None
        source = "functional" if function is not None else "exporter"
        if classes and path not in self.namespaces:
            self.namespaces[path] = "/".join(f"{m}: {c}" for m, c in zip(modules, classes))
        return Tag(path, chain, call, source, function=function or "")

    def from_torchscript(self, name: str) -> Tag | None:
        scopes = [s for s in name.split("/")[1:-1] if s]
        if not scopes:
            return None
        path, call, chain = "", 0, [self.table.short_class("")] if self.table is not None else []
        resolved = 0
        for scope in scopes:
            if self.table is not None:
                found = self.table.child_named(path, scope)
                if found is None and (m := _CALL_SUFFIX.match(scope)):
                    found = self.table.child_named(path, m.group(1))
                    call = int(m.group(2)) if found is not None else call
                elif found is not None:
                    call = 0
                if found is None:
                    self.coverage.unresolved.append(name)
                    break
                path = found
                chain.append(self.table.short_class(found))
            else:  # `proj_1` is the second call of `proj` only where `proj` is a scope there too (not `ln_1`)
                m = _CALL_SUFFIX.match(scope)
                repeat = m is not None and (tuple(scopes[:resolved]), m.group(1)) in self.scopes_seen
                base, call = (m.group(1), int(m.group(2))) if repeat and m else (scope, 0)
                path = _join_scope(path, base)
            resolved += 1
        tag = Tag(path, "/".join(chain), call, "exporter")
        if path not in self.namespaces:  # torch's scope names, each with its class when the table has it
            classes = chain[1:] if self.table is not None else []
            self.namespaces[path] = "/".join(f"{s}: {c}" if c else s for s, c in
                                             itertools.zip_longest(scopes[:resolved], classes, fillvalue=""))
        return tag


def _join_scope(path: str, scope: str) -> str:
    """A TorchScript scope below ``path`` without the live module: ``layer1`` + ``layer1.0`` is ``layer1.0``
    (the scope repeats the parent's last atom), ``encoder`` + ``layer.0`` is ``encoder.layer.0``."""
    head = scope.split(".")[0]
    if path and "." in scope and path.split(".")[-1] == head:
        return ".".join([*path.split(".")[:-1], scope])
    return f"{path}.{scope}" if path else scope


# --- the walk ----------------------------------------------------------------------------------


def _graphs(graph: GraphProto) -> Iterator[tuple[GraphProto, list[NodeProto], NodeProto | None]]:
    """The graph and every subgraph below it, each with its nodes and the node holding it (None for the
    top). The node lists are built once: protobuf hands out a new wrapper object on every access, and
    the walk keys nodes by identity."""
    stack: list[tuple[GraphProto, NodeProto | None]] = [(graph, None)]
    while stack:
        current, holder = stack.pop()
        nodes = list(current.node)
        yield current, nodes, holder
        for node in nodes:
            for attr in node.attribute:
                if attr.HasField("g"):
                    stack.append((attr.g, node))
                stack.extend((g, node) for g in attr.graphs)


def _set(node: NodeProto, props: dict[str, str]) -> None:
    """Replace/add ``props`` in the node's metadata_props, keeping every other entry and their order."""
    kept = [e for e in node.metadata_props if e.key not in props]
    del node.metadata_props[:]
    node.metadata_props.extend(kept)
    node.metadata_props.extend(StringStringEntryProto(key=k, value=v) for k, v in props.items())


def has_hierarchy(model: ModelProto) -> bool:
    """Whether any node records a module (a tag, dynamo scopes, or a TorchScript scoped name)."""
    for _, nodes, _ in _graphs(model.graph):
        for node in nodes:
            if node.name.startswith("/") and node.name.count("/") > 1:
                return True
            for entry in node.metadata_props:
                if entry.key in (MODULE, NAME_SCOPES):
                    return True
    return False


NodeKey = tuple[str, str, tuple[str, ...]]


def node_key(node: NodeProto) -> NodeKey:
    """A node's identity across walks (protobuf hands out a new wrapper object on every access)."""
    return node.op_type, node.name, tuple(node.output)


@dataclass
class TagPlan:
    """The tags ``tag_model`` would write: metadata entries per node, the model's table, the coverage."""

    node_props: dict[NodeKey, dict[str, str]]
    table: ModuleTable
    coverage: Coverage

    def props(self, node: NodeProto) -> dict[str, str]:
        """The node's metadata_props with the tags: its own entries first, as they were."""
        props = {e.key: e.value for e in node.metadata_props}
        props.update(self.node_props.get(node_key(node), {}))
        return props

    def model_props(self, model: ModelProto) -> dict[str, str]:
        props = {e.key: e.value for e in model.metadata_props}
        props[MODULE_TABLE] = self.table.to_json()
        return props


def plan_tags(model: ModelProto, table: ModuleTable | None = None, calls: dict[str, int] | None = None) -> TagPlan:
    """The tags of every node of ``model`` (see the module docstring); nothing is written.

    ``table`` is the live module's table (resolves TorchScript scopes; becomes the model's table);
    ``calls`` maps an FX node name to the call index of its innermost module (from torch.export's
    ``nn_module_stack``), for dynamo exports."""
    if table is None:
        table = ModuleTable.of_model(model)
    tagger = _Tagger(table, calls or {})
    tags: dict[int, Tag] = {}
    graphs = list(_graphs(model.graph))
    graphs += [(f, list(f.node), None) for f in model.functions]  # type: ignore[misc]
    if table is None:
        for _, nodes, _ in graphs:
            for node in nodes:
                if node.name.startswith("/"):
                    scopes = [s for s in node.name.split("/")[1:-1] if s]
                    tagger.scopes_seen.update((tuple(scopes[:i]), s) for i, s in enumerate(scopes))
    for _, nodes, _ in graphs:
        for node in nodes:
            props = _props(node)
            tag = Tag.from_props(props)
            if tag is None and NAME_SCOPES in props:
                tag = tagger.from_dynamo(props)
            elif tag is None and node.name.startswith("/"):
                tag = tagger.from_torchscript(node.name)
            if tag is not None:
                tags[id(node)] = tag
    for _, nodes, holder in graphs:  # a subgraph comes after the graph holding it
        _inherit(nodes, tags, tags.get(id(holder)) if holder is not None else None)
    all_tags = list(tags.values())
    chains: dict[str, str] = {}
    node_props: dict[NodeKey, dict[str, str]] = {}
    for _, nodes, _ in graphs:
        for node in nodes:
            tag = tags[id(node)]
            if not tag.module_class and tag.source == "inherited":
                if tag.module not in chains:
                    chains[tag.module] = hierarchy.common_class_chain(tag.module, all_tags)
                tag = Tag(tag.module, chains[tag.module], tag.call, tag.source)
            props = tag.props()
            if not any(e.key == NAMESPACE for e in node.metadata_props):
                props[NAMESPACE] = _namespace(tagger.namespaces, tag.module)
            node_props[node_key(node)] = props
            _count(tagger.coverage, node, tag, table)
    if table is None or not table.modules:
        table = _table_from_tags(model, all_tags)
    _count_calls(table, all_tags)
    return TagPlan(node_props, table, tagger.coverage)


def _count_calls(table: ModuleTable, tags: list[Tag]) -> None:
    """How often each module ran: one more than the largest call index its nodes carry (the root at least once)."""
    for tag in tags:
        info = table.modules.get(tag.module) if tag.source not in ("inherited", "fused", "shared") else None
        if info is not None:
            info.calls = max(info.calls, tag.call + 1)
    if "" in table.modules:
        table.modules[""].calls = max(table.modules[""].calls, 1)


def tag_model(model: ModelProto, table: ModuleTable | None = None, calls: dict[str, int] | None = None) -> Coverage:
    """Write the tags of ``plan_tags`` on ``model`` in place; return the coverage."""
    plan = plan_tags(model, table, calls)
    for _, nodes, _ in [*_graphs(model.graph), *((f, list(f.node), None) for f in model.functions)]:
        for node in nodes:
            _set(node, plan.node_props.get(node_key(node), {}))
    _set_model_table(model, plan.table)
    return plan.coverage


def _namespace(namespaces: dict[str, str], path: str) -> str:
    """The namespace of a module, or of its nearest ancestor with one (a path the exporter never named)."""
    probe = path
    while probe not in namespaces and probe:
        probe = probe.rpartition(".")[0]
    return namespaces.get(probe, path)


def _count(coverage: Coverage, node: NodeProto, tag: Tag, table: ModuleTable | None) -> None:
    coverage.total += 1
    coverage.by_source[tag.source] += 1
    if tag.module:
        coverage.below_root += 1
    if table is not None and table.modules and tag.module not in table.modules:
        coverage.unresolved.append(f"{node.op_type} {node.name or '(unnamed)'}: {tag.module}")


def _inherit(nodes: list[NodeProto], tags: dict[int, Tag], holder: Tag | None) -> None:
    """Give each untagged node of ``nodes`` (one graph) its tag by ``hierarchy.inherit``: consumers' modules,
    else producers', else the holder's (a subgraph) or the root."""
    consumers: dict[str, list[NodeProto]] = {}
    producer: dict[str, NodeProto] = {}
    for node in nodes:
        for name in node.input:
            consumers.setdefault(name, []).append(node)
        for name in node.output:
            producer[name] = node

    def give(node: NodeProto, path: str, _found: list[Tag]) -> None:
        tags[id(node)] = Tag(path, "", 0, "inherited")  # the class chain comes later, from every tag

    left = hierarchy.inherit([n for n in nodes if id(n) not in tags], lambda n: tags.get(id(n)),
                             (_consumers_of(consumers), _producers_of(producer)), give)
    for node in left:
        tags[id(node)] = Tag(holder.module if holder else "", "", 0, "inherited")


def _consumers_of(consumers: dict[str, list[NodeProto]]):  # type: ignore[no-untyped-def]
    return lambda node: [c for name in node.output if name for c in consumers.get(name, ())]


def _producers_of(producer: dict[str, NodeProto]):  # type: ignore[no-untyped-def]
    return lambda node: [producer[name] for name in node.input if name in producer]


def _table_from_tags(model: ModelProto, tags: list[Tag]) -> ModuleTable:
    """A table from the tags alone: every module on a tagged path, its class from the chains, parameters
    from the initializers named ``<path>.<name>`` (the state-dict names the exporters keep)."""
    paths = {""}
    for tag in tags:
        parts = hierarchy.atoms(tag.module)
        paths.update(".".join(parts[:n]) for n in range(1, len(parts) + 1))
    table = ModuleTable({p: ModuleInfo(p, "") for p in sorted(paths)}, params_from="initializers")
    for tag in tags:
        info = table.modules.get(tag.module)
        if info is not None and not info.cls and tag.module_class and tag.source in ("exporter", "functional"):
            info.cls = tag.module_class.rsplit("/", 1)[-1]
    for init in model.graph.initializer:
        if init.data_type not in _FLOAT_TYPES:
            continue
        size = math.prod(init.dims)
        owner = init.name.rpartition(".")[0]
        if owner in table.modules:
            table.modules[owner].own_params += size
        parts = hierarchy.atoms(owner) if owner in table.modules else []
        for n in range(len(parts) + 1):
            table.modules[".".join(parts[:n])].params += size
    return table


def _set_model_table(model: ModelProto, table: ModuleTable) -> None:
    kept = [e for e in model.metadata_props if e.key != MODULE_TABLE]
    del model.metadata_props[:]
    model.metadata_props.extend(kept)
    model.metadata_props.append(StringStringEntryProto(key=MODULE_TABLE, value=table.to_json()))


def coverage(model: ModelProto) -> Coverage:
    """The coverage of a model's tags as they are (nothing is written)."""
    table = ModuleTable.of_model(model)
    result = Coverage()
    for _, nodes, _ in [*_graphs(model.graph), *((f, list(f.node), None) for f in model.functions)]:
        for node in nodes:
            tag = Tag.from_props(_props(node))
            if tag is None:
                result.total += 1
                result.untagged.append(f"{node.op_type} {node.name or '(unnamed)'}")
            else:
                _count(result, node, tag, table)
    return result
