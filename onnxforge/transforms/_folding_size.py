"""How many bytes a fold's results will take, known before the op is evaluated.

``onnx-fold-constants`` keeps a result only if it is small (its size rule), but
evaluating first and measuring after lets a 142-byte model allocate gigabytes
(``Pad`` by 3·10⁷, ``OneHot`` with depth 10⁵, ``Add`` of a column and a row,
``MatMul`` of an expanded matrix). So every fold is sized first:

- the numpy fast paths (shape arithmetic, data movement) have one-line
  output-shape rules here, read from input shapes and, where the size depends on
  them, the constant input values (``ConstantOfShape``'s shape, ``Gather``'s
  indices);
- every other op is sized by onnx shape inference on its one-node model, in
  which the small inputs (``SMALL_INPUT`` elements or fewer: pads, repeats,
  depths, Range bounds, shapes) are initializers so that data propagation
  reads them. A result whose dims stay unknown is sized only for the ops whose
  output is bounded by their input (``NonZero``, ``Unique``, ``Compress``);
  otherwise it is not folded ("result size unknown").

Identity relied on: onnx shape inference on constant inputs gives the exact
static shape the evaluator will produce (the evaluator's result is checked
against it afterwards anyway). An estimate that cannot be made is ``None``,
never a guess.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import onnx
from onnx import helper

from onnxforge.dialects.onnx.base import OnnxOp
from onnxforge.ir.types import TensorType
from onnxforge.transforms._folding_args import slice_view

Arrays = list[np.ndarray | None]

SMALL_INPUT = 64
"""Inputs of at most this many elements are initializers in the one-node model shape inference sees."""

_BOUNDED_BY_INPUT = frozenset({"NonZero", "Unique", "Compress"})
"""Ops whose data-dependent results hold at most (input elements × max(rank, 1)) elements each."""


def _itemsize(op: OnnxOp, index: int, fallback: np.ndarray | None) -> int:
    declared = op.results[index].type
    if isinstance(declared, TensorType) and declared.elem not in (0, onnx.TensorProto.STRING):
        try:
            return int(np.dtype(helper.tensor_dtype_to_np_dtype(declared.elem)).itemsize)
        except (KeyError, TypeError, ValueError):
            pass
    return 8 if fallback is None else fallback.itemsize


def _ints(value: np.ndarray) -> list[int]:
    return [int(d) for d in value.reshape(-1)]


def _elements(shape: list[int] | tuple[int, ...]) -> int | None:
    if any(d < 0 for d in shape):
        return None
    return math.prod(shape)


# --- fast-path ops: output element counts ----------------------------------------------------


def _same_size(op: OnnxOp, inputs: Arrays) -> int | None:
    return None if inputs[0] is None else inputs[0].size


def _slice(op: OnnxOp, inputs: Arrays) -> int | None:
    view = slice_view(op, inputs)
    return None if view is None else view.size


def _concat(op: OnnxOp, inputs: Arrays) -> int | None:
    return sum(x.size for x in inputs if x is not None)


def _gather(op: OnnxOp, inputs: Arrays) -> int | None:
    data, indices = inputs[0], inputs[1]
    if data is None or indices is None or data.ndim == 0:
        return None
    prop = op.properties.get("axis")
    axis = 0 if prop is None else int(prop.value.data)  # type: ignore[attr-defined]
    rest = data.shape[:axis % data.ndim] + data.shape[axis % data.ndim + 1:]
    return indices.size * math.prod(rest)


def _shape(op: OnnxOp, inputs: Arrays) -> int | None:
    return None if inputs[0] is None else inputs[0].ndim


def _constant_of_shape(op: OnnxOp, inputs: Arrays) -> int | None:
    return None if inputs[0] is None else _elements(_ints(inputs[0]))


def _broadcast(op: OnnxOp, inputs: Arrays) -> int | None:
    shapes = [x.shape for x in inputs if x is not None]
    try:
        return math.prod(np.broadcast_shapes(*shapes))
    except ValueError:
        return None


_FAST_ELEMENTS: dict[str, Callable[[OnnxOp, Arrays], int | None]] = {
    "Unsqueeze": _same_size,
    "Squeeze": _same_size,
    "Reshape": _same_size,
    "Transpose": _same_size,
    "Slice": _slice,
    "Cast": _same_size,
    "Concat": _concat,
    "Gather": _gather,
    "Shape": _shape,
    "ConstantOfShape": _constant_of_shape,
    "Add": _broadcast,
    "Sub": _broadcast,
    "Mul": _broadcast,
    "Div": _broadcast,
    "Mod": _broadcast,
}


def fast_path_bytes(op: OnnxOp, inputs: Arrays) -> int | None:
    """Bytes of the single result of an op the numpy fast paths evaluate; None if not sizable here."""
    rule = _FAST_ELEMENTS.get(op.SIGNATURE.op_type)
    if rule is None or len(op.results) != 1:
        return None
    elements = rule(op, inputs)
    if elements is None:
        return None
    return elements * _itemsize(op, 0, inputs[0] if inputs else None)


# --- every other op: onnx shape inference ----------------------------------------------------


def inferred_bytes(op_type: str, outputs: list[onnx.TypeProto | None], inputs: Arrays) -> int | None:
    """Total bytes of the results whose inferred types are ``outputs`` (None: an absent result),
    or None when a result's size is unknown and the op's output is not bounded by its input."""
    total = 0
    largest = max((x.size * max(x.ndim, 1) for x in inputs if x is not None), default=0)
    for proto in outputs:
        if proto is None:
            continue
        tensor = proto.tensor_type
        if not tensor.elem_type or tensor.elem_type == onnx.TensorProto.STRING:
            return None
        itemsize = np.dtype(helper.tensor_dtype_to_np_dtype(tensor.elem_type)).itemsize
        if not tensor.HasField("shape"):
            return None
        dims = [d.dim_value if d.HasField("dim_value") else -1 for d in tensor.shape.dim]
        elements = _elements(dims)
        if elements is None:
            if op_type not in _BOUNDED_BY_INPUT:
                return None
            elements = largest
        total += elements * itemsize
    return total
