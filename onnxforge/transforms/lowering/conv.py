"""Lowering ``nn.conv``: ``Conv`` followed by its activation, on every target.

``nn.conv`` carries the ONNX Conv attributes unchanged (``conv_attrs``), so the
Conv it lowers to is the one that was matched, with the folded BatchNorm
weights. The activation is written in the target opset's form (Clip's bounds
as inputs from opset 11, as attributes before; x·Sigmoid(x) as Sigmoid + Mul,
which every opset has).

Not ``com.microsoft::FusedConv`` under ``ort``, though onnxruntime 1.31's CPU
kernel takes Relu, Tanh, Sigmoid, LeakyRelu, Clip, HardSigmoid and HardSwish:
measured on this 2-core CPU (``benchmarks/fusion_peers.py``, 2026-11-22), a
pre-fused FusedConv made MobileNetV2 1.55× *slower* (12.45 ms against 8.03 ms)
because onnxruntime's session-time NCHWc layout transformer and Pad fusion only
rewrite plain ``Conv``; given Conv + activation it fuses them itself into its
NCHWc kernels. The fold (BatchNorm) and the explicit activation are what this
op contributes; the runtime picks the kernel.

``tensorrt`` gets the same ops: its parser reads Conv and every activation here
(``tensorrt_support``; no ``FusedConv``, which is a contrib op), and its builder
fuses Conv + activation itself.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from xdsl.dialects.builtin import ArrayAttr
from xdsl.ir import Attribute, Operation, SSAValue
from xdsl.pattern_rewriter import PatternRewriter

from onnxforge.dialects.nn import FLOAT32_MAX, ConvOp
from onnxforge.ir.tensor import np_dtype
from onnxforge.passmanager import fail
from onnxforge.transforms.lowering import tensorrt_support
from onnxforge.transforms.lowering.base import (
    Lowering,
    LoweringTarget,
    constant,
    insert_lowered,
    no_value,
    onnx_op,
)

ACTIVATION_OPSET: dict[str, int] = {
    "": 1,
    "Relu": 6,
    "Tanh": 6,
    "Sigmoid": 6,
    "LeakyRelu": 6,
    "HardSigmoid": 6,
    "Clip": 6,
    "HardSwish": 14,
    "Swish": 6,
}
"""The activations ``nn.conv`` may carry → the first opset with their current standard form."""

WRITTEN: dict[str, tuple[str, ...]] = {"": (), "Swish": ("Sigmoid", "Mul")}
"""The ops an activation is written as, where they are not the activation's own op."""


def activation_params(op: ConvOp) -> list[float]:
    """The activation's parameters as Python floats (``[]`` when there are none)."""
    params = op.activation_params
    return [p.value.data for p in params.data] if isinstance(params, ArrayAttr) else []  # type: ignore[attr-defined]


Emit = Callable[[ConvOp, LoweringTarget, SSAValue, list[Operation], PatternRewriter], SSAValue]


def _unary(op_type: str, *names: str) -> Emit:
    """An activation that is one op with float attributes named after ``activation_params``."""

    def emit(op: ConvOp, target: LoweringTarget, y: SSAValue, ops: list[Operation], rewriter: PatternRewriter) -> SSAValue:
        attrs = dict(zip(names, activation_params(op), strict=True))
        ops.append(onnx_op(op_type, target, [y], [op.output.type], **attrs))
        return ops[-1].results[0]

    return emit


def _clip(op: ConvOp, target: LoweringTarget, y: SSAValue, ops: list[Operation], rewriter: PatternRewriter) -> SSAValue:
    """Clip(y, min, max): bounds as inputs (opset ≥ 11, absent when unbounded) or attributes (before)."""
    low, high = activation_params(op)
    if target.opset < 11:
        ops.append(onnx_op("Clip", target, [y], [op.output.type], min=low, max=high))
        return ops[-1].results[0]
    elem = op.output.type.elem  # type: ignore[attr-defined]
    bounds: list[SSAValue] = []
    for bound, unbounded in ((low, -FLOAT32_MAX), (high, FLOAT32_MAX)):
        if bound == unbounded:
            bounds.append(no_value(rewriter, op))
            continue
        ops.append(constant(target, np.array(bound, dtype=np_dtype(elem)), elem))
        bounds.append(ops[-1].results[0])
    ops.append(onnx_op("Clip", target, [y, *bounds], [op.output.type]))
    return ops[-1].results[0]


def _swish(op: ConvOp, target: LoweringTarget, y: SSAValue, ops: list[Operation], rewriter: PatternRewriter) -> SSAValue:
    """y · Sigmoid(y)."""
    ops.append(onnx_op("Sigmoid", target, [y], [op.output.type]))
    ops.append(onnx_op("Mul", target, [y, ops[-1].results[0]], [op.output.type]))
    return ops[-1].results[0]


EMITTERS: dict[str, Emit] = {
    "Relu": _unary("Relu"),
    "Tanh": _unary("Tanh"),
    "Sigmoid": _unary("Sigmoid"),
    "LeakyRelu": _unary("LeakyRelu", "alpha"),
    "HardSigmoid": _unary("HardSigmoid", "alpha", "beta"),
    "HardSwish": _unary("HardSwish"),
    "Clip": _clip,
    "Swish": _swish,
}


class ConvLowering(Lowering):
    """nn.conv → Conv + activation."""

    op = ConvOp

    def check(self, op: ConvOp, target: LoweringTarget) -> None:
        activation = op.activation.data
        if activation not in ACTIVATION_OPSET:
            fail(f"unknown activation {activation!r}")
        if target.opset < ACTIVATION_OPSET[activation]:
            fail(f"{activation} needs opset {ACTIVATION_OPSET[activation]} (target opset {target.opset})")
        if target.kind == "tensorrt":
            for op_type in ("Conv", *WRITTEN.get(activation, (activation,))):
                if (reason := tensorrt_support.writes(op_type)) is not None:
                    fail(reason)

    def lower(self, op: ConvOp, target: LoweringTarget, rewriter: PatternRewriter) -> None:
        conv_attrs: dict[str, Attribute] = dict(op.conv_attrs.data)
        activation = op.activation.data
        operands = [op.input, op.weight, op.bias]
        ops: list[Operation] = [onnx_op("Conv", target, operands, [op.output.type], **conv_attrs)]
        result = ops[0].results[0]
        if activation:
            result = EMITTERS[activation](op, target, result, ops, rewriter)
        insert_lowered(rewriter, op, ops, [result])
