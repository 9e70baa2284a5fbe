"""ONNX attributes, types and tensors ⇄ their IR attributes, in both directions.

Kept in one module so that import and export are visibly inverse: every
``*_from_proto`` has its ``*_to_proto`` next to it.

| ONNX attribute | property                    |
| -------------- | --------------------------- |
| INT / FLOAT    | ``IntegerAttr`` i64 / ``FloatAttr`` f32 |
| STRING         | ``StringAttr`` (``BytesAttr`` if not UTF-8) |
| INTS / FLOATS  | ``DenseArrayBase`` i64 / f32 (packed bytes, cheap) |
| STRINGS, TENSORS, TYPE_PROTOS, SPARSE_TENSORS | ``ArrayAttr`` of the single form |
| TENSOR         | ``DenseAttr`` (raw bytes)   |
| SPARSE_TENSOR  | ``ProtoAttr`` (verbatim)    |
| TYPE_PROTO     | the value type              |
| GRAPH          | a region of the op (not a property) |
| ref_attr_name  | ``RefAttr`` (function bodies) |
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from onnx import AttributeProto, TensorProto, TypeProto
from xdsl.dialects.builtin import (
    ArrayAttr,
    BytesAttr,
    DenseArrayBase,
    FloatAttr,
    IntegerAttr,
    StringAttr,
    f32,
    i64,
)
from xdsl.ir import Attribute

from onnxforge.dialects.onnx.base import AttrKind, ProtoAttr, RefAttr
from onnxforge.ir.tensor import DenseAttr, TensorValue
from onnxforge.ir.types import (
    ANY,
    AnyType,
    MapType,
    OptionalType,
    SequenceType,
    SparseTensorType,
    TensorType,
    tensor_type,
)
from onnxforge.onnxio.weights import expected_nbytes

ExternalResolver = Callable[[TensorProto], memoryview]
"""Returns the bytes of a tensor whose data lives in an external file."""


# --- types -------------------------------------------------------------------


def type_from_proto(proto: TypeProto) -> Attribute:
    which = proto.WhichOneof("value")
    if which == "tensor_type" or which == "sparse_tensor_type":
        tensor = getattr(proto, which)
        dims = None
        if tensor.HasField("shape"):
            dims = tuple(
                d.dim_value if d.HasField("dim_value") else d.dim_param if d.HasField("dim_param") else None
                for d in tensor.shape.dim
            )
        if which == "sparse_tensor_type":
            return SparseTensorType((tensor.elem_type, dims))
        return tensor_type(tensor.elem_type, dims)
    if which == "sequence_type":
        return SequenceType(_optional_elem(proto.sequence_type))
    if which == "optional_type":
        return OptionalType(_optional_elem(proto.optional_type))
    if which == "map_type":
        return MapType(IntegerAttr(proto.map_type.key_type, i64), type_from_proto(proto.map_type.value_type))
    return ANY


def _optional_elem(container: TypeProto.Sequence | TypeProto.Optional) -> Attribute:
    return type_from_proto(container.elem_type) if container.HasField("elem_type") else ANY


def type_to_proto(type_attr: Attribute) -> TypeProto | None:
    """The TypeProto of a value type, or None when nothing is known about it."""
    proto = TypeProto()
    if isinstance(type_attr, (TensorType, SparseTensorType)) and type_attr.data[0] == 0:
        return None  # an unknown element type: a TypeProto must not claim UNDEFINED
    if isinstance(type_attr, (TensorType, SparseTensorType)):
        tensor = proto.tensor_type if isinstance(type_attr, TensorType) else proto.sparse_tensor_type
        tensor.elem_type = type_attr.data[0]
        dims = type_attr.data[1]
        if dims is not None:
            shape = tensor.shape
            shape.SetInParent()
            for dim in dims:
                entry = shape.dim.add()
                if isinstance(dim, int):
                    entry.dim_value = dim
                elif isinstance(dim, str):
                    entry.dim_param = dim
        return proto
    if isinstance(type_attr, (SequenceType, OptionalType)):
        container = proto.sequence_type if isinstance(type_attr, SequenceType) else proto.optional_type
        container.SetInParent()
        inner = type_to_proto(type_attr.elem_type)
        if inner is not None:
            container.elem_type.CopyFrom(inner)
        return proto
    if isinstance(type_attr, MapType):
        assert isinstance(type_attr.key_type, IntegerAttr)
        proto.map_type.key_type = type_attr.key_type.value.data
        inner = type_to_proto(type_attr.value_type)
        if inner is not None:
            proto.map_type.value_type.CopyFrom(inner)
        return proto
    if isinstance(type_attr, AnyType):
        return None
    raise ValueError(f"not an onnx value type: {type_attr}")


# --- tensors -----------------------------------------------------------------


def initializer_value(tensor: TensorProto, raw: memoryview | None,
                      resolve_external: ExternalResolver | None = None) -> TensorValue:
    """An initializer as a TensorValue: over ``raw`` (its bytes, which the loader cut out of the file as a
    view) when given, checked against its shape; else over the proto's own fields (``tensor_from_proto``).
    Raises ``ValueError`` naming what is wrong."""
    if raw is None:
        return tensor_from_proto(tensor, resolve_external)
    expected = expected_nbytes(tensor)
    if raw.nbytes != expected:
        raise ValueError(f"raw_data holds {raw.nbytes} bytes, its shape needs {expected}")
    return TensorValue(tensor.data_type, tuple(tensor.dims), raw=raw, doc_string=tensor.doc_string)


def tensor_from_proto(proto: TensorProto, resolve_external: ExternalResolver | None = None) -> TensorValue:
    """A TensorValue over the proto's bytes: raw_data as is, typed fields re-encoded as raw."""
    dims = tuple(proto.dims)
    expected = expected_nbytes(proto)
    if proto.data_type == TensorProto.STRING:
        return TensorValue(proto.data_type, dims, strings=tuple(proto.string_data), doc_string=proto.doc_string, name=proto.name)
    if proto.data_location == TensorProto.EXTERNAL:
        if resolve_external is None:
            raise ValueError(f"tensor {proto.name!r} has external data but no model directory is known")
        location = next((e.value for e in proto.external_data if e.key == "location"), None)
        return TensorValue(proto.data_type, dims, raw=resolve_external(proto), doc_string=proto.doc_string,
                           external_location=location, name=proto.name)
    if proto.HasField("raw_data"):
        if len(proto.raw_data) != expected:
            raise ValueError(f"raw_data holds {len(proto.raw_data)} bytes, its shape needs {expected}")
        return TensorValue(proto.data_type, dims, raw=memoryview(proto.raw_data), doc_string=proto.doc_string, name=proto.name)
    from onnx import numpy_helper

    array = numpy_helper.to_array(proto)
    value = TensorValue.from_numpy(np.asarray(array), proto.data_type)
    return TensorValue(value.elem, dims, value.raw, doc_string=proto.doc_string, name=proto.name)


# --- attributes --------------------------------------------------------------


def attr_from_proto(proto: AttributeProto, resolve_external: ExternalResolver | None = None) -> Attribute:
    """The property for a non-graph attribute."""
    kind = AttrKind(proto.type)
    if proto.ref_attr_name:
        return RefAttr((proto.ref_attr_name, int(kind)))
    match kind:
        case AttrKind.FLOAT:
            return FloatAttr(proto.f, f32)
        case AttrKind.INT:
            return IntegerAttr(proto.i, i64)
        case AttrKind.STRING:
            return _string_attr(proto.s)
        case AttrKind.FLOATS:
            return DenseArrayBase.from_list(f32, list(proto.floats))
        case AttrKind.INTS:
            return DenseArrayBase.from_list(i64, list(proto.ints))
        case AttrKind.STRINGS:
            return ArrayAttr([_string_attr(s) for s in proto.strings])
        case AttrKind.TENSOR:
            return DenseAttr(tensor_from_proto(proto.t, resolve_external))
        case AttrKind.TENSORS:
            return ArrayAttr([DenseAttr(tensor_from_proto(t, resolve_external)) for t in proto.tensors])
        case AttrKind.SPARSE_TENSOR:
            return ProtoAttr(("SparseTensorProto", proto.sparse_tensor.SerializeToString()))
        case AttrKind.SPARSE_TENSORS:
            return ArrayAttr([ProtoAttr(("SparseTensorProto", t.SerializeToString())) for t in proto.sparse_tensors])
        case AttrKind.TYPE_PROTO:
            return type_from_proto(proto.tp)
        case AttrKind.TYPE_PROTOS:
            return ArrayAttr([type_from_proto(t) for t in proto.type_protos])
    raise ValueError(f"attribute {proto.name!r}: kind {kind.name} is not a property")


def _string_attr(raw: bytes) -> Attribute:
    try:
        return StringAttr(raw.decode("utf-8"))
    except UnicodeDecodeError:
        return BytesAttr(raw)


def infer_kind(attr: Attribute) -> AttrKind:
    """The ONNX kind of a property whose schema is unknown (custom-domain ops)."""
    if isinstance(attr, RefAttr):
        return attr.kind
    if isinstance(attr, IntegerAttr):
        return AttrKind.INT
    if isinstance(attr, FloatAttr):
        return AttrKind.FLOAT
    if isinstance(attr, (StringAttr, BytesAttr)):
        return AttrKind.STRING
    if isinstance(attr, DenseAttr):
        return AttrKind.TENSOR
    if isinstance(attr, ProtoAttr):
        return AttrKind.SPARSE_TENSOR
    if isinstance(attr, DenseArrayBase):
        return AttrKind.FLOATS if isinstance(attr.elt_type, type(f32)) else AttrKind.INTS
    if isinstance(attr, ArrayAttr):
        first = attr.data[0] if attr.data else None
        if isinstance(first, DenseAttr):
            return AttrKind.TENSORS
        if isinstance(first, ProtoAttr):
            return AttrKind.SPARSE_TENSORS
        if first is not None and not isinstance(first, (StringAttr, BytesAttr)):
            return AttrKind.TYPE_PROTOS
        return AttrKind.STRINGS
    return AttrKind.TYPE_PROTO


def attr_to_proto(name: str, attr: Attribute, kind: AttrKind | None = None) -> AttributeProto:
    """The AttributeProto for a property (``kind`` from the schema when there is one)."""
    kind = infer_kind(attr) if kind is None or isinstance(attr, RefAttr) else kind
    proto = AttributeProto(name=name, type=int(kind))
    if isinstance(attr, RefAttr):
        proto.ref_attr_name = attr.ref_name
        return proto
    match kind:
        case AttrKind.FLOAT:
            assert isinstance(attr, FloatAttr)
            proto.f = attr.value.data
        case AttrKind.INT:
            assert isinstance(attr, IntegerAttr)
            proto.i = attr.value.data
        case AttrKind.STRING:
            proto.s = _string_bytes(attr)
        case AttrKind.FLOATS | AttrKind.INTS:
            assert isinstance(attr, DenseArrayBase)
            (proto.floats if kind == AttrKind.FLOATS else proto.ints).extend(attr.iter_values())
        case AttrKind.STRINGS:
            assert isinstance(attr, ArrayAttr)
            proto.strings.extend(_string_bytes(s) for s in attr.data)
        case AttrKind.TENSOR:
            assert isinstance(attr, DenseAttr)
            proto.t.CopyFrom(attr.value.to_proto())
        case AttrKind.TENSORS:
            assert isinstance(attr, ArrayAttr)
            proto.tensors.extend(t.value.to_proto() for t in attr.data)  # type: ignore[attr-defined]
        case AttrKind.SPARSE_TENSOR:
            assert isinstance(attr, ProtoAttr)
            proto.sparse_tensor.ParseFromString(attr.payload)
        case AttrKind.SPARSE_TENSORS:
            assert isinstance(attr, ArrayAttr)
            for item in attr.data:
                proto.sparse_tensors.add().ParseFromString(item.payload)  # type: ignore[attr-defined]
        case AttrKind.TYPE_PROTO:
            proto.tp.CopyFrom(type_to_proto(attr) or TypeProto())
        case AttrKind.TYPE_PROTOS:
            assert isinstance(attr, ArrayAttr)
            proto.type_protos.extend(type_to_proto(t) or TypeProto() for t in attr.data)
        case _:
            raise ValueError(f"attribute {name!r}: cannot write kind {kind.name}")
    return proto


def _string_bytes(attr: Attribute) -> bytes:
    if isinstance(attr, StringAttr):
        return attr.data.encode("utf-8")
    assert isinstance(attr, BytesAttr)
    return attr.data
