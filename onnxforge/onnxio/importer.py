"""ModelProto → IR, built directly as xDSL objects (parsing text would be 10× slower).

Each node becomes the generated op of the schema version its opset resolves
to, or ``onnx.custom`` when no schema fits (other domains, model-local
functions, nodes that do not match their schema): those pass through
untouched. Nodes are put in topological order; a reference to an undefined
name, a name defined twice or a cycle is a ``ForgeError`` naming the node.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable

import onnx
from onnx import AttributeProto, FunctionProto, GraphProto, NodeProto, defs
from xdsl.dialects.builtin import (
    ArrayAttr,
    DictionaryAttr,
    IntegerAttr,
    ModuleOp,
    StringAttr,
    i64,
)
from xdsl.ir import Attribute, Block, Operation, Region, SSAValue

from onnxforge.dialects.onnx.base import Arity, OnnxOp, ProtoAttr
from onnxforge.dialects.onnx.ops import op_class_for
from onnxforge.dialects.onnx.structure import (
    ATTR_DOCS_ATTR,
    DOC_ATTR,
    NAMES_ATTR,
    VALUE_INFO_ATTR,
    CustomOp,
    FunctionOp,
    GraphOp,
    InitializerOp,
    ModelOp,
    NoValueOp,
    ReturnOp,
    graph_region,
    string_array,
)
from onnxforge.errors import ForgeError
from onnxforge.ir import provenance
from onnxforge.ir.order import stable_topological_order
from onnxforge.ir.tensor import DenseAttr
from onnxforge.ir.types import ANY, NONE, SparseTensorType
from onnxforge.onnxio import hierarchy
from onnxforge.onnxio.loader import LoadedModel
from onnxforge.onnxio.proto import attr_from_proto, type_from_proto

GENERATED_DOMAINS = ("", "ai.onnx.ml")
MAX_IR_VERSION = onnx.IR_VERSION
"""The newest IR version the installed onnx knows; whether a runtime loads it is the runtime's call."""


def check_versions(ir_version: int, opsets: dict[str, int], label: str) -> None:
    """The IR version and default-domain / ai.onnx.ml opsets we know the ops of (an imported ModelProto,
    or an ``onnx.model`` from textual IR): anything newer is refused, not compiled by guesswork."""
    if ir_version > MAX_IR_VERSION:
        raise ForgeError(f"{label}: IR version {ir_version} is not supported (newest: {MAX_IR_VERSION})")
    if ir_version < 3 and not opsets:
        raise ForgeError(f"{label}: IR version {ir_version} without opset imports is not supported")
    for raw_domain, version in opsets.items():
        domain = _normalise_domain(raw_domain)
        if domain in GENERATED_DOMAINS:
            newest = defs.onnx_opset_version() if domain == "" else _newest_version(domain)
            if version > newest or version < 1:
                raise ForgeError(f"{label}: opset {version} of domain {domain or 'ai.onnx'!r} is not supported (newest: {newest})")


def check_module_versions(module: ModuleOp, label: str) -> None:
    """``check_versions`` for each ``onnx.model`` of a module (textual IR names its versions itself)."""
    for op in module.ops:
        if isinstance(op, ModelOp):
            check_versions(op.ir_version.value.data, op.opsets(), label)


def _normalise_domain(domain: str) -> str:
    return "" if domain == "ai.onnx" else domain


def _string_dict(entries: Iterable) -> DictionaryAttr | None:  # type: ignore[type-arg]
    items = {e.key: StringAttr(e.value) for e in entries}
    return DictionaryAttr(items) if items else None


def _string_dict_of(props: dict[str, str]) -> DictionaryAttr | None:
    return DictionaryAttr({k: StringAttr(v) for k, v in props.items()}) if props else None


def _opt_string(text: str) -> StringAttr | None:
    return StringAttr(text) if text else None


class _Scope:
    """Names visible in a graph: its own values, then the enclosing graphs' (outer-scope refs)."""

    def __init__(self, parent: _Scope | None = None) -> None:
        self.values: dict[str, SSAValue] = {}
        self.parent = parent

    def lookup(self, name: str) -> SSAValue | None:
        scope: _Scope | None = self
        while scope is not None:
            if name in scope.values:
                return scope.values[name]
            scope = scope.parent
        return None

    def define(self, name: str, value: SSAValue, where: str) -> None:
        if name in self.values:
            raise ForgeError(f"{where}: value name {name!r} is defined more than once")
        self.values[name] = value


def _free_names(graph: GraphProto) -> set[str]:
    """Names a subgraph uses but does not define (references to enclosing graphs)."""
    defined = {v.name for v in graph.input} | {t.name for t in graph.initializer}
    defined |= {t.values.name for t in graph.sparse_initializer}
    used: set[str] = set()
    for node in graph.node:
        used.update(n for n in node.input if n)
        for attr in node.attribute:
            for sub in _subgraphs(attr):
                used |= _free_names(sub)
        defined.update(node.output)
    used.update(o.name for o in graph.output)
    return used - defined


def _subgraphs(attr: AttributeProto) -> list[GraphProto]:
    if attr.type == AttributeProto.GRAPH:
        return [attr.g]
    if attr.type == AttributeProto.GRAPHS:
        return list(attr.graphs)
    return []


def _node_label(node: NodeProto, index: int) -> str:
    return f"node {node.name!r} ({node.op_type})" if node.name else f"node #{index} ({node.op_type})"


def topological_order(nodes: list[NodeProto], available: set[str], where: str) -> list[NodeProto]:
    """Nodes sorted so each comes after its producers (stable: sorted input is unchanged).

    ``available`` holds names defined before any node (inputs, initializers,
    outer scopes). Raises on dangling references and cycles.
    """
    producer: dict[str, int] = {}
    for index, node in enumerate(nodes):
        for out in node.output:
            if out:
                if out in producer or out in available:
                    raise ForgeError(f"{where}: value {out!r} is produced twice ({_node_label(node, index)})")
                producer[out] = index
    needs: list[set[int]] = [set() for _ in nodes]
    for index, node in enumerate(nodes):
        names = [n for n in node.input if n]
        for attr in node.attribute:
            for sub in _subgraphs(attr):
                names.extend(_free_names(sub))
        for name in names:
            if name in producer:
                needs[index].add(producer[name])
            elif name not in available:
                raise ForgeError(f"{where}: {_node_label(node, index)} uses {name!r}, which nothing defines (dangling input)")
    if all(dep < index for index, deps in enumerate(needs) for dep in deps):
        return nodes
    order = stable_topological_order(needs)
    if len(order) != len(nodes):
        stuck = min(set(range(len(nodes))) - set(order))
        raise ForgeError(f"{where}: the graph has a cycle through {_node_label(nodes[stuck], stuck)}")
    return [nodes[i] for i in order]


class Importer:
    """Builds the IR of one model. Holds per-model state only; use one per model."""

    def __init__(self, loaded: LoadedModel) -> None:
        self.loaded = loaded
        self.label = str(loaded.path) if loaded.path else "model"
        self.tags: hierarchy.TagPlan | None = None

    # --- model ---------------------------------------------------------------

    def import_model(self) -> ModuleOp:
        proto = self.loaded.proto
        check_versions(proto.ir_version, {o.domain: o.version for o in proto.opset_import}, self.label)
        # one schema of module tags, whichever exporter recorded them (the proto is the caller's: not written)
        self.tags = hierarchy.plan_tags(proto) if hierarchy.has_hierarchy(proto) else None
        opsets = {_normalise_domain(o.domain): o.version for o in proto.opset_import}
        function_keys = {(f.domain, f.name, f.overload) for f in proto.functions}
        self.function_keys = function_keys
        graph = self._import_graph(proto.graph, _Scope(), opsets, main=True)
        functions = [self._import_function(f) for f in proto.functions]
        extras = [ProtoAttr(("TrainingInfoProto", t.SerializeToString())) for t in proto.training_info]
        extras += [ProtoAttr(("DeviceConfigurationProto", c.SerializeToString())) for c in proto.configuration]
        model = ModelOp.create(
            properties=_drop_none(
                {
                    "ir_version": IntegerAttr(proto.ir_version, i64),
                    "opset_import": self._opset_dict(proto.opset_import),
                    "producer_name": _opt_string(proto.producer_name),
                    "producer_version": _opt_string(proto.producer_version),
                    "domain": _opt_string(proto.domain),
                    "model_version": IntegerAttr(proto.model_version, i64) if proto.HasField("model_version") else None,
                    "doc_string": _opt_string(proto.doc_string),
                    "metadata_props": _string_dict(proto.metadata_props) if self.tags is None
                    else _string_dict_of(self.tags.model_props(proto)),
                    "extras": ArrayAttr(extras) if extras else None,
                }
            ),
            regions=[Region(Block([graph, *functions]))],
        )
        return ModuleOp([model])

    @staticmethod
    def _opset_dict(entries) -> DictionaryAttr:  # type: ignore[no-untyped-def]
        return DictionaryAttr({o.domain: IntegerAttr(o.version, i64) for o in entries})

    # --- graphs --------------------------------------------------------------

    def _import_graph(self, graph: GraphProto, outer: _Scope, opsets: dict[str, int], main: bool = False) -> GraphOp:
        where = f"{self.label}: graph {graph.name!r}"
        scope = _Scope(outer)
        block = Block(arg_types=[type_from_proto(v.type) for v in graph.input])
        for arg, info in zip(block.args, graph.input):
            scope.define(info.name, arg, where)
        types = {v.name: type_from_proto(v.type) for v in graph.value_info}
        ops: list[Operation] = []
        self.input_names, self.defaulted = {v.name for v in graph.input}, set()
        for index, tensor in enumerate(graph.initializer):
            raw = self.loaded.initializer_data[index] if main else None
            op = self._initializer(tensor, raw, scope, where)
            if tensor.name in types:
                op.attributes[VALUE_INFO_ATTR] = types[tensor.name]
            ops.append(op)
        for sparse in graph.sparse_initializer:
            dims = tuple(sparse.dims)
            op = InitializerOp.create(
                properties={"name": StringAttr(sparse.values.name), "value": ProtoAttr(("SparseTensorProto", sparse.SerializeToString()))},
                result_types=[SparseTensorType((sparse.values.data_type, dims))],
            )
            if sparse.values.name not in scope.values:
                scope.define(sparse.values.name, op.results[0], where)
            ops.append(op)
        types.update((v.name, type_from_proto(v.type)) for v in graph.output)
        novalue = NoValueOp()
        available = set(scope.values)
        outer_scope: _Scope | None = outer
        while outer_scope is not None:
            available |= set(outer_scope.values)
            outer_scope = outer_scope.parent
        for node in topological_order(list(graph.node), available, where):
            ops.append(self._import_node(node, scope, types, opsets, novalue, where))
        _finish_body(block, ops, [v.name for v in graph.output], scope, novalue, where)
        extras = [ProtoAttr(("TensorAnnotation", q.SerializeToString())) for q in graph.quantization_annotation]
        return GraphOp.create(
            properties=_drop_none(
                {
                    "name": StringAttr(graph.name),
                    "input_names": string_array([v.name for v in graph.input]),
                    "output_names": string_array([v.name for v in graph.output]),
                    "output_types": ArrayAttr([type_from_proto(v.type) for v in graph.output]),
                    "doc_string": _opt_string(graph.doc_string),
                    "value_docs": _value_docs([*graph.input, *graph.output]),
                    "metadata_props": _string_dict(graph.metadata_props),
                    "extras": ArrayAttr(extras) if extras else None,
                }
            ),
            regions=[Region(block)],
        )

    def _initializer(self, tensor, raw, scope: _Scope, where: str) -> InitializerOp:  # type: ignore[no-untyped-def]
        from onnxforge.ir.types import tensor_type
        from onnxforge.onnxio.proto import initializer_value

        try:
            value = initializer_value(tensor, raw, self.loaded.resolve_external)
        except ValueError as err:
            raise ForgeError(f"{where}: initializer {tensor.name!r}: {err}") from None
        op = InitializerOp.create(
            properties={"name": StringAttr(tensor.name), "value": DenseAttr(value)},
            result_types=[tensor_type(tensor.data_type, tuple(tensor.dims))],
        )
        if tensor.name in self.input_names:  # an initializer that is also an input is only its default
            if tensor.name in self.defaulted:
                raise ForgeError(f"{where}: initializer {tensor.name!r} is defined more than once")
            self.defaulted.add(tensor.name)
        else:
            scope.define(tensor.name, op.results[0], where)
        return op

    # --- nodes ---------------------------------------------------------------

    def _import_node(
        self,
        node: NodeProto,
        scope: _Scope,
        types: dict[str, Attribute],
        opsets: dict[str, int],
        novalue: NoValueOp,
        where: str,
    ) -> Operation:
        domain = _normalise_domain(node.domain)
        operands: list[SSAValue] = []
        for name in node.input:
            if not name:
                operands.append(novalue.result)
                continue
            value = scope.lookup(name)
            assert value is not None, name  # topological_order checked every reference
            operands.append(value)
        op_class = self._op_class(node, domain, opsets)
        op = None
        if op_class is not None:
            op = self._generated_op(op_class, node, operands, types, scope, opsets, novalue)
        if op is None:
            op = self._custom_op(node, domain, operands, types, scope, opsets)
        names = [StringAttr(n) for n in node.output]
        names += [StringAttr("")] * (len(op.results) - len(names))
        op.attributes[NAMES_ATTR] = ArrayAttr(names)
        if node.doc_string:
            op.attributes[DOC_ATTR] = StringAttr(node.doc_string)
        if attr_docs := {a.name: StringAttr(a.doc_string) for a in node.attribute if a.doc_string}:
            op.attributes[ATTR_DOCS_ATTR] = DictionaryAttr(attr_docs)
        props = self.tags.props(node) if self.tags is not None else {e.key: e.value for e in node.metadata_props}
        provenance.set_imported(op, node.name, props)
        for name, result in zip(node.output, op.results):
            if name:
                scope.define(name, result, where)
        return op

    def _op_class(self, node: NodeProto, domain: str, opsets: dict[str, int]) -> type[OnnxOp] | None:
        if domain not in GENERATED_DOMAINS or domain not in opsets:
            return None
        if (node.domain, node.op_type, node.overload) in self.function_keys:
            return None  # a call of a model-local function that shadows nothing we know
        try:
            schema = defs.get_schema(node.op_type, opsets[domain], domain)
        except defs.SchemaError:
            return None
        return op_class_for(domain, node.op_type, schema.since_version)

    def _result_types(self, node: NodeProto, count: int, types: dict[str, Attribute]) -> list[Attribute]:
        result = [types.get(n, ANY) if n else NONE for n in node.output]
        return result + [NONE] * (count - len(result))

    def _generated_op(self, op_class, node, operands, types, scope, opsets, novalue) -> Operation | None:  # type: ignore[no-untyped-def]
        """The generated op for a node, or None when the node does not fit its schema."""
        sig = op_class.SIGNATURE
        fixed_in = [p for p in sig.inputs if p.arity != Arity.VARIADIC]
        fixed_out = [p for p in sig.outputs if p.arity != Arity.VARIADIC]
        variadic_in = len(fixed_in) != len(sig.inputs)
        variadic_out = len(fixed_out) != len(sig.outputs)
        if (len(operands) > len(fixed_in) and not variadic_in) or (len(node.output) > len(fixed_out) and not variadic_out):
            return None
        if variadic_in and len(operands) < len(fixed_in):
            return None  # the variadic group would need a placeholder position
        operands = operands + [novalue.result] * (len(fixed_in) - len(operands))
        for index, param in enumerate(fixed_in):
            if param.arity == Arity.SINGLE and operands[index] is novalue.result:
                raise ForgeError(
                    f"{self.label}: node {node.name!r} ({node.op_type}): required input {index + 1} ({param.name!r}) "
                    f"is missing ({len(node.input)} input(s) given)"
                )
        result_count = max(len(node.output), len(fixed_out))
        properties: dict[str, Attribute] = {}
        graphs: dict[str, GraphProto] = {}
        for attr in node.attribute:
            spec = sig.attribute(attr.name)
            if spec is None or int(spec.kind) != attr.type:
                return None
            if attr.type == AttributeProto.GRAPH and not attr.ref_attr_name:
                graphs[attr.name] = attr.g
            else:
                properties[attr.name] = self._attribute(attr)
        if any(a.required and a.name not in properties and a.name not in graphs for a in sig.attributes):
            return None
        regions = [
            graph_region(self._import_graph(graphs[name], scope, opsets)) if name in graphs else Region()
            for name in sig.graph_attributes
        ]
        return op_class.create(
            operands=operands,
            result_types=self._result_types(node, result_count, types),
            properties=properties,
            regions=regions,
        )

    def _custom_op(self, node, domain, operands, types, scope, opsets) -> CustomOp:  # type: ignore[no-untyped-def]
        properties: dict[str, Attribute] = {}
        graph_names: list[str] = []
        regions: list[Region] = []
        for attr in node.attribute:
            if attr.type == AttributeProto.GRAPH and not attr.ref_attr_name:
                graph_names.append(attr.name)
                regions.append(graph_region(self._import_graph(attr.g, scope, opsets)))
            elif attr.type == AttributeProto.GRAPHS:
                raise ForgeError(f"{self.label}: node {node.name!r} ({node.op_type}): GRAPHS attributes are not supported")
            else:
                properties[attr.name] = self._attribute(attr)
        return CustomOp.create(
            operands=operands,
            result_types=self._result_types(node, len(node.output), types),
            properties=_drop_none(
                {
                    "domain": StringAttr(node.domain),
                    "op_type": StringAttr(node.op_type),
                    "attrs": DictionaryAttr(properties),
                    "graph_attrs": string_array(graph_names),
                    "overload": _opt_string(node.overload),
                }
            ),
            regions=regions,
        )

    def _attribute(self, attr: AttributeProto) -> Attribute:
        try:
            return attr_from_proto(attr, self.loaded.resolve_external)
        except ValueError as err:
            raise ForgeError(f"{self.label}: attribute {attr.name!r}: {err}") from None

    # --- functions -----------------------------------------------------------

    def _import_function(self, function: FunctionProto) -> FunctionOp:
        where = f"{self.label}: function {function.domain}.{function.name}"
        opsets = {_normalise_domain(o.domain): o.version for o in function.opset_import}
        scope = _Scope()
        block = Block(arg_types=[ANY] * len(function.input))
        for arg, name in zip(block.args, function.input):
            scope.define(name, arg, where)
        types = {v.name: type_from_proto(v.type) for v in function.value_info}
        novalue = NoValueOp()
        ops: list[Operation] = []
        for node in topological_order(list(function.node), set(function.input), where):
            ops.append(self._import_node(node, scope, types, opsets, novalue, where))
        _finish_body(block, ops, list(function.output), scope, novalue, where)
        defaults = [ProtoAttr(("AttributeProto", a.SerializeToString())) for a in function.attribute_proto]
        return FunctionOp.create(
            properties=_drop_none(
                {
                    "name": StringAttr(function.name),
                    "domain": StringAttr(function.domain),
                    "overload": _opt_string(function.overload),
                    "input_names": string_array(list(function.input)),
                    "output_names": string_array(list(function.output)),
                    "attribute_names": string_array(list(function.attribute)),
                    "attribute_defaults": ArrayAttr(defaults) if defaults else None,
                    "opset_import": self._opset_dict(function.opset_import),
                    "doc_string": _opt_string(function.doc_string),
                    "metadata_props": _string_dict(function.metadata_props),
                }
            ),
            regions=[Region(block)],
        )


def _finish_body(block: Block, ops: list[Operation], outputs: list[str], scope: _Scope, novalue: NoValueOp, where: str) -> None:
    """Fill a graph or function body: its ops, ``onnx.novalue`` first if used, ``onnx.return`` last."""
    returned = []
    for name in outputs:
        value = scope.lookup(name)
        if value is None:
            raise ForgeError(f"{where}: output {name!r} is not produced by any node (dangling output)")
        returned.append(value)
    if novalue.result.uses:
        ops.insert(0, novalue)
    else:
        novalue.erase()
    ops.append(ReturnOp(returned))
    block.add_ops(ops)


@functools.cache
def _newest_version(domain: str) -> int:
    return max(s.since_version for s in defs.get_all_schemas_with_history() if s.domain == domain)


def _value_docs(infos: list) -> ArrayAttr | None:  # type: ignore[type-arg]
    return string_array([v.doc_string for v in infos]) if any(v.doc_string for v in infos) else None


def _drop_none(properties: dict[str, Attribute | None]) -> dict[str, Attribute]:
    return {k: v for k, v in properties.items() if v is not None}


def import_model(loaded: LoadedModel) -> ModuleOp:
    """The IR of a loaded model: ``builtin.module { onnx.model { onnx.graph …, onnx.function … } }``."""
    return Importer(loaded).import_model()


