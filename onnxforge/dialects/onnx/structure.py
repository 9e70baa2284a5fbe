"""Hand-written onnx ops for the structure of a model: model, graph, function, values.

A model is ``onnx.model`` holding one ``onnx.graph`` (the main graph) and its
``onnx.function``s. Graph inputs are the graph block's arguments; its outputs
are the operands of ``onnx.return``. The subgraphs of If/Loop/Scan are regions
of those ops, each holding one ``onnx.graph`` that may use values of the
enclosing graph directly (ONNX's outer-scope references become SSA uses).

Names are kept where ONNX needs them: graph input and output names on the
graph op (outputs keep their name whatever a pass does to the producer), and
each op's result names in the discardable attribute ``onnx.names``. A node's
own name is its location.
"""

from __future__ import annotations

from collections.abc import Set

from xdsl.dialects.builtin import ArrayAttr, DictionaryAttr, IntegerAttr, StringAttr
from xdsl.ir import Attribute, Block, Operation, Region
from xdsl.irdl import (
    IRDLOperation,
    base,
    irdl_op_definition,
    opt_prop_def,
    prop_def,
    region_def,
    result_def,
    traits_def,
    var_operand_def,
    var_region_def,
    var_result_def,
)
from xdsl.traits import EffectInstance, IsolatedFromAbove, IsTerminator, MemoryEffect, NoTerminator, Pure
from xdsl.utils.exceptions import VerifyException

from onnxforge.dialects.onnx.base import ProtoAttr, qualified_type
from onnxforge.ir.tensor import DenseAttr
from onnxforge.ir.types import NoneType

NAMES_ATTR = "onnx.names"
"""Discardable attribute: the ONNX names of an op's results (ArrayAttr of StringAttr)."""
DOC_ATTR = "onnx.doc"
"""Discardable attribute: a node's doc_string."""
VALUE_INFO_ATTR = "onnx.value_info"
"""Discardable attribute of an initializer: the type its value_info entry declared (dynamo exports have them)."""
ATTR_DOCS_ATTR = "onnx.attr_docs"
"""Discardable attribute: doc_strings of a node's attributes, by attribute name (rare)."""


@irdl_op_definition
class ModelOp(IRDLOperation):
    """``onnx.model``: the ModelProto fields, and a body holding the main graph and functions."""

    name = "onnx.model"

    ir_version = prop_def(IntegerAttr)
    opset_import = prop_def(DictionaryAttr)
    """domain → IntegerAttr version, in the model's order."""
    producer_name = opt_prop_def(StringAttr)
    producer_version = opt_prop_def(StringAttr)
    domain = opt_prop_def(StringAttr)
    model_version = opt_prop_def(IntegerAttr)
    doc_string = opt_prop_def(StringAttr)
    metadata_props = opt_prop_def(DictionaryAttr)
    extras = opt_prop_def(ArrayAttr)
    """Verbatim ProtoAttrs of rarely used fields (training_info, configuration)."""
    body = region_def("single_block")

    traits = traits_def(NoTerminator(), IsolatedFromAbove())

    @property
    def graph(self) -> GraphOp:
        for op in self.body.block.ops:
            if isinstance(op, GraphOp):
                return op
        raise ValueError("onnx.model has no graph")

    @property
    def functions(self) -> list[FunctionOp]:
        return [op for op in self.body.block.ops if isinstance(op, FunctionOp)]

    def opsets(self) -> dict[str, int]:
        return {k: v.value.data for k, v in self.opset_import.data.items()}  # type: ignore[attr-defined]

    def verify_(self) -> None:
        graphs = [op for op in self.body.block.ops if isinstance(op, GraphOp)]
        if len(graphs) != 1:
            raise VerifyException(f"onnx.model must hold exactly one onnx.graph, found {len(graphs)}")


@irdl_op_definition
class GraphOp(IRDLOperation):
    """``onnx.graph``: a GraphProto. Block arguments are the inputs; ``onnx.return`` the outputs."""

    name = "onnx.graph"

    graph_name = prop_def(StringAttr, prop_name="name")
    input_names = prop_def(ArrayAttr)
    output_names = prop_def(ArrayAttr)
    output_types = prop_def(ArrayAttr)
    """The declared output types (may be less precise than the returned values' types)."""
    doc_string = opt_prop_def(StringAttr)
    value_docs = opt_prop_def(ArrayAttr)
    """doc_strings of the inputs then the outputs, when any is non-empty."""
    metadata_props = opt_prop_def(DictionaryAttr)
    extras = opt_prop_def(ArrayAttr)
    """Verbatim ProtoAttrs (quantization_annotation)."""
    body = region_def("single_block")

    @property
    def block(self) -> Block:
        return self.body.block

    @property
    def return_op(self) -> ReturnOp:
        last = self.body.block.last_op
        assert isinstance(last, ReturnOp)
        return last

    def verify_(self) -> None:
        block = self.body.block
        if len(self.input_names.data) != len(block.args):
            raise VerifyException("onnx.graph: input_names and block arguments differ in number")
        if not isinstance(block.last_op, ReturnOp):
            raise VerifyException("onnx.graph body must end with onnx.return")
        outputs = len(block.last_op.operands)
        if not (len(self.output_names.data) == len(self.output_types.data) == outputs):
            raise VerifyException("onnx.graph: output_names, output_types and returned values differ in number")


@irdl_op_definition
class FunctionOp(IRDLOperation):
    """``onnx.function``: a model-local FunctionProto, called by nodes of its domain and name."""

    name = "onnx.function"

    function_name = prop_def(StringAttr, prop_name="name")
    domain = prop_def(StringAttr)
    overload = opt_prop_def(StringAttr)
    input_names = prop_def(ArrayAttr)
    output_names = prop_def(ArrayAttr)
    attribute_names = prop_def(ArrayAttr)
    """Attributes without a default (FunctionProto.attribute)."""
    attribute_defaults = opt_prop_def(ArrayAttr)
    """Attributes with a default, verbatim AttributeProtos (FunctionProto.attribute_proto)."""
    opset_import = prop_def(DictionaryAttr)
    doc_string = opt_prop_def(StringAttr)
    metadata_props = opt_prop_def(DictionaryAttr)
    body = region_def("single_block")

    traits = traits_def(IsolatedFromAbove())


@irdl_op_definition
class ReturnOp(IRDLOperation):
    """``onnx.return``: the outputs of the enclosing graph or function."""

    name = "onnx.return"
    values = var_operand_def()
    traits = traits_def(IsTerminator())

    def __init__(self, values: list) -> None:  # type: ignore[type-arg]
        super().__init__(operands=[values])


class InitializerEffects(MemoryEffect):
    """An initializer is a constant (pure) unless it is the default of a graph input: then it is part of the
    graph's interface (the caller may feed that input), so its effects are unknown and nothing removes it."""

    @classmethod
    def get_effects(cls, op: Operation) -> Set[EffectInstance] | None:
        return None if isinstance(op, InitializerOp) and op.is_input_default() else frozenset()


@irdl_op_definition
class InitializerOp(IRDLOperation):
    """``onnx.initializer``: a named graph initializer; its bytes stay a raw buffer.

    The value is a ``DenseAttr``, or a ``ProtoAttr`` for a sparse initializer.
    """

    name = "onnx.initializer"
    tensor_name = prop_def(StringAttr, prop_name="name")
    value = prop_def(base(DenseAttr) | base(ProtoAttr))
    result = result_def()
    traits = traits_def(InitializerEffects())

    def is_input_default(self) -> bool:
        """Whether this initializer shares its name with an input of its graph: it is then only that
        input's default value (IR < 4 style), which the caller may override, so it is no constant."""
        graph = self.parent_op()
        return isinstance(graph, GraphOp) and self.tensor_name.data in strings_of(graph.input_names)


@irdl_op_definition
class NoValueOp(IRDLOperation):
    """``onnx.novalue``: stands for an absent optional input, so operand positions never shift."""

    name = "onnx.novalue"
    result = result_def(NoneType)
    traits = traits_def(Pure())

    def __init__(self) -> None:
        super().__init__(result_types=[NoneType()])


@irdl_op_definition
class CustomOp(IRDLOperation):
    """``onnx.custom``: a node of any domain without generated ops (e.g. ``com.microsoft``).

    It keeps the domain, type, attributes and arity, so unknown ops pass
    through the compiler untouched.
    """

    name = "onnx.custom"
    domain = prop_def(StringAttr)
    op_type = prop_def(StringAttr)
    attrs = prop_def(DictionaryAttr)
    graph_attrs = prop_def(ArrayAttr)
    """Names of the graph attributes, one per region, in order."""
    overload = opt_prop_def(StringAttr)
    inputs = var_operand_def()
    outputs = var_result_def()
    graphs = var_region_def()
    traits = traits_def(NoTerminator())

    @property
    def onnx_type(self) -> str:
        """The domain-qualified op type (``com.microsoft.Attention``)."""
        return qualified_type(self.domain.data, self.op_type.data)


STRUCTURE_OPS: tuple[type[Operation], ...] = (
    ModelOp,
    GraphOp,
    FunctionOp,
    ReturnOp,
    InitializerOp,
    NoValueOp,
    CustomOp,
)


def string_array(items: list[str]) -> ArrayAttr[StringAttr]:
    return ArrayAttr([StringAttr(s) for s in items])


def strings_of(attr: Attribute | None) -> list[str]:
    if attr is None:
        return []
    assert isinstance(attr, ArrayAttr)
    return [s.data for s in attr.data]  # type: ignore[attr-defined]


def graph_region(graph: GraphOp) -> Region:
    """A region holding one subgraph, as If/Loop/Scan take it."""
    return Region(Block([graph]))


__all__ = [
    "CustomOp",
    "FunctionOp",
    "GraphOp",
    "InitializerOp",
    "ModelOp",
    "NoValueOp",
    "ReturnOp",
]
