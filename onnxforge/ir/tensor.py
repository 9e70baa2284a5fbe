"""Constant tensors in the IR: raw buffers behind a handle, never Python numbers.

A ``TensorValue`` holds the tensor's little-endian bytes exactly as ONNX stores
them in ``raw_data`` — a zero-copy view into the memory-mapped model file or
external-data file where possible. ``DenseAttr`` (``#onnx.dense<...>``) wraps
one so it can sit in an op's properties. Small tensors print their values;
big ones print as ``elided`` unless weights are asked for
(``printing_weights()``), because printing BERT-base's weights as hex costs
~20 s and ~1 GB of text.
"""

from __future__ import annotations

import contextlib
import contextvars
import json
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

import numpy as np
from onnx import TensorProto, helper, numpy_helper
from xdsl.ir import Data
from xdsl.irdl import irdl_attr_definition
from xdsl.parser import AttrParser
from xdsl.printer import Printer
from xdsl.utils.exceptions import VerifyException

from onnxforge.ir.types import ELEM_CODES, elem_name

INLINE_LIMIT = 16
"""Tensors with at most this many elements always print their values."""
MAX_DIM = 2**63 - 1
"""The largest dimension ONNX can hold (an int64)."""

_PRINT_WEIGHTS = contextvars.ContextVar("onnxforge_print_weights", default=False)

_FLOAT_CODES = {TensorProto.FLOAT, TensorProto.DOUBLE, TensorProto.FLOAT16, TensorProto.BFLOAT16}
ELEMENTS_PER_BYTE = {
    code: per_byte
    for name, code in TensorProto.DataType.items()
    for names, per_byte in ((("UINT4", "INT4", "FLOAT4E2M1"), 2), (("UINT2", "INT2"), 4))
    if name in names
}
"""Sub-byte types: ONNX packs several elements per byte in raw_data."""
_PACKED_CODES = set(ELEMENTS_PER_BYTE)


def raw_nbytes(elem: int, dims: tuple[int, ...]) -> int:
    """Bytes of raw_data a tensor of this element type and shape holds (not for strings)."""
    count = math.prod(dims)
    if elem in ELEMENTS_PER_BYTE:
        return -(-count // ELEMENTS_PER_BYTE[elem])
    return count * np_dtype(elem).itemsize


@contextlib.contextmanager
def printing_weights(enabled: bool = True) -> Iterator[None]:
    """Within this block, big tensors print their bytes (hex) instead of ``elided``."""
    token = _PRINT_WEIGHTS.set(enabled)
    try:
        yield
    finally:
        _PRINT_WEIGHTS.reset(token)


def np_dtype(elem: int) -> np.dtype:
    return np.dtype(helper.tensor_dtype_to_np_dtype(elem))


@dataclass(frozen=True, eq=False)
class TensorValue:
    """A constant tensor: element code, static dims and its raw bytes.

    ``raw`` is ``None`` when the bytes were elided from printed IR (such a
    tensor can be printed again but not exported). ``strings`` holds the
    elements of a string tensor instead of ``raw``.
    """

    elem: int
    dims: tuple[int, ...]
    raw: memoryview | None = None
    strings: tuple[bytes, ...] | None = None
    doc_string: str = ""
    external_location: str | None = field(default=None, compare=False)
    """File name the source model kept this tensor in (external data), for re-export."""
    name: str = field(default="", compare=False)
    """The TensorProto's own name where it has one outside an initializer (e.g. in a Constant)."""

    @property
    def size(self) -> int:
        return math.prod(self.dims)

    @property
    def nbytes(self) -> int:
        return 0 if self.raw is None else self.raw.nbytes

    @property
    def is_elided(self) -> bool:
        return self.raw is None and self.strings is None

    def numpy(self) -> np.ndarray:
        """The values as an array; a read-only zero-copy view for all but sub-byte types."""
        if self.strings is not None:
            return np.array(self.strings, dtype=object).reshape(self.dims)
        if self.raw is None:
            raise ValueError("tensor data was elided from the printed IR")
        if self.elem in _PACKED_CODES:
            return numpy_helper.to_array(self.to_proto())
        return np.frombuffer(self.raw, dtype=np_dtype(self.elem)).reshape(self.dims)

    @classmethod
    def from_numpy(cls, array: np.ndarray, elem: int | None = None) -> TensorValue:
        if elem is None:
            elem = helper.np_dtype_to_tensor_dtype(array.dtype)
        if elem == TensorProto.STRING:
            strings = tuple(s if isinstance(s, bytes) else str(s).encode() for s in array.flat)
            return cls(elem, tuple(array.shape), strings=strings)
        if elem in _PACKED_CODES:
            proto = numpy_helper.from_array(array)
            return cls(elem, tuple(array.shape), raw=memoryview(proto.raw_data))
        data = np.ascontiguousarray(array, dtype=np_dtype(elem)).astype(np_dtype(elem).newbyteorder("<"), copy=False)
        if data.base is None and data.flags.owndata and data.flags.writeable and data.size:
            data.flags.writeable = False  # we take the array's own buffer: no second copy of a folded weight
            # a uint8 view: the buffer protocol cannot export ml_dtypes elements (bfloat16, float8)
            return cls(elem, tuple(array.shape), raw=memoryview(data.reshape(-1).view(np.uint8)))
        return cls(elem, tuple(array.shape), raw=memoryview(data.tobytes()))

    def to_proto(self, name: str | None = None) -> TensorProto:
        """A TensorProto holding a copy of the bytes (for the API; files are streamed)."""
        proto = TensorProto(data_type=self.elem, dims=self.dims)
        if name or self.name:
            proto.name = name or self.name
        if self.doc_string:
            proto.doc_string = self.doc_string
        if self.strings is not None:
            proto.string_data.extend(self.strings)
        elif self.raw is not None:
            proto.raw_data = bytes(self.raw)
        else:
            raise ValueError(f"tensor {name!r}: data was elided from the printed IR")
        return proto

    def __eq__(self, other: object) -> bool:
        if self is other:
            return True
        if not isinstance(other, TensorValue):
            return NotImplemented
        if (self.elem, self.dims, self.strings, self.doc_string) != (
            other.elem,
            other.dims,
            other.strings,
            other.doc_string,
        ):
            return False
        if self.raw is None or other.raw is None:
            return self.raw is other.raw
        return self.raw.nbytes == other.raw.nbytes and self.raw == other.raw

    def __hash__(self) -> int:
        head = b"" if self.raw is None else bytes(self.raw[:64])
        return hash((self.elem, self.dims, self.nbytes, head, self.strings))


def _inline_values(value: TensorValue) -> str | None:
    """The values as an MLIR-like list, or None when they must print as bytes."""
    if value.strings is not None:
        try:
            return "[" + ", ".join(json.dumps(s.decode("utf-8")) for s in value.strings) + "]"
        except UnicodeDecodeError:
            return None
    if value.elem in _PACKED_CODES or value.raw is None:
        return None
    array = value.numpy().reshape(-1)
    if value.elem == TensorProto.BOOL:
        return "[" + ", ".join("true" if v else "false" for v in array) + "]"
    if value.elem in _FLOAT_CODES:
        floats = array.astype(np.float64)
        if not np.all(np.isfinite(floats)):
            return None
        return "[" + ", ".join(repr(float(v)) for v in floats) + "]"
    if np.issubdtype(array.dtype, np.integer):
        return "[" + ", ".join(str(int(v)) for v in array) + "]"
    return None


@irdl_attr_definition
class DenseAttr(Data[TensorValue]):
    """``#onnx.dense<f32 [768, 768] = elided>``, ``#onnx.dense<i64 [2] = [0, -1]>`` or ``= "0x…"`` (raw hex)."""

    name = "onnx.dense"

    @property
    def value(self) -> TensorValue:
        return self.data

    def verify(self) -> None:
        """A tensor's bytes (or strings) are exactly what its type and shape need: every consumer
        (numpy views, the writer, onnxruntime) trusts that, and a short buffer would be read past."""
        if problem := size_problem(self.data):
            raise VerifyException(f"#onnx.dense: {problem}")

    def print_parameter(self, printer: Printer) -> None:
        value = self.data
        dims = "[" + ", ".join(str(d) for d in value.dims) + "]"
        if value.is_elided:
            body = "elided"
        elif value.size <= INLINE_LIMIT and (inline := _inline_values(value)) is not None:
            body = inline
        elif value.strings is not None:
            body = "hexstrings [" + ", ".join(f'"0x{s.hex()}"' for s in value.strings) + "]"
        elif _PRINT_WEIGHTS.get() or value.size <= INLINE_LIMIT:
            body = f'"0x{bytes(value.raw).hex()}"'  # type: ignore[arg-type]
        else:
            body = "elided"
        extra = "".join(f", {key} {json.dumps(text)}" for key, text in (("name", value.name), ("doc", value.doc_string)) if text)
        printer.print_string(f"<{elem_name(value.elem)} {dims} = {body}{extra}>")

    @classmethod
    def parse_parameter(cls, parser: AttrParser) -> TensorValue:
        with parser.in_angle_brackets():
            elem_text = parser.parse_identifier()
            if elem_text not in ELEM_CODES:
                parser.raise_error(f"unknown element type {elem_text!r}")
            elem = ELEM_CODES[elem_text]
            dims = tuple(
                parser.parse_comma_separated_list(parser.Delimiter.SQUARE, parser.parse_integer)
            )
            if any(not 0 <= d <= MAX_DIM for d in dims):
                parser.raise_error(f"#onnx.dense dimensions must be in [0, {MAX_DIM}], got {list(dims)}")
            parser.parse_punctuation("=")
            value = _parse_body(parser, elem, dims)
            if problem := size_problem(value):
                parser.raise_error(f"#onnx.dense: {problem}")
            extra = {"name": "", "doc": ""}
            while parser.parse_optional_punctuation(",") is not None:
                key = parser.parse_identifier()
                if key not in extra:
                    parser.raise_error(f"unexpected {key!r} in #onnx.dense")
                extra[key] = parser.parse_str_literal()
        return TensorValue(value.elem, value.dims, value.raw, value.strings, extra["doc"], name=extra["name"])


def size_problem(value: TensorValue) -> str | None:
    """Why a tensor's data does not fit its element type and shape (None when it does, or is elided)."""
    if value.strings is not None:
        if value.elem != TensorProto.STRING:
            return f"strings given for element type {elem_name(value.elem)}"
        if len(value.strings) != value.size:
            return f"{len(value.strings)} strings for shape {list(value.dims)} ({value.size} elements)"
    elif value.raw is not None:
        if value.elem == TensorProto.STRING:
            return "raw bytes given for a string tensor"
        expected = raw_nbytes(value.elem, value.dims)
        if value.raw.nbytes != expected:
            return f"{value.raw.nbytes} bytes of data for {elem_name(value.elem)} {list(value.dims)}, which needs {expected}"
    return None


def _parse_hex(parser: AttrParser, text: str) -> bytes:
    if not text.startswith("0x"):
        parser.raise_error(f"#onnx.dense bytes must be written \"0x…\", got {text[:20]!r}")
    try:
        return bytes.fromhex(text[2:])
    except ValueError as err:
        parser.raise_error(f"#onnx.dense bytes are not valid hex ({err})")


def _parse_body(parser: AttrParser, elem: int, dims: tuple[int, ...]) -> TensorValue:
    if parser.parse_optional_keyword("elided") is not None:
        return TensorValue(elem, dims)
    if parser.parse_optional_keyword("hexstrings") is not None:
        items = parser.parse_comma_separated_list(parser.Delimiter.SQUARE, parser.parse_str_literal)
        return TensorValue(elem, dims, strings=tuple(_parse_hex(parser, s) for s in items))
    hex_text = parser.parse_optional_str_literal()
    if hex_text is not None:
        return TensorValue(elem, dims, raw=memoryview(_parse_hex(parser, hex_text)))
    if elem == TensorProto.STRING:
        items = parser.parse_comma_separated_list(parser.Delimiter.SQUARE, parser.parse_str_literal)
        return TensorValue(elem, dims, strings=tuple(s.encode("utf-8") for s in items))
    items = parser.parse_comma_separated_list(parser.Delimiter.SQUARE, lambda: _parse_scalar(parser))
    if len(items) != math.prod(dims):
        parser.raise_error(f"#onnx.dense holds {len(items)} values, its shape {list(dims)} needs {math.prod(dims)}")
    dtype = np_dtype(elem)
    if elem not in _FLOAT_CODES and elem != TensorProto.BOOL and np.issubdtype(dtype, np.integer):
        info = np.iinfo(dtype)
        bad = next((v for v in items if not isinstance(v, int) or not info.min <= v <= info.max), None)
        if bad is not None:
            parser.raise_error(f"#onnx.dense value {bad} is not a {elem_name(elem)}")
    array = np.array(items, dtype=np.float64 if elem in _FLOAT_CODES else object).reshape(dims)
    return TensorValue.from_numpy(array.astype(dtype), elem)


def _parse_scalar(parser: AttrParser) -> int | float | bool:
    if parser.parse_optional_keyword("true") is not None:
        return True
    if parser.parse_optional_keyword("false") is not None:
        return False
    return parser.parse_number()


def dense(array: np.ndarray | Sequence[int], elem: int | None = None) -> DenseAttr:
    """Build a ``DenseAttr`` from array-like values (for small constants made by passes)."""
    return DenseAttr(TensorValue.from_numpy(np.asarray(array), elem))
