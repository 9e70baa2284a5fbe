"""The ``onnx`` dialect: generated operator ops, structural ops, value types and attributes."""

from __future__ import annotations

import functools

from xdsl.ir import Dialect

from onnxforge.dialects.onnx.base import OnnxOp, ProtoAttr, RefAttr
from onnxforge.dialects.onnx.generated import GENERATED_OPS
from onnxforge.dialects.onnx.structure import STRUCTURE_OPS
from onnxforge.ir.tensor import DenseAttr
from onnxforge.ir.types import (
    AnyType,
    MapType,
    NoneType,
    OptionalType,
    SequenceType,
    SparseTensorType,
    TensorType,
)

ONNX = Dialect(
    "onnx",
    [*STRUCTURE_OPS, *GENERATED_OPS],
    [TensorType, SparseTensorType, SequenceType, OptionalType, MapType, AnyType, NoneType, DenseAttr, RefAttr, ProtoAttr],
)


@functools.cache
def _schema_index() -> dict[tuple[str, str, int], type[OnnxOp]]:
    return {
        (op.SIGNATURE.domain, op.SIGNATURE.op_type, version): op
        for op in GENERATED_OPS
        for version in op.SIGNATURE.since_versions
    }


def op_class_for(domain: str, op_type: str, since_version: int) -> type[OnnxOp] | None:
    """The generated class for the schema version a node resolves to, if any."""
    return _schema_index().get((domain, op_type, since_version))
