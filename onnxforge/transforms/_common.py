"""Static facts the cleanup passes read off the IR: constants, element types, dims, attributes.

Everything here answers "don't know" (``None``) rather than guess: the passes
that use it are lossless, so an unknown is always safe and a wrong answer is a
miscompile. Constants are read as zero-copy NumPy views, and only small ones
(shape vectors, perms, pads) are turned into Python numbers.
"""

from __future__ import annotations

import numpy as np
from xdsl.dialects.builtin import DenseArrayBase, FloatAttr, IntegerAttr
from xdsl.ir import Operation, SSAValue

from onnxforge.dialects.onnx.generated import (
    ConstantOp,
    ConstantV1Op,
    ConstantV11Op,
    DropoutOp,
    DropoutV1Op,
    DropoutV6Op,
    DropoutV7Op,
)
from onnxforge.dialects.onnx.structure import GraphOp, InitializerOp, NoValueOp
from onnxforge.ir.tensor import DenseAttr, TensorValue
from onnxforge.ir.types import Dim, NoneType, TensorType

SMALL = 4096
"""Constants with at most this many elements may be read as Python numbers."""

CONSTANT_OPS = (ConstantOp, ConstantV11Op, ConstantV1Op)


def is_absent(value: SSAValue) -> bool:
    """An omitted optional input (``onnx.novalue``)."""
    return isinstance(value.owner, NoValueOp) or isinstance(value.type, NoneType)


def constant_of(value: SSAValue) -> TensorValue | None:
    """The tensor a value is bound to, if it comes from an initializer or an ``onnx.Constant``.

    An initializer that is the default of a graph input is not a constant (the
    caller may feed that input).
    """
    op = value.owner
    if isinstance(op, InitializerOp):
        if op.is_input_default():
            return None
        attr = op.value
        return attr.value if isinstance(attr, DenseAttr) and not attr.value.is_elided else None
    if not isinstance(op, CONSTANT_OPS):
        return None
    props = op.properties
    attr = props.get("value")
    if isinstance(attr, DenseAttr):
        return None if attr.value.is_elided else attr.value
    if isinstance(attr := props.get("value_int"), IntegerAttr):
        return TensorValue.from_numpy(np.array(attr.value.data, dtype=np.int64))
    if isinstance(attr := props.get("value_ints"), DenseArrayBase):
        return TensorValue.from_numpy(np.fromiter(attr.iter_values(), dtype=np.int64))
    if isinstance(attr := props.get("value_float"), FloatAttr):
        return TensorValue.from_numpy(np.array(attr.value.data, dtype=np.float32))
    if isinstance(attr := props.get("value_floats"), DenseArrayBase):
        return TensorValue.from_numpy(np.fromiter(attr.iter_values(), dtype=np.float32))
    return None


def small_constant(value: SSAValue, limit: int = SMALL) -> np.ndarray | None:
    """A small constant's values (shape vectors, axes, pads), or None."""
    tensor = constant_of(value)
    if tensor is None or tensor.strings is not None or tensor.size > limit:
        return None
    return tensor.numpy()


def int_constant(value: SSAValue) -> list[int] | None:
    """A small integer constant's values, flattened."""
    array = small_constant(value)
    if array is None or array.dtype.kind not in "iu":
        return None
    return [int(v) for v in array.reshape(-1)]


def elem_of(value: SSAValue) -> int | None:
    """The element type code of a tensor value, when its type or its constant says so."""
    if isinstance(value.type, TensorType) and value.type.elem:
        return value.type.elem
    tensor = constant_of(value)
    return tensor.elem if tensor is not None else None


def dims_of(value: SSAValue) -> tuple[Dim, ...] | None:
    """The dims of a tensor value (ints, symbols or None), when its type or its constant says so."""
    tensor = constant_of(value)
    if tensor is not None:
        return tensor.dims
    if isinstance(value.type, TensorType):
        return value.type.dims
    return None


def static_dims(value: SSAValue) -> tuple[int, ...] | None:
    dims = dims_of(value)
    if dims is None or not all(isinstance(d, int) for d in dims):
        return None
    return dims  # type: ignore[return-value]


def int_prop(op: Operation, name: str, default: int | None = None) -> int | None:
    """An INT attribute; the default when absent; None when it is not a plain integer (a ref)."""
    attr = op.properties.get(name)
    if attr is None:
        return default
    return attr.value.data if isinstance(attr, IntegerAttr) else None


def ints_prop(op: Operation, name: str) -> tuple[int, ...] | None:
    """An INTS attribute, or None when absent or not a plain list (a ref)."""
    attr = op.properties.get(name)
    if not isinstance(attr, DenseArrayBase):
        return None
    return tuple(int(v) for v in attr.iter_values())


def has_prop(op: Operation, name: str) -> bool:
    return op.properties.get(name) is not None


def dropout_is_inference(op: Operation) -> bool:
    """A Dropout that provably copies its input: no training, so no random draw."""
    if isinstance(op, DropoutOp):
        mode = op.training_mode
        if is_absent(mode):
            return True
        flags = small_constant(mode)
        return flags is not None and flags.dtype == np.bool_ and not flags.any()
    if isinstance(op, DropoutV7Op):
        return True  # opsets 7-11 have no training mode: Dropout is a copy at inference
    if isinstance(op, (DropoutV1Op, DropoutV6Op)):
        return int_prop(op, "is_test", 0) == 1
    return False



def returned_by_subgraph(value: SSAValue) -> bool:
    """Whether a value is an output of an If/Loop/Scan body.

    Passes leave such values as they are: runtimes check branch outputs
    statically (onnxruntime rejects a Range fed by an If whose then-branch now
    visibly returns a [1]-shaped constant, though that branch never runs),
    and a constant there buys nothing.
    """
    from onnxforge.dialects.onnx.structure import ModelOp, ReturnOp

    for use in value.uses:
        if isinstance(use.operation, ReturnOp):
            graph = use.operation.parent_op()
            if isinstance(graph, GraphOp) and not isinstance(graph.parent_op(), ModelOp):
                return True
    return False


def if_condition_slice(root: Operation) -> set[SSAValue]:
    """Every value an If condition is computed from.

    Folding those into constants lets a runtime inline the branch at load time
    and re-check it statically, which the ONNX node suite's AffineGrid
    expansion (a [1]-shaped "scalar" fed to Range) does not survive on
    onnxruntime, though it runs as given. So they stay as computed.
    """
    from onnxforge.dialects.onnx.generated import IfOp

    seen: set[SSAValue] = set()
    stack = [op.operands[0] for op in root.walk() if isinstance(op, IfOp)]
    while stack:
        value = stack.pop()
        if value in seen:
            continue
        seen.add(value)
        if isinstance(value.owner, Operation):
            stack.extend(value.owner.operands)
    return seen
