"""Value types of the onnx dialect: tensors with symbolic dims, sequences, maps, optionals.

A tensor dim is an ``int`` (static), a ``str`` (a symbolic dim, kept exactly as
the model wrote its ``dim_param``) or ``None`` (unknown). An unknown dim is
always allowed; a wrong one is a miscompile, so nothing here ever guesses.

Types are ``Data`` attributes over plain Python tuples: they hash and compare
in well under a microsecond and cost nothing to build, which matters because
the importer makes one per value (xDSL's builtin ``TensorType`` cannot carry
symbols and costs ~35 µs to construct).
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Sequence

from onnx import TensorProto
from xdsl.ir import Attribute, Data, ParametrizedAttribute, TypeAttribute
from xdsl.irdl import irdl_attr_definition, param_def
from xdsl.parser import AttrParser
from xdsl.printer import Printer

Dim = int | str | None

_SHORT_NAMES = {
    TensorProto.FLOAT: "f32",
    TensorProto.DOUBLE: "f64",
    TensorProto.FLOAT16: "f16",
    TensorProto.BFLOAT16: "bf16",
    TensorProto.INT8: "i8",
    TensorProto.INT16: "i16",
    TensorProto.INT32: "i32",
    TensorProto.INT64: "i64",
    TensorProto.UINT8: "u8",
    TensorProto.UINT16: "u16",
    TensorProto.UINT32: "u32",
    TensorProto.UINT64: "u64",
    TensorProto.BOOL: "bool",
    TensorProto.STRING: "string",
    TensorProto.COMPLEX64: "c64",
    TensorProto.COMPLEX128: "c128",
}
ELEM_NAMES: dict[int, str] = {
    code: _SHORT_NAMES.get(code, name.lower())
    for name, code in TensorProto.DataType.items()
}
"""ONNX element type code → its spelling in the IR (MLIR-like for the common ones)."""
ELEM_CODES: dict[str, int] = {name: code for code, name in ELEM_NAMES.items()}

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def elem_name(code: int) -> str:
    return ELEM_NAMES.get(code, f"elem{code}")


def _print_dim(dim: Dim) -> str:
    if dim is None:
        return "?"
    if isinstance(dim, int):
        return str(dim)
    return dim if _IDENT.fullmatch(dim) and dim not in ELEM_CODES else json.dumps(dim)


def _parse_elem(parser: AttrParser) -> int:
    name = parser.parse_identifier()
    if name in ELEM_CODES:
        return ELEM_CODES[name]
    if re.fullmatch(r"elem\d+", name):
        return int(name[4:])
    parser.raise_error(f"unknown element type {name!r}")


def _parse_dim(parser: AttrParser) -> Dim:
    if parser.parse_optional_characters("?") is not None:
        return None
    text = parser.parse_optional_str_literal()
    if text is not None:
        return text
    ident = parser.parse_optional_identifier()
    if ident is not None:
        return ident
    value = parser.parse_integer(allow_boolean=False, allow_negative=True)
    if not -(2**63) <= value < 2**63:
        parser.raise_error(f"dimension {value} does not fit in an int64 (ONNX's dim_value)")
    return value


@irdl_attr_definition
class TensorType(Data[tuple[int, tuple[Dim, ...] | None]], TypeAttribute):
    """``!onnx.tensor<[batch, seq, 768], f32>``; ``*`` for an unranked tensor, ``?`` an unknown dim.

    ``data`` is ``(element code, dims or None)``; element code 0 is "unknown".
    """

    name = "onnx.tensor"

    @property
    def elem(self) -> int:
        return self.data[0]

    @property
    def dims(self) -> tuple[Dim, ...] | None:
        return self.data[1]

    @property
    def rank(self) -> int | None:
        return None if self.data[1] is None else len(self.data[1])

    def is_static(self) -> bool:
        return self.dims is not None and all(isinstance(d, int) for d in self.dims)

    @classmethod
    def parse_parameter(cls, parser: AttrParser) -> tuple[int, tuple[Dim, ...] | None]:
        with parser.in_angle_brackets():
            if parser.parse_optional_characters("*") is not None:
                dims = None
            else:
                dims = tuple(
                    parser.parse_comma_separated_list(parser.Delimiter.SQUARE, lambda: _parse_dim(parser))
                )
            parser.parse_punctuation(",")
            elem = _parse_elem(parser)
        return (elem, dims)

    def print_parameter(self, printer: Printer) -> None:
        dims = self.dims
        shape = "*" if dims is None else "[" + ", ".join(_print_dim(d) for d in dims) + "]"
        printer.print_string(f"<{shape}, {elem_name(self.elem)}>")


@irdl_attr_definition
class SparseTensorType(Data[tuple[int, tuple[Dim, ...] | None]], TypeAttribute):
    """``!onnx.sparse_tensor<[rows, cols], f32>``: the type of a SparseTensorProto value."""

    name = "onnx.sparse_tensor"

    parse_parameter = TensorType.parse_parameter  # type: ignore[assignment]
    print_parameter = TensorType.print_parameter  # type: ignore[assignment]
    elem = TensorType.elem
    dims = TensorType.dims


@irdl_attr_definition
class SequenceType(ParametrizedAttribute, TypeAttribute):
    """``!onnx.seq<!onnx.tensor<*, f32>>``"""

    name = "onnx.seq"
    elem_type: Attribute = param_def()


@irdl_attr_definition
class OptionalType(ParametrizedAttribute, TypeAttribute):
    """``!onnx.opt<!onnx.tensor<[?], i64>>``"""

    name = "onnx.opt"
    elem_type: Attribute = param_def()


@irdl_attr_definition
class MapType(ParametrizedAttribute, TypeAttribute):
    """``!onnx.map<key element type code, value type>`` (ai.onnx.ml maps)."""

    name = "onnx.map"
    key_type: Attribute = param_def()
    value_type: Attribute = param_def()


@irdl_attr_definition
class AnyType(ParametrizedAttribute, TypeAttribute):
    """``!onnx.any``: a value whose type is not known (no value_info, function inputs)."""

    name = "onnx.any"


@irdl_attr_definition
class NoneType(ParametrizedAttribute, TypeAttribute):
    """``!onnx.none``: an absent optional input or output (the empty name in ONNX)."""

    name = "onnx.none"


ANY = AnyType()
NONE = NoneType()


@functools.lru_cache(maxsize=65536)
def tensor_type(elem: int, dims: tuple[Dim, ...] | None) -> TensorType:
    """Interned tensor types: models repeat a few hundred distinct types thousands of times."""
    return TensorType((elem, dims))


def static_tensor_type(elem: int, dims: Sequence[int]) -> TensorType:
    return tensor_type(elem, tuple(int(d) for d in dims))
