"""What passes, lowerings, the cost model and the instruments read off onnx IR: the dialect's query API.

Constants, element types, dims, attributes, the one domain-qualified op type
every registry keys on, and the operands whose form changed between opsets
(axes, pads, slice bounds, split sizes, Clip bounds, Dropout's mode) read the
same way for every opset form of an op family, so no caller lists versioned
classes.

Everything here answers "don't know" (``None``) rather than guess: an unknown
is always safe and a wrong answer is a miscompile. Constants are read as
zero-copy NumPy views, and only small ones (shape vectors, perms, pads) are
turned into Python numbers. A value may also be a ``Pending`` result of an op
not built yet: only its ``type`` and ``owner`` are read.
"""

from __future__ import annotations

import numpy as np
from xdsl.dialects.builtin import DenseArrayBase, FloatAttr, IntegerAttr, StringAttr
from xdsl.ir import Operation, SSAValue

from onnxforge.dialects.nn import FLOAT32_MAX
from onnxforge.dialects.onnx.base import OnnxOp
from onnxforge.dialects.onnx.generated import (
    ClipFamily,
    ConstantFamily,
    DropoutFamily,
    IfOp,
    PadFamily,
    ReduceMeanFamily,
    ReshapeFamily,
    SliceFamily,
    SplitFamily,
    SqueezeFamily,
    UnsqueezeFamily,
)
from onnxforge.dialects.onnx.structure import GraphOp, InitializerOp, ModelOp, NoValueOp, ReturnOp
from onnxforge.ir.tensor import DenseAttr, TensorValue
from onnxforge.ir.types import Dim, NoneType, TensorType

SMALL = 4096
"""Constants with at most this many elements may be read as Python numbers."""


# --- what an op is --------------------------------------------------------------------------------


def op_type(op: Operation) -> str:
    """The domain-qualified op type every per-op registry is keyed by: ``MatMul`` in the default domain,
    ``com.microsoft.FusedConv`` / ``ai.onnx.ml.LabelEncoder`` elsewhere, ``nn.gelu`` for fused ops, the IR
    name for structure ops. The same for every opset form of an op."""
    return getattr(op, "onnx_type", op.name)


def since(op: Operation) -> int:
    """The first opset version of the op's signature (0 for ops that are not generated ONNX ops)."""
    return op.SIGNATURE.since_versions[0] if isinstance(op, OnnxOp) else 0


def is_constant_op(op: Operation) -> bool:
    """An initializer or an ``onnx.Constant`` (any opset form)."""
    return isinstance(op, (InitializerOp, ConstantFamily))


# --- values ---------------------------------------------------------------------------------------


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
    if not isinstance(op, ConstantFamily):
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


def scalar(value: SSAValue) -> float | None:
    """The value of a one-element numeric constant (any rank), else None."""
    array = small_constant(value, limit=1)
    if array is None or array.size != 1 or array.dtype.kind not in "fiu":
        return None
    return float(array.reshape(-1)[0])


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


# --- attributes -----------------------------------------------------------------------------------


def int_prop(op: Operation, name: str, default: int | None = None) -> int | None:
    """An INT attribute; the default when absent; None when it is not a plain integer (a ref)."""
    attr = op.properties.get(name)
    if attr is None:
        return default
    return attr.value.data if isinstance(attr, IntegerAttr) else None


def float_prop(op: Operation, name: str, default: float | None = None) -> float | None:
    """A FLOAT attribute; the default when absent; None when it is not a plain float (a ref)."""
    attr = op.properties.get(name)
    if attr is None:
        return default
    return attr.value.data if isinstance(attr, FloatAttr) else None


def ints_prop(op: Operation, name: str) -> tuple[int, ...] | None:
    """An INTS attribute, or None when absent or not a plain list (a ref)."""
    attr = op.properties.get(name)
    if not isinstance(attr, DenseArrayBase):
        return None
    return tuple(int(v) for v in attr.iter_values())


def str_prop(op: Operation, name: str, default: str | None = None) -> str | None:
    """A STRING attribute; the default when absent; None when it is not a plain string (a ref)."""
    attr = op.properties.get(name)
    if attr is None:
        return default
    return attr.data if isinstance(attr, StringAttr) else None


def has_prop(op: Operation, name: str) -> bool:
    return op.properties.get(name) is not None


# --- operands whose form changed between opsets -----------------------------------------------


def _ints_operand_or_attr(op: Operation, index: int, attribute: str) -> tuple[int, ...] | None:
    """An INTS attribute of the older forms, or the constant operand ``index`` of the newer: ``()`` when neither
    is given, None when the operand is not a constant (or the attribute a reference)."""
    if has_prop(op, attribute):
        return ints_prop(op, attribute)
    if index < len(op.operands) and not is_absent(op.operands[index]):
        found = int_constant(op.operands[index])
        return None if found is None else tuple(found)
    return ()


def axes_of(op: SqueezeFamily | UnsqueezeFamily | ReduceMeanFamily) -> tuple[int, ...] | None:
    """The ``axes`` of Squeeze, Unsqueeze or ReduceMean (attribute or input form); ``()`` when none are given."""
    return _ints_operand_or_attr(op, 1, "axes")


def cast_to(op: Operation) -> int | None:
    """The ``to`` of a plain Cast (None for a saturating or rounding variant, or Cast-1's type name)."""
    if int_prop(op, "saturate", 1) != 1 or op.properties.get("round_mode") is not None:
        return None
    return int_prop(op, "to")


def reshape_shape(op: ReshapeFamily) -> tuple[int, ...] | None:
    """A Reshape's constant target (the ``shape`` attribute of Reshape-1, else the shape input)."""
    if has_prop(op, "shape"):
        return ints_prop(op, "shape")
    if len(op.operands) < 2:
        return None
    found = int_constant(op.operands[1])
    return None if found is None else tuple(found)


def pads_of(op: PadFamily) -> tuple[int, ...] | None:
    """A Pad's constant ``pads`` (``paddings`` of Pad-1, the attribute of Pad-2, the input from 11)."""
    if has_prop(op, "paddings"):
        return ints_prop(op, "paddings")
    return _ints_operand_or_attr(op, 1, "pads") or None


def slice_params(op: SliceFamily) -> tuple[list[int], list[int], list[int] | None, list[int] | None] | None:
    """(starts, ends, axes, steps) of a Slice with constant bounds (axes/steps None when absent)."""
    if since(op) < 10:
        starts, ends, axes = ints_prop(op, "starts"), ints_prop(op, "ends"), ints_prop(op, "axes")
        if starts is None or ends is None or (has_prop(op, "axes") and axes is None):
            return None
        return list(starts), list(ends), None if axes is None else list(axes), None
    starts, ends = int_constant(op.operands[1]), int_constant(op.operands[2])
    optional = []
    for value in op.operands[3:5]:
        if is_absent(value):
            optional.append(None)
        elif (found := int_constant(value)) is None:
            return None
        else:
            optional.append(found)
    optional += [None] * (2 - len(optional))
    if starts is None or ends is None:
        return None
    return starts, ends, optional[0], optional[1]


def split_is_whole(op: SplitFamily) -> bool:
    """A Split into one output with no sizes given (one part: the whole input)."""
    if len(op.results) != 1 or has_prop(op, "split") or int_prop(op, "num_outputs", 1) != 1:
        return False
    return len(op.operands) < 2 or is_absent(op.operands[1])


def clip_bounds(op: ClipFamily) -> tuple[float, float, bool] | None:
    """(min, max, f64) of a Clip whose bounds are attributes (opset 6) or absent / constant scalar inputs (11+);
    an absent bound is ∓FLT_MAX as ONNX defines it. None for other bounds (and for Clip-1)."""
    if since(op) == 1:
        return None
    if since(op) < 11:
        low, high = float_prop(op, "min", -FLOAT32_MAX), float_prop(op, "max", FLOAT32_MAX)
        return None if low is None or high is None else (low, high, False)
    bounds, wide = [], False
    for value, unbounded in ((op.operands[1], -FLOAT32_MAX), (op.operands[2], FLOAT32_MAX)):
        if is_absent(value):
            bounds.append(unbounded)
            continue
        array = small_constant(value, limit=1)
        if array is None or array.size != 1 or array.dtype.kind != "f":
            return None
        bounds.append(float(array.reshape(-1)[0]))
        wide |= array.dtype == np.float64
    return bounds[0], bounds[1], wide


def dropout_is_inference(op: DropoutFamily) -> bool:
    """A Dropout that provably copies its input: no training, so no random draw."""
    version = since(op)
    if version < 7:
        return int_prop(op, "is_test", 0) == 1
    if version < 12:
        return True  # opsets 7-11 have no training mode: Dropout is a copy at inference
    mode = op.operands[2]
    if is_absent(mode):
        return True
    flags = small_constant(mode)
    return flags is not None and flags.dtype == np.bool_ and not flags.any()


# --- where a value sits ---------------------------------------------------------------------------


def returned_by_subgraph(value: SSAValue) -> bool:
    """Whether a value is an output of an If/Loop/Scan body.

    Passes leave such values as they are: runtimes check branch outputs
    statically (onnxruntime rejects a Range fed by an If whose then-branch now
    visibly returns a [1]-shaped constant, though that branch never runs),
    and a constant there buys nothing.
    """
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


def in_graph(op: Operation) -> bool:
    """Whether ``op`` sits in a graph (main or subgraph), which may hold initializers; a function body may not."""
    return isinstance(op.parent_op(), GraphOp)
