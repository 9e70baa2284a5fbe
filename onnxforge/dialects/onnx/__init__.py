"""The ``onnx`` dialect: generated operator ops, structural ops, value types and attributes.

Importing it also attaches the dialect's behaviour to the generated classes: the
canonicalization patterns (``canonicalization.py``).
"""

from __future__ import annotations

from xdsl.ir import Dialect

from onnxforge.dialects.onnx import canonicalization  # noqa: F401  (attaches the patterns to the op classes)
from onnxforge.dialects.onnx.base import OnnxOp, ProtoAttr, RefAttr
from onnxforge.dialects.onnx.generated import GENERATED_OPS
from onnxforge.dialects.onnx.ops import op_class_for
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

__all__ = ["ONNX", "OnnxOp", "op_class_for"]
