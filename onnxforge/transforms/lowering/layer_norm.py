"""Lowering ``nn.layer_norm``: ``LayerNormalization``, or its decomposition under ``portable``.

- ``standard``: ``LayerNormalization`` (ONNX opset ≥ 17; below, the op does not exist and the
  fusion does not fire).
- ``ort``: ``LayerNormalization`` in the default domain at *any* opset: onnxruntime registers its
  kernel for the ONNX domain from version 1 (it predates the standard op, and onnxruntime's own
  transformers optimizer writes it into opset-11/14 models); checked with onnxruntime 1.31 on
  opset-11/14 models, with graph optimizations on and off. Such a model is onnxruntime-specific,
  as every ``--target=ort`` output is.
- ``tensorrt``: as ``standard`` (TensorRT's parser reads LayerNormalization, and NVIDIA recommends it
  over the decomposition for fp16 accuracy: ``tensorrt_support``); below opset 17 the pattern stays
  decomposed and TensorRT's builder matches it.
- ``portable``: ONNX's own function body of LayerNormalization, in the ops of the model's opset
  (ReduceMean with an ``axes`` attribute below opset 18, an ``axes`` input from 18)::

      d = x - ReduceMean(x);  y = d / Sqrt(ReduceMean(d·d) + ε) · scale + bias

  Half-precision inputs get LayerNormalization's ``stash_type = 1`` treatment: cast to f32 for
  the statistics, the normalised value cast back before the scale. A scale of ones (a folded
  γ = 1) and an absent bias cost no op. This is accuracy class 2
  when it replaces a ``LayerNormalization`` the input model had (the summation order differs
  from onnxruntime's fused kernel, which computes the variance as E[x²] − E[x]²); for a
  LayerNorm that fusion raised from this very decomposition it gives the original ops back.
"""

from __future__ import annotations

import numpy as np
from onnx import TensorProto
from xdsl.ir import Attribute, Operation, SSAValue
from xdsl.pattern_rewriter import PatternRewriter

from onnxforge.dialects.nn import HALF_ELEMS, LayerNormOp
from onnxforge.dialects.onnx.generated import LayerNormalizationOp
from onnxforge.dialects.onnx.queries import constant_of, dims_of, elem_of, is_absent
from onnxforge.ir.tensor import np_dtype
from onnxforge.ir.types import ANY, NONE, tensor_type
from onnxforge.passmanager import fail
from onnxforge.transforms.lowering import tensorrt_support
from onnxforge.transforms.lowering.base import (
    Lowering,
    LoweringTarget,
    attribute,
    constant,
    insert_lowered,
    onnx_op,
)

LAYER_NORMALIZATION_OPSET = 17
REDUCE_AXES_INPUT_OPSET = 18
"""From this opset ReduceMean takes its axes as an input instead of an attribute."""


def _axis(op: LayerNormOp) -> int:
    return op.axis.value.data


def _normalised_axes(op: LayerNormOp) -> list[int] | None:
    """The reduced axes of the decomposition (negative: they need no rank), or None for a positive
    axis of a tensor whose rank is unknown."""
    axis, dims = _axis(op), dims_of(op.input)
    if axis < 0:
        return list(range(axis, 0))
    return None if dims is None else [a - len(dims) for a in range(axis, len(dims))]


class LayerNormLowering(Lowering):
    op = LayerNormOp

    def check(self, op: LayerNormOp, target: LoweringTarget) -> None:
        if target.writes_standard_fused_ops() and target.opset < LAYER_NORMALIZATION_OPSET:
            fail(f"LayerNormalization needs opset ≥ {LAYER_NORMALIZATION_OPSET} ({target.describe()})")
        if target.kind == "tensorrt" and (reason := tensorrt_support.writes("LayerNormalization")) is not None:
            fail(reason)
        if target.kind == "portable" and (_normalised_axes(op) is None or elem_of(op.input) is None):
            fail("the decomposition needs the input's element type and, for a positive axis, its rank")

    def lower(self, op: LayerNormOp, target: LoweringTarget, rewriter: PatternRewriter) -> None:
        if target.kind == "portable":
            ops = _decomposition(op, target)
            insert_lowered(rewriter, op, ops, [ops[-1].results[0]])
            return
        node = LayerNormalizationOp.create(
            operands=[op.input, op.scale, op.bias],
            result_types=[op.output.type, NONE, NONE],
            properties={"axis": attribute(_axis(op)), "epsilon": op.epsilon},
        )
        insert_lowered(rewriter, op, [node], [node.results[0]])


def _decomposition(op: LayerNormOp, target: LoweringTarget) -> list[Operation]:
    """The ops of ``(x - mean) / sqrt(var + ε) · scale + bias``, in order; the last one's result is y.

    Half-precision inputs are cast to f32 for the statistics and the normalised value cast back
    before the scale, as ``LayerNormalization``'s ``stash_type = 1`` does."""
    x, ops = op.input, []
    out = elem_of(x)
    axes = _normalised_axes(op)
    if out is None or axes is None:
        raise ValueError("nn.layer_norm: the decomposition needs the element type and the rank (check() said so)")
    dims = dims_of(x)
    elem = TensorProto.FLOAT if out in HALF_ELEMS else out
    full: Attribute = ANY if dims is None else tensor_type(elem, tuple(dims))
    reduced: Attribute = ANY if dims is None else tensor_type(elem, tuple(dims[: len(dims) + axes[0]]) + (1,) * len(axes))

    def add(new: Operation) -> SSAValue:
        ops.append(new)
        return new.results[0]

    if elem != out:
        x = add(onnx_op("Cast", target, [x], [full], to=elem))

    def mean(value: SSAValue) -> SSAValue:
        if target.opset < REDUCE_AXES_INPUT_OPSET:
            return add(onnx_op("ReduceMean", target, [value], [reduced], axes=axes))
        return add(onnx_op("ReduceMean", target, [value, add(constant(target, np.array(axes, np.int64)))], [reduced]))

    d = add(onnx_op("Sub", target, [x, mean(x)], [full]))
    var = mean(add(onnx_op("Mul", target, [d, d], [full])))
    epsilon = add(constant(target, np.array(op.epsilon.value.data, np_dtype(elem)), elem))
    std = add(onnx_op("Sqrt", target, [add(onnx_op("Add", target, [var, epsilon], [reduced]))], [reduced]))
    y = add(onnx_op("Div", target, [d, std], [full]))
    if elem != out:
        y = add(onnx_op("Cast", target, [y], [op.output.type], to=out))
    if not _all_ones(op.scale):
        y = add(onnx_op("Mul", target, [y, op.scale], [op.output.type]))
    if not is_absent(op.bias):
        add(onnx_op("Add", target, [y, op.bias], [op.output.type]))
    return ops


def _all_ones(value: SSAValue) -> bool:
    tensor = constant_of(value)
    return tensor is not None and tensor.strings is None and bool(np.all(tensor.numpy() == 1))
