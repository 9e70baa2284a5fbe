"""IR → ModelProto, the inverse of ``frontend.onnx_import``.

Main-graph initializers are *not* copied into the proto here: ``export_model``
returns the proto with their metadata only, plus the tensors, so that
``writer.write_model`` can stream their bytes straight from the mapped input
to the output file. ``to_model_proto`` fills them in for API callers.

Names: graph inputs/outputs and initializers keep theirs; other values keep
the name they were imported with (``onnx.names``) when it is still unique,
and get a fresh one otherwise. A graph output always keeps its declared name,
whatever a pass did to the op producing it.
"""

from __future__ import annotations

from dataclasses import dataclass

import onnx
from onnx import (
    AttributeProto,
    FunctionProto,
    GraphProto,
    ModelProto,
    NodeProto,
    OperatorSetIdProto,
    SparseTensorProto,
    StringStringEntryProto,
    TensorAnnotation,
    TensorProto,
    ValueInfoProto,
)
from xdsl.dialects.builtin import DictionaryAttr, ModuleOp, StringAttr
from xdsl.ir import Attribute, Operation, SSAValue

from onnxforge.dialects.onnx.base import OnnxOp, ProtoAttr
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
    strings_of,
)
from onnxforge.errors import ForgeError
from onnxforge.ir import hierarchy, provenance
from onnxforge.ir.tensor import TensorValue
from onnxforge.ir.types import AnyType, NoneType
from onnxforge.onnxio.proto import attr_to_proto, type_to_proto


@dataclass
class ExportedModel:
    """A ModelProto whose main-graph initializers hold metadata only, and their tensors."""

    proto: ModelProto
    tensors: list[TensorValue]
    """One per ``proto.graph.initializer`` entry, in order."""


def _model_op(module: ModuleOp) -> ModelOp:
    for op in module.ops:
        if isinstance(op, ModelOp):
            return op
    raise ForgeError("the IR holds no onnx.model")


def _string_entries(attr: DictionaryAttr | None) -> list[StringStringEntryProto]:
    if attr is None:
        return []
    return [StringStringEntryProto(key=k, value=v.data) for k, v in attr.data.items()]  # type: ignore[attr-defined]


def _text(attr: StringAttr | None) -> str:
    return "" if attr is None else attr.data


def _opsets(attr: DictionaryAttr) -> list[OperatorSetIdProto]:
    return [OperatorSetIdProto(domain=k, version=v.value.data) for k, v in attr.data.items()]  # type: ignore[attr-defined]


class _Names:
    """Unique value names across a whole model (ONNX forbids shadowing in subgraphs)."""

    def __init__(self) -> None:
        self.used: set[str] = set()
        self.of: dict[SSAValue, str] = {}
        self.counter = 0
        self.held: dict[str, SSAValue | None] = {}
        """Graph output names, held for the value returned under them (None: an Identity will produce it)."""

    def hold(self, names: list[str], owners: dict[SSAValue, str]) -> None:
        by_name = {name: value for value, name in owners.items()}
        for name in names:
            if name not in self.used:
                self.held[name] = by_name.get(name)

    def claim(self, value: SSAValue, wanted: str) -> str:
        name = wanted
        while not name or name in self.used or (name in self.held and self.held[name] is not value):
            self.counter += 1
            name = f"{wanted or 'v'}__{self.counter}"
        self.used.add(name)
        self.of[value] = name
        return name

    def __getitem__(self, value: SSAValue) -> str:
        if isinstance(value.type, NoneType):
            return ""
        try:
            return self.of[value]
        except KeyError:
            raise ForgeError(f"value {value} is used outside the graph that defines it") from None


class Exporter:
    def __init__(self) -> None:
        self.names = _Names()
        self.defaults: set[str] = set()
        self._node_names: dict[str, int] = {}

    def export(self, module: ModuleOp) -> ExportedModel:
        model_op = _model_op(module)
        opset_import = _opsets(model_op.opset_import)
        tensors: list[TensorValue] = []
        graph = self._graph(model_op.graph, tensors)
        functions = [self._function(f) for f in model_op.functions]
        proto = ModelProto(
            ir_version=self._ir_version(model_op, opset_import, functions),
            opset_import=opset_import,
            producer_name=_text(model_op.producer_name),
            producer_version=_text(model_op.producer_version),
            domain=_text(model_op.domain),
            doc_string=_text(model_op.doc_string),
            graph=graph,
            metadata_props=_string_entries(model_op.metadata_props),
            functions=functions,
        )
        if model_op.model_version is not None:
            proto.model_version = model_op.model_version.value.data
        for extra in model_op.extras.data if model_op.extras else ():
            assert isinstance(extra, ProtoAttr)
            target = proto.training_info.add() if extra.message == "TrainingInfoProto" else proto.configuration.add()
            target.ParseFromString(extra.payload)
        return ExportedModel(proto, tensors)

    @staticmethod
    def _ir_version(model_op: ModelOp, opsets: list[OperatorSetIdProto], functions: list[FunctionProto]) -> int:
        """The model's own IR version, raised only where its opsets or features need more."""
        needed = onnx.helper.find_min_ir_version_for(opsets, ignore_unknown=True)
        if functions:
            needed = max(needed, 8)
        return max(model_op.ir_version.value.data, needed)

    # --- graphs --------------------------------------------------------------

    def _graph(self, graph_op: GraphOp, tensors: list[TensorValue] | None = None) -> GraphProto:
        block = graph_op.block
        proto = GraphProto(name=graph_op.graph_name.data, doc_string=_text(graph_op.doc_string))
        input_names = strings_of(graph_op.input_names)
        docs = strings_of(graph_op.value_docs) or [""] * (len(input_names) + len(graph_op.output_names.data))
        for arg, name, doc in zip(block.args, input_names, docs):
            self.names.claim(arg, name)
            proto.input.append(_value_info(name, arg.type, doc))
        self.defaults = set(input_names)
        output_names = strings_of(graph_op.output_names)
        returned = graph_op.return_op.operands
        reserved = self._reserve_outputs(returned, output_names)
        self.names.hold(output_names, reserved)
        for op in block.ops:
            if isinstance(op, ReturnOp | NoValueOp):
                continue
            if isinstance(op, InitializerOp):
                self._initializer(op, proto, tensors)
                continue
            proto.node.append(self._node(op, reserved))
            for result in op.results:
                if not isinstance(result.type, (NoneType, AnyType)) and result not in reserved:
                    proto.value_info.append(_value_info(self.names[result], result.type))
        for value, name, declared in zip(returned, output_names, graph_op.output_types.data):
            if self.names[value] != name:  # a value returned twice, or an input/initializer output
                proto.node.append(_alias(value, self.names[value], name))
                self.names.used.add(name)
            self.names.held.pop(name, None)
            proto.output.append(_value_info(name, declared, docs[len(input_names) + len(proto.output)]))
        if graph_op.metadata_props:
            proto.metadata_props.extend(_string_entries(graph_op.metadata_props))
        for extra in graph_op.extras.data if graph_op.extras else ():
            assert isinstance(extra, ProtoAttr)
            annotation = TensorAnnotation()
            annotation.ParseFromString(extra.payload)
            proto.quantization_annotation.append(annotation)
        return proto

    def _reserve_outputs(self, returned, output_names: list[str]) -> dict[SSAValue, str]:  # type: ignore[no-untyped-def]
        """Graph outputs keep their declared names: name each returned op result after its output."""
        reserved: dict[SSAValue, str] = {}
        for value, name in zip(returned, output_names):
            if value in self.names.of or value in reserved or not isinstance(value.owner, Operation):
                continue
            if isinstance(value.owner, InitializerOp):
                continue
            reserved[value] = name
        return reserved

    def _initializer(self, op: InitializerOp, graph: GraphProto, tensors: list[TensorValue] | None) -> None:
        wanted = op.tensor_name.data
        if wanted in self.defaults and not op.result.uses:
            name = wanted  # the default value of the graph input of the same name
        else:
            name = self.names.claim(op.result, wanted)
        if (declared := op.attributes.get(VALUE_INFO_ATTR)) is not None:
            graph.value_info.append(_value_info(name, declared))
        if isinstance(op.value, ProtoAttr):
            sparse = SparseTensorProto()
            sparse.ParseFromString(op.value.payload)
            sparse.values.name = name
            graph.sparse_initializer.append(sparse)
            return
        value = op.value.value
        if value.is_elided:
            raise ForgeError(f"initializer {name!r}: its data was elided from the printed IR; print IR with weights to export it")
        if tensors is None:
            graph.initializer.append(value.to_proto(name))
        else:
            meta = TensorProto(name=name, data_type=value.elem, dims=value.dims)
            if value.doc_string:
                meta.doc_string = value.doc_string
            graph.initializer.append(meta)
            tensors.append(value)

    def _unique_node_name(self, name: str) -> str:
        """Node names as given, with a ``__N`` suffix on repeats: a rewrite that replaces one node by several
        gives them all the anchor's location, and onnxruntime rejects two nodes of one name."""
        if not name:
            return name
        seen = self._node_names.get(name, 0)
        self._node_names[name] = seen + 1
        return name if seen == 0 else f"{name}__{seen}"

    # --- nodes ---------------------------------------------------------------

    def _node(self, op: Operation, reserved: dict[SSAValue, str]) -> NodeProto:
        name, metadata = provenance.exported(op)
        node = NodeProto(name=self._unique_node_name(name))
        if isinstance(op, OnnxOp):
            sig = op.SIGNATURE
            node.op_type, node.domain = sig.op_type, sig.domain
            for name, prop in op.properties.items():
                spec = sig.attribute(name)
                node.attribute.append(attr_to_proto(name, prop, spec.kind if spec else None))
            graph_names = sig.graph_attributes
        elif isinstance(op, CustomOp):
            node.op_type, node.domain = op.op_type.data, op.domain.data
            if op.overload is not None:
                node.overload = op.overload.data
            for name, prop in op.attrs.data.items():
                node.attribute.append(attr_to_proto(name, prop))
            graph_names = tuple(strings_of(op.graph_attrs))
        else:
            raise ForgeError(f"op {op.name} has no ONNX form (lower it before export)")
        for name, region in zip(graph_names, op.regions):
            if region.blocks:
                subgraph = region.block.first_op
                assert isinstance(subgraph, GraphOp)
                node.attribute.append(AttributeProto(name=name, type=AttributeProto.GRAPH, g=self._graph(subgraph)))
        inputs = [self.names[v] for v in op.operands]
        while inputs and not inputs[-1]:
            inputs.pop()
        node.input.extend(inputs)
        wanted = strings_of(op.attributes.get(NAMES_ATTR))
        outputs = []
        for index, result in enumerate(op.results):
            if isinstance(result.type, NoneType):
                outputs.append("")
            else:
                hint = reserved.get(result) or (wanted[index] if index < len(wanted) else "") or _fresh_hint(op, index)
                outputs.append(self.names.claim(result, hint))
        while outputs and not outputs[-1]:
            outputs.pop()
        node.output.extend(outputs)
        attr_docs = op.attributes.get(ATTR_DOCS_ATTR)
        if isinstance(attr_docs, DictionaryAttr):
            for attribute in node.attribute:
                if attribute.name in attr_docs.data:
                    attribute.doc_string = attr_docs.data[attribute.name].data  # type: ignore[attr-defined]
        if (doc := op.attributes.get(DOC_ATTR)) is not None:
            node.doc_string = doc.data  # type: ignore[attr-defined]
        node.metadata_props.extend(StringStringEntryProto(key=k, value=v) for k, v in metadata.items())
        return node

    # --- functions -----------------------------------------------------------

    def _function(self, op: FunctionOp) -> FunctionProto:
        outer, self.names = self.names, _Names()
        try:
            block = op.body.block
            for arg, name in zip(block.args, strings_of(op.input_names)):
                self.names.claim(arg, name)
            returned = block.last_op.operands  # type: ignore[union-attr]
            output_names = strings_of(op.output_names)
            reserved = self._reserve_outputs(returned, output_names)
            self.names.hold(output_names, reserved)
            proto = FunctionProto(
                name=op.function_name.data,
                domain=op.domain.data,
                overload=_text(op.overload),
                input=strings_of(op.input_names),
                output=output_names,
                attribute=strings_of(op.attribute_names),
                opset_import=_opsets(op.opset_import),
                doc_string=_text(op.doc_string),
                metadata_props=_string_entries(op.metadata_props),
            )
            for default in op.attribute_defaults.data if op.attribute_defaults else ():
                proto.attribute_proto.add().ParseFromString(default.payload)  # type: ignore[attr-defined]
            for body_op in block.ops:
                if isinstance(body_op, ReturnOp | NoValueOp):
                    continue
                proto.node.append(self._node(body_op, reserved))
                for result in body_op.results:
                    if not isinstance(result.type, (NoneType, AnyType)):
                        proto.value_info.append(_value_info(self.names[result], result.type))
            for value, name in zip(returned, output_names):
                if self.names[value] != name:
                    proto.node.append(_alias(value, self.names[value], name))
            return proto
        finally:
            self.names = outer


def _value_info(name: str, type_attr: Attribute, doc: str = "") -> ValueInfoProto:
    info = ValueInfoProto(name=name)
    if doc:
        info.doc_string = doc
    type_proto = type_to_proto(type_attr)
    if type_proto is not None:
        info.type.CopyFrom(type_proto)
    return info


def _fresh_hint(op: Operation, index: int) -> str:
    base = provenance.node_name(op) or op.name.rsplit(".", 1)[-1]
    return f"{base}_output_{index}"


def _alias(value: SSAValue, source: str, name: str) -> NodeProto:
    """The Identity that gives a value a second output name; in a model with module tags it belongs to the
    module of the value's producer (the root for an input or a weight)."""
    node = NodeProto(op_type="Identity", input=[source], output=[name])
    owner = value.owner
    tag = hierarchy.tag_of(owner) if isinstance(owner, Operation) else None
    if tag is None:  # an input or a weight: tag it only where the graph holds tagged ops
        block = owner.parent_block() if isinstance(owner, Operation) else getattr(value, "block", None)
        if block is None or not any(hierarchy.tag_of(op) is not None for op in block.ops):
            return node
        tag = hierarchy.Tag("", "", 0, "inherited")
    node.metadata_props.extend(StringStringEntryProto(key=k, value=v) for k, v in tag.props().items())
    return node


def export_model(module: ModuleOp) -> ExportedModel:
    """The ModelProto of an IR module, with main-graph initializer bytes kept aside."""
    return Exporter().export(module)


def to_model_proto(module: ModuleOp) -> ModelProto:
    """A self-contained ModelProto (initializer bytes copied in)."""
    exported = export_model(module)
    for tensor_proto, value in zip(exported.proto.graph.initializer, exported.tensors):
        if value.strings is not None:
            tensor_proto.string_data.extend(value.strings)
        else:
            tensor_proto.raw_data = bytes(value.raw)  # type: ignore[arg-type]
    return exported.proto


__all__ = ["ExportedModel", "export_model", "to_model_proto"]
