"""The shared base of every generated onnx op, and the attributes ONNX needs beyond xDSL's.

Generated op classes declare their structure with xDSL's IRDL and carry the
schema facts the importer and exporter need as a ``SIGNATURE`` class variable,
so that reading and writing any op is one generic routine keyed by schema order
rather than a hand-written case per operator.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import ClassVar

from xdsl.dialects.builtin import ArrayAttr, BytesAttr, DenseArrayBase, FloatAttr, IntegerAttr, StringAttr
from xdsl.ir import Data
from xdsl.irdl import AnyAttr, IRDLOperation, base, irdl_attr_definition
from xdsl.parser import AttrParser
from xdsl.printer import Printer
from xdsl.utils.exceptions import VerifyException

from onnxforge.ir.tensor import DenseAttr
from onnxforge.ir.types import NoneType


class Arity(enum.Enum):
    """A formal parameter's option in the schema; absent optionals are ``NoValue``."""

    SINGLE = "single"
    OPTIONAL = "optional"
    VARIADIC = "variadic"


class AttrKind(enum.IntEnum):
    """``onnx.AttributeProto.AttributeType``, so IR and proto agree on codes."""

    FLOAT = 1
    INT = 2
    STRING = 3
    TENSOR = 4
    GRAPH = 5
    FLOATS = 6
    INTS = 7
    STRINGS = 8
    TENSORS = 9
    GRAPHS = 10
    SPARSE_TENSOR = 11
    SPARSE_TENSORS = 12
    TYPE_PROTO = 13
    TYPE_PROTOS = 14


@dataclass(frozen=True)
class Param:
    name: str
    arity: Arity


@dataclass(frozen=True)
class AttrSpec:
    name: str
    kind: AttrKind
    required: bool


@dataclass(frozen=True)
class Signature:
    """What one generated class knows of its ONNX schema (one signature, several opset versions)."""

    domain: str
    op_type: str
    since_versions: tuple[int, ...]
    inputs: tuple[Param, ...]
    outputs: tuple[Param, ...]
    attributes: tuple[AttrSpec, ...]

    @property
    def graph_attributes(self) -> tuple[str, ...]:
        """Attributes that hold a subgraph: they become the op's regions, in this order."""
        return tuple(a.name for a in self.attributes if a.kind == AttrKind.GRAPH)

    def attribute(self, name: str) -> AttrSpec | None:
        for spec in self.attributes:
            if spec.name == name:
                return spec
        return None


DEFAULT_DOMAINS = ("", "ai.onnx")
"""Both spellings of ONNX's default domain."""


def qualified_type(domain: str, op_type: str) -> str:
    """``Conv`` in the default domain, ``com.microsoft.FusedConv`` elsewhere: the key of every per-op registry."""
    return op_type if domain in DEFAULT_DOMAINS else f"{domain}.{op_type}"


class OnnxOp(IRDLOperation):
    """Base of the generated ops: properties are keyed by their ONNX attribute names."""

    SIGNATURE: ClassVar[Signature]

    @property
    def onnx_type(self) -> str:
        """The domain-qualified op type, the same for every opset form (``Squeeze``, ``ai.onnx.ml.LabelEncoder``)."""
        return qualified_type(self.SIGNATURE.domain, self.SIGNATURE.op_type)

    def verify_(self) -> None:
        """A required (single) input is present: the importer pads a node with too few inputs with
        ``NoValue`` (an ``Add`` with one input), which every pass would read as a real operand."""
        for param, operand in zip(self.SIGNATURE.inputs, self.operands):
            if param.arity is Arity.VARIADIC:
                return  # positions after a variadic group are not the schema's
            if param.arity is Arity.SINGLE and isinstance(operand.type, NoneType):
                raise VerifyException(f"{self.SIGNATURE.op_type}: required input {param.name!r} is missing")


@irdl_attr_definition
class RefAttr(Data[tuple[str, int]]):
    """``#onnx.ref<"alpha", 1>``: an attribute of a function body that refers to the caller's
    attribute ``alpha`` (``ref_attr_name``); the number is its ``AttrKind``."""

    name = "onnx.ref"

    @property
    def ref_name(self) -> str:
        return self.data[0]

    @property
    def kind(self) -> AttrKind:
        return AttrKind(self.data[1])

    @classmethod
    def parse_parameter(cls, parser: AttrParser) -> tuple[str, int]:
        with parser.in_angle_brackets():
            ref = parser.parse_str_literal()
            parser.parse_punctuation(",")
            kind = parser.parse_integer()
        return (ref, kind)

    def print_parameter(self, printer: Printer) -> None:
        printer.print_string("<")
        printer.print_string_literal(self.data[0])
        printer.print_string(f", {self.data[1]}>")


@irdl_attr_definition
class ProtoAttr(Data[tuple[str, bytes]]):
    """``#onnx.proto<"SparseTensorProto", "0x…">``: a serialized protobuf message kept verbatim.

    For the rare parts of a model no pass reasons about (sparse tensors,
    training info, quantization annotations): they round-trip byte for byte.
    """

    name = "onnx.proto"

    @property
    def message(self) -> str:
        return self.data[0]

    @property
    def payload(self) -> bytes:
        return self.data[1]

    @classmethod
    def parse_parameter(cls, parser: AttrParser) -> tuple[str, bytes]:
        with parser.in_angle_brackets():
            message = parser.parse_str_literal()
            parser.parse_punctuation(",")
            payload = bytes.fromhex(parser.parse_str_literal()[2:])
        return (message, payload)

    def print_parameter(self, printer: Printer) -> None:
        printer.print_string("<")
        printer.print_string_literal(self.data[0])
        printer.print_string(f', "0x{self.data[1].hex()}">')


PROPERTY_CONSTRAINTS = {
    AttrKind.FLOAT: base(FloatAttr) | base(RefAttr),
    AttrKind.INT: base(IntegerAttr) | base(RefAttr),
    AttrKind.STRING: base(StringAttr) | base(BytesAttr) | base(RefAttr),
    AttrKind.TENSOR: base(DenseAttr) | base(RefAttr),
    AttrKind.FLOATS: base(DenseArrayBase) | base(RefAttr),
    AttrKind.INTS: base(DenseArrayBase) | base(RefAttr),
    AttrKind.STRINGS: base(ArrayAttr) | base(RefAttr),
    AttrKind.TENSORS: base(ArrayAttr) | base(RefAttr),
    AttrKind.SPARSE_TENSOR: base(ProtoAttr) | base(RefAttr),
    AttrKind.SPARSE_TENSORS: base(ArrayAttr) | base(RefAttr),
    AttrKind.TYPE_PROTO: AnyAttr(),
    AttrKind.TYPE_PROTOS: base(ArrayAttr) | base(RefAttr),
    AttrKind.GRAPHS: base(ArrayAttr) | base(RefAttr),
}
"""The property constraint generated ops use for each attribute kind."""
