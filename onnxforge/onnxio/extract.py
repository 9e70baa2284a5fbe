"""One module of a tagged model as a model of its own (``forgec extract MODEL --module PATH``).

The nodes of module ``P`` are the main-graph nodes whose ``onnxforge.module`` tag is ``P`` or below it
(``hierarchy.is_within``), of one call when a call index is given (``proj@1``). They become a model:

* its **outputs** are the values they produce that anything else uses: a node outside the module (a
  reference from inside an outside node's subgraph counts), or the graph's outputs; values computed
  from constants alone (a ``Constant`` node of the module that a later module reads) are left out
  when the module has other outputs: a reader clones them, as below;
* its **inputs** are activations only. A value the module reads from outside is *cloned in* when it can
  be computed without any activation from outside: initializers, ``Constant`` nodes and whatever is
  computed only from them (shape arithmetic on constants), and ``Shape``/``Size`` of a tensor the
  extraction holds anyway (one of its inputs, or a value it computes) together with what is computed
  from those. Everything else it reads is an input. Values are decided in the order the graph produces
  them, so that the hidden state a layer reads comes before the ``Shape(hidden)`` it also reads: the
  hidden state becomes an input and the shape is recomputed from it. Random ops are never cloned.

Types of inputs and outputs come from the model's own ``value_info`` and, where it has none, from onnx
shape inference (symbolic dims kept as the model names them). Nodes keep their metadata; opsets and
local functions are copied; initializer bytes are copied as raw bytes (from the mapped file for a
loaded model, or resolved from external data), never as Python number lists.

``onnx.utils.Extractor`` is not used: it needs the boundary names already decided (deciding them is
the work here), follows only a node's explicit inputs (an ``If`` whose branch reads an outer value
loses that value's producer), copies initializers as they are (external-data pointers into the source
directory; our loader's skeletons hold no bytes), fails on any boundary value without ``value_info``,
and refuses every graph holding a sparse initializer or a quantization annotation.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from onnx import (
    AttributeProto,
    GraphProto,
    ModelProto,
    NodeProto,
    StringStringEntryProto,
    TensorProto,
    TypeProto,
    ValueInfoProto,
)

from onnxforge.errors import ForgeError
from onnxforge.ir.hierarchy import MODULE, Tag, is_within
from onnxforge.ir.tensor import TensorValue
from onnxforge.onnxio.loader import LoadedModel, from_proto

if TYPE_CHECKING:
    from onnxforge.onnxio.exporter import ExportedModel

CALL_SEPARATOR = "@"
"""``proj@1``: the second call of ``proj``."""
SHAPE_OPS = frozenset({"Shape", "Size"})
"""Ops that read only the shape of their input (cloned when that input is in the extraction)."""
RANDOM_OPS = frozenset({"RandomNormal", "RandomUniform", "RandomNormalLike", "RandomUniformLike", "Multinomial",
                        "Bernoulli"})
"""Never cloned: a clone would draw other numbers than the model did."""
EXTRACTED_FROM = "onnxforge.extracted_module"
"""Model-level metadata key of an extracted model: the module (``path`` or ``path@call``) it holds."""
_SMALL_CONSTANT = 1024
"""Initializers up to this many elements keep their values for shape inference (shape operands)."""


@dataclass
class Extraction:
    """A module as a model: ``proto`` holds the graph with initializer metadata only, ``tensors`` the
    bytes (one per ``proto.graph.initializer``), as the writer takes them."""

    label: str
    """``path`` or ``path@call``."""
    proto: ModelProto
    tensors: list[TensorValue]
    inputs: list[str]
    outputs: list[str]
    nodes: int
    """Nodes of the module itself."""
    cloned: int
    """Nodes cloned in from outside (constants and shape arithmetic)."""

    @property
    def model(self) -> ModelProto:
        """The complete model, initializer bytes included (a copy of them)."""
        model = ModelProto()
        model.CopyFrom(self.proto)
        for meta, value in zip(model.graph.initializer, self.tensors):
            meta.CopyFrom(value.to_proto(meta.name))
        return model

    def exported(self) -> ExportedModel:
        """What ``writer.write_model`` writes (the weights streamed, not copied)."""
        from onnxforge.onnxio.exporter import ExportedModel

        return ExportedModel(self.proto, self.tensors)


def parse_module_spec(spec: str) -> tuple[str, int | None]:
    """``encoder.layer.0`` → (path, None); ``proj@1`` → (``proj``, 1)."""
    path, sep, call = spec.rpartition(CALL_SEPARATOR) if CALL_SEPARATOR in spec else (spec, "", "")
    if sep and not call.isdigit():
        raise ForgeError(f"--module expects PATH or PATH@CALL (a call index such as proj@1), got {spec!r}")
    return path, int(call) if sep else None


def node_tag(node: NodeProto) -> Tag | None:
    """The hierarchy tag in a node's ``metadata_props`` (None when it has none)."""
    return Tag.from_props({p.key: p.value for p in node.metadata_props})


@dataclass(frozen=True)
class ModuleCount:
    path: str
    nodes: int
    """Main-graph nodes within the module (its submodules' included)."""
    calls: int
    """Distinct call indices among the nodes tagged with the module itself."""


def module_counts(model: ModelProto) -> list[ModuleCount]:
    """Every module path of the main graph (each ancestor of a tagged path included), in the order the
    graph first reaches it."""
    nodes: dict[str, int] = {}
    calls: dict[str, set[int]] = {}
    for node in model.graph.node:
        tag = node_tag(node)
        if tag is None:
            continue
        calls.setdefault(tag.module, set()).add(tag.call)
        parts = tag.module.split(".") if tag.module else []
        for depth in range(len(parts) + 1):
            path = ".".join(parts[:depth])
            nodes[path] = nodes.get(path, 0) + 1
    return [ModuleCount(path, n, len(calls.get(path, ()))) for path, n in nodes.items()]


def extract_module(model: ModelProto | LoadedModel, path: str, call: int | None = None,
                   base_dir: str | os.PathLike[str] | None = None) -> Extraction:
    """The nodes of module ``path`` (of call ``call`` only, when given) as a runnable model.

    ``model`` is a ModelProto (``base_dir``: where its external data files are) or a model from
    ``loader.load`` (its weights read from the mapped file). ``ForgeError`` when the model has no
    module tags, when no main-graph node is within ``path``, or when its nodes sit inside subgraphs only.
    """
    loaded = model if isinstance(model, LoadedModel) else from_proto(model, base_dir)
    return _Extractor(loaded, path, call).run()


class _Extractor:
    def __init__(self, loaded: LoadedModel, path: str, call: int | None) -> None:
        self.loaded, self.path, self.call = loaded, path, call
        self.label = path + (f"{CALL_SEPARATOR}{call}" if call is not None else "")
        self.graph = loaded.proto.graph
        self.nodes = list(self.graph.node)
        self.initializers = {t.name: i for i, t in enumerate(self.graph.initializer)}
        self.sparse = {s.values.name: s for s in self.graph.sparse_initializer}
        self.producer: dict[str, int] = {}
        for index, node in enumerate(self.nodes):
            for name in node.output:
                if name:
                    self.producer[name] = index
        self.uses = [_uses(node) for node in self.nodes]
        self.present: set[str] = set()
        """Values the extraction holds: the module's results, then each input as it is decided."""
        self.chosen: set[int] = set()
        self.memo: dict[str, bool] = {}
        """``_derivable`` verdicts (a False is dropped when an input is added)."""
        self.consumers: dict[str, set[int]] = {}
        for index, names in enumerate(self.uses):
            for name in names:
                self.consumers.setdefault(name, set()).add(index)

    # --- selection -----------------------------------------------------------------------------

    def _select(self) -> list[int]:
        selected = []
        for index, node in enumerate(self.nodes):
            tag = node_tag(node)
            if tag is not None and is_within(tag.module, self.path) and (self.call is None or tag.call == self.call):
                selected.append(index)
        if not selected:
            raise ForgeError(self._no_match())
        return selected

    def _no_match(self) -> str:
        tags = [(node_tag(node), holder) for node, holder in _all_nodes(self.graph)]
        if all(tag is None for tag, _ in tags):
            return (f"the model has no {MODULE} tags (no node says which module made it); import a model "
                    "exported from PyTorch")
        within = [(tag, holder) for tag, holder in tags if tag is not None and is_within(tag.module, self.path)]
        if within and all(holder is not None for _, holder in within):
            holder = within[0][1]
            assert holder is not None
            outer = node_tag(holder)
            where = f"{holder.op_type} node {holder.name!r}" + (f" of module {outer.module!r}" if outer else "")
            return (f"the nodes of module {self.path!r} sit inside subgraphs only (of {where}); "
                    "extract the module that holds that node")
        if within:
            calls = sorted({tag.call for tag, holder in within if holder is None})
            return f"module {self.path!r} has no call {self.call} (its calls: {', '.join(map(str, calls)) or 'none'})"
        paths = [c.path for c in module_counts(self.loaded.proto)]
        return f"no module {self.path!r} in the model; close: {', '.join(repr(p) for p in _close(self.path, paths))}"

    # --- boundary ------------------------------------------------------------------------------

    def run(self) -> Extraction:
        selected = self._select()
        chosen = self.chosen = set(selected)
        made = {name for i in selected for name in self.nodes[i].output if name}
        read = list(dict.fromkeys(name for i in selected for name in self.uses[i] if name not in made))
        read.sort(key=lambda name: self.producer.get(name, -1))  # a tensor before its Shape: stable sort
        self.present, self.memo = set(made), {}
        inputs: list[str] = []
        for name in read:
            if not self._derivable(name):
                inputs.append(name)
                self.present.add(name)
                self.memo = {k: v for k, v in self.memo.items() if v}  # a False may turn True now
        clones = self._clones([n for n in read if n not in self.present], chosen)
        outputs = self._outputs(selected, chosen, clones)
        graph_outputs = {o.name for o in self.graph.output}
        constant = self._constant([name for name in outputs if name not in graph_outputs])
        if len(constant) < len(outputs):  # a module's constants are cloned by whatever reads them: not outputs
            outputs = [name for name in outputs if name not in constant]
        if not outputs:
            raise ForgeError(f"module {self.label!r}: nothing it computes is used outside it (it has no outputs)")
        return self._build(sorted(chosen | clones), inputs, outputs, len(selected), len(clones))

    def _derivable(self, name: str) -> bool:
        """Whether ``name`` can be computed inside the extraction without another input."""
        stack = [name]
        visiting: set[str] = set()
        while stack:
            current = stack[-1]
            if current in self.memo:
                stack.pop()
                continue
            deps = self._deps(current)
            if deps is None or any(d in visiting and d not in self.memo for d in deps):  # a cycle: invalid graph
                self.memo[current] = deps is None and self._base(current)
                stack.pop()
                continue
            pending = [d for d in deps if d not in self.memo]
            if pending:
                visiting.add(current)
                stack.extend(pending)
                continue
            self.memo[current] = all(self.memo[d] for d in deps)
            stack.pop()
        return self.memo[name]

    def _constant(self, names: list[str]) -> set[str]:
        """Those of ``names`` computed from constants alone (``_derivable`` with nothing held)."""
        saved = self.present, self.chosen, self.memo
        self.present, self.chosen, self.memo = set(), set(), {}
        try:
            return {name for name in names if self._derivable(name)}
        finally:
            self.present, self.chosen, self.memo = saved

    def _base(self, name: str) -> bool:
        """The verdict for a value that depends on nothing further (``_deps`` is None)."""
        if name in self.initializers or name in self.sparse:
            return True
        index = self.producer.get(name)
        if index is None:
            return False  # a graph input (or a dangling name)
        node = self.nodes[index]
        if not _default_domain(node) or node.op_type in RANDOM_OPS:
            return False
        return node.op_type == "Constant" or (node.op_type in SHAPE_OPS and node.input[0] in self.present)

    def _deps(self, name: str) -> list[str] | None:
        """What ``name`` is computed from, for ``_derivable``; None when ``_base`` decides. A value the
        extraction holds counts through ``Shape``/``Size`` only: anything else computed from it is an
        activation computed outside the module."""
        index = self.producer.get(name)
        if name in self.initializers or name in self.sparse or index is None:
            return None
        node = self.nodes[index]
        if node.op_type in RANDOM_OPS or not self.uses[index] or index in self.chosen:
            return None
        if node.op_type in SHAPE_OPS and _default_domain(node):
            return None if node.input[0] in self.present else [node.input[0]]
        return self.uses[index]

    def _clones(self, wanted: list[str], chosen: set[int]) -> set[int]:
        """The producers of the derivable values ``wanted``, and theirs, back to what is present."""
        clones: set[int] = set()
        stack = list(wanted)
        while stack:
            name = stack.pop()
            if name in self.initializers or name in self.sparse:
                continue
            index = self.producer[name]
            if index in clones or index in chosen:
                continue
            clones.add(index)
            stack.extend(self._deps(name) or [])
        return clones

    def _outputs(self, selected: list[int], chosen: set[int], clones: set[int]) -> list[str]:
        """Values of the module used outside the extraction: by graph outputs, by nodes left out, or by a
        cloned node whose results something left out uses too (the original of the clone reads the value)."""
        graph_outputs = {o.name for o in self.graph.output}
        kept = chosen | clones
        shared: set[int] = set()  # clones whose results are used outside the extraction too

        def used_outside(name: str) -> bool:
            return name in graph_outputs or any(c not in kept or c in shared for c in self.consumers.get(name, ()))

        changed = True
        while changed:
            changed = False
            for index in sorted(clones - shared, reverse=True):  # consumers first: one pass, mostly
                if any(used_outside(name) for name in self.nodes[index].output if name):
                    shared.add(index)
                    changed = True
        return [name for index in selected for name in self.nodes[index].output if name and used_outside(name)]

    # --- the model -----------------------------------------------------------------------------

    def _build(self, emitted: list[int], inputs: list[str], outputs: list[str], own: int, cloned: int) -> Extraction:
        from onnxforge.onnxio.importer import topological_order

        source = self.loaded.proto
        nodes = [self.nodes[i] for i in emitted]
        used = {name for i in emitted for name in self.uses[i]}
        initializers = [name for name in self.initializers if name in used and name not in inputs]
        sparse = [self.sparse[name] for name in self.sparse if name in used]
        where = f"module {self.label!r}"
        nodes = topological_order(nodes, set(inputs) | set(initializers) | {s.values.name for s in sparse}, where)
        types = _Types(self, inputs + outputs)
        docs = {v.name: v.doc_string for v in [*self.graph.input, *self.graph.output] if v.doc_string}
        proto = ModelProto(ir_version=source.ir_version, producer_name="onnxforge", model_version=source.model_version,
                           domain=source.domain, doc_string=f"module {self.label} of {self.graph.name or 'the model'}")
        graph = proto.graph
        graph.name = f"{self.graph.name or 'graph'}:{self.label}"
        graph.node.extend(nodes)
        graph.sparse_initializer.extend(sparse)
        graph.input.extend(_value_info(n, types.of(n, "input"), docs.get(n, "")) for n in inputs)
        graph.output.extend(_value_info(n, types.of(n, "output"), docs.get(n, "")) for n in outputs)
        inside = {name for node in nodes for name in node.output} - set(outputs)
        graph.value_info.extend(v for v in self.graph.value_info if v.name in inside)
        tensors = []
        for name in initializers:
            tensor, value = self._tensor(self.initializers[name])
            graph.initializer.append(TensorProto(name=name, data_type=tensor.data_type, dims=tensor.dims,
                                                 doc_string=tensor.doc_string))
            tensors.append(value)
        proto.opset_import.extend(source.opset_import)
        proto.functions.extend(source.functions)
        proto.metadata_props.extend(p for p in source.metadata_props if p.key != EXTRACTED_FROM)
        proto.metadata_props.append(StringStringEntryProto(key=EXTRACTED_FROM, value=self.label))
        return Extraction(self.label, proto, tensors, inputs, outputs, own, cloned)

    def _tensor(self, index: int) -> tuple[TensorProto, TensorValue]:
        from onnxforge.onnxio.proto import initializer_value

        tensor = self.graph.initializer[index]
        try:
            return tensor, initializer_value(tensor, self.loaded.initializer_data[index], self.loaded.resolve_external)
        except ValueError as err:
            raise ForgeError(f"initializer {tensor.name!r}: {err}") from None


class _Types:
    """Types of boundary values: declared ones first, onnx shape inference for the rest (run once, only
    when needed, on a copy whose large initializers are typed inputs: no weight bytes are copied)."""

    def __init__(self, extractor: _Extractor, names: list[str]) -> None:
        graph = extractor.graph
        self.known: dict[str, TypeProto] = {}
        for info in [*graph.value_info, *graph.output, *graph.input]:
            if info.type.WhichOneof("value") is not None:
                self.known[info.name] = info.type
        if any(name not in self.known for name in names):
            self.known = {**self._inferred(extractor), **self.known}
        self.label = extractor.label

    def of(self, name: str, role: str) -> TypeProto:
        if name not in self.known:
            raise ForgeError(f"module {self.label!r}: cannot find the type of {role} {name!r} (no value_info, and "
                             "onnx shape inference gives none)")
        return self.known[name]

    @staticmethod
    def _inferred(extractor: _Extractor) -> dict[str, TypeProto]:
        import onnx

        source, graph = extractor.loaded.proto, extractor.graph
        copy = GraphProto(name=graph.name, node=graph.node, input=graph.input, output=graph.output,
                          value_info=graph.value_info, sparse_initializer=graph.sparse_initializer)
        declared = {v.name for v in graph.input}
        for index, tensor in enumerate(graph.initializer):
            small = _elements(tensor) <= _SMALL_CONSTANT and tensor.data_type != TensorProto.STRING
            if small:
                try:
                    copy.initializer.append(extractor._tensor(index)[1].to_proto(tensor.name))
                    continue
                except ForgeError:
                    pass
            if tensor.name not in declared:
                typed = TypeProto()
                typed.tensor_type.elem_type = tensor.data_type
                for size in tensor.dims:
                    typed.tensor_type.shape.dim.add().dim_value = size
                copy.input.append(ValueInfoProto(name=tensor.name, type=typed))
        model = ModelProto(ir_version=max(source.ir_version, 4), opset_import=source.opset_import,
                           functions=source.functions, graph=copy)
        try:
            inferred = onnx.shape_inference.infer_shapes(model, check_type=False, strict_mode=False, data_prop=True)
        except Exception:  # onnx raises its own types for ops it cannot infer; declared types still count
            return {}
        return {v.name: v.type for v in [*inferred.graph.value_info, *inferred.graph.output]
                if v.type.WhichOneof("value") is not None}


def _value_info(name: str, typed: TypeProto, doc: str) -> ValueInfoProto:
    return ValueInfoProto(name=name, type=typed, doc_string=doc)


def _default_domain(node: NodeProto) -> bool:
    return node.domain in ("", "ai.onnx")


def _elements(tensor: TensorProto) -> int:
    count = 1
    for size in tensor.dims:
        count *= size
    return count


def _subgraphs(node: NodeProto) -> Iterator[GraphProto]:
    for attr in node.attribute:
        if attr.type == AttributeProto.GRAPH:
            yield attr.g
        elif attr.type == AttributeProto.GRAPHS:
            yield from attr.graphs


def _free_names(graph: GraphProto) -> set[str]:
    """Names a subgraph reads from the graphs around it."""
    defined = {v.name for v in graph.input} | {t.name for t in graph.initializer}
    defined |= {s.values.name for s in graph.sparse_initializer}
    used: set[str] = set()
    for node in graph.node:
        used.update(name for name in node.input if name and name not in defined)
        for sub in _subgraphs(node):
            used |= _free_names(sub) - defined
        defined.update(node.output)
    used.update(o.name for o in graph.output if o.name not in defined)
    return used


def _uses(node: NodeProto) -> list[str]:
    """What a node reads: its inputs, then what its subgraphs read from outside them."""
    names = [name for name in node.input if name]
    for sub in _subgraphs(node):
        names += sorted(_free_names(sub))
    return list(dict.fromkeys(names))


def _all_nodes(graph: GraphProto, holder: NodeProto | None = None) -> Iterator[tuple[NodeProto, NodeProto | None]]:
    """Every node with the main-graph node whose subgraph holds it (None for main-graph nodes)."""
    for node in graph.node:
        yield node, holder
        for sub in _subgraphs(node):
            yield from _all_nodes(sub, holder or node)


def _close(path: str, paths: list[str], limit: int = 5) -> list[str]:
    """Module paths near ``path``: the children of its deepest existing ancestor, then look-alikes."""
    existing = set(paths)
    parts = path.split(".")
    ancestor = next((".".join(parts[:n]) for n in range(len(parts) - 1, 0, -1) if ".".join(parts[:n]) in existing), "")
    depth = len(ancestor.split(".")) + 1 if ancestor else 1
    children = [p for p in paths if p and is_within(p, ancestor) and len(p.split(".")) == depth]
    near = difflib.get_close_matches(path, paths, n=limit, cutoff=0.6)
    return list(dict.fromkeys(children + near))[:limit] or paths[:limit]
