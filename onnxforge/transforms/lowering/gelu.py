"""Lowering ``nn.gelu``: ``Gelu``, onnxruntime's ``Gelu`` / ``BiasGelu`` / ``FastGelu``, or the decomposition.

- ``standard``: ``Gelu(x, approximate)`` (ONNX opset ≥ 20), after an ``Add`` when a bias is present.
- ``ort``: ``com.microsoft::Gelu(x)`` (erf), ``BiasGelu(x, bias)`` (erf with bias) or
  ``FastGelu(x[, bias])`` (tanh; onnxruntime evaluates ``0.5·x·(1 + tanh(0.7978845608·x +
  0.035677408·x³))``, the same polynomial). The bias must be 1-D over the last dim.
- ``tensorrt``: as ``standard`` (``Gelu`` is in TensorRT's parser matrix); below opset 20 the pattern
  stays decomposed and TensorRT's builder fuses it.
- ``portable``: the expression itself, in the association TorchScript exports use
  (``(x·(1 + erf(x/√2)))·0.5`` — Erf needs opset ≥ 9 — and ``(x·0.5)·(1 + tanh(√(2/π)·(x +
  0.044715·x³)))``), so a GELU that fusion raised from such a subgraph comes back bit-identical.
"""

from __future__ import annotations

import numpy as np
from onnx import TensorProto
from xdsl.ir import Attribute, Operation, SSAValue
from xdsl.pattern_rewriter import PatternRewriter

from onnxforge.dialects.nn import CUBIC, SQRT_2, SQRT_2_OVER_PI, GeluOp
from onnxforge.dialects.onnx.queries import dims_of, elem_of, is_absent
from onnxforge.ir.tensor import np_dtype
from onnxforge.passmanager import fail
from onnxforge.transforms.lowering import tensorrt_support
from onnxforge.transforms.lowering.base import (
    Lowering,
    LoweringTarget,
    constant,
    contrib_op,
    insert_lowered,
    onnx_op,
)

GELU_OPSET = 20
ERF_OPSET = 9
STANDARD_ELEMS = frozenset({TensorProto.FLOAT, TensorProto.FLOAT16, TensorProto.BFLOAT16, TensorProto.DOUBLE})
CONTRIB_ELEMS = frozenset({TensorProto.FLOAT, TensorProto.FLOAT16})
"""What onnxruntime 1.31's Gelu / BiasGelu / FastGelu accept (checked on the CPU provider)."""


def _approximate(op: GeluOp) -> str:
    return op.approximate.data


class GeluLowering(Lowering):
    op = GeluOp

    def check(self, op: GeluOp, target: LoweringTarget) -> None:
        approximate, elem = _approximate(op), elem_of(op.input)
        if approximate not in ("none", "tanh"):
            fail(f"unknown approximate {approximate!r}")
        if elem not in STANDARD_ELEMS:
            fail("the input is not a float tensor of a known type")
        if target.writes_standard_fused_ops() and target.opset < GELU_OPSET:
            fail(f"Gelu needs opset ≥ {GELU_OPSET} ({target.describe()})")
        if target.kind == "tensorrt" and (reason := tensorrt_support.writes("Gelu")) is not None:
            fail(reason)
        if target.kind == "portable" and approximate == "none" and target.opset < ERF_OPSET:
            fail(f"Erf needs opset ≥ {ERF_OPSET} ({target.describe()})")
        if target.kind == "ort":
            if elem not in CONTRIB_ELEMS:
                fail("onnxruntime's Gelu kernels take f32 or f16")
            dims, bias_dims = dims_of(op.input), dims_of(op.bias)
            if approximate == "tanh" and not dims:
                fail("onnxruntime's FastGelu needs an input of known rank ≥ 1 (it rejects 0-d inputs)")
            if not is_absent(op.bias) and (not dims or bias_dims is None or tuple(bias_dims) != (dims[-1],) or dims[-1] is None):
                fail("the bias is not 1-D over the input's last dim")

    def lower(self, op: GeluOp, target: LoweringTarget, rewriter: PatternRewriter) -> None:
        approximate, out = _approximate(op), op.output.type
        if target.kind == "ort":
            operands = [op.input] if is_absent(op.bias) else [op.input, op.bias]
            kind = "FastGelu" if approximate == "tanh" else "Gelu" if is_absent(op.bias) else "BiasGelu"
            node = contrib_op(kind, operands, [out])
            insert_lowered(rewriter, op, [node], [node.results[0]])
            return
        ops: list[Operation] = []
        x = op.input
        if not is_absent(op.bias):
            ops.append(onnx_op("Add", target, [x, op.bias], [out]))
            x = ops[-1].results[0]
        if target.writes_standard_fused_ops():
            ops.append(onnx_op("Gelu", target, [x], [out], approximate=approximate))
        else:
            ops.extend(_decomposition(x, approximate, out, target))
        insert_lowered(rewriter, op, ops, [ops[-1].results[0]])


def _decomposition(x: SSAValue, approximate: str, out: Attribute, target: LoweringTarget) -> list[Operation]:
    """The ops of the erf or tanh expression of ``x``, in order; the last one's result is y."""
    elem = elem_of(x) or TensorProto.FLOAT  # check() required a known float type
    ops: list[Operation] = []

    def add(new: Operation) -> SSAValue:
        ops.append(new)
        return new.results[0]

    def number(value: float) -> SSAValue:
        return add(constant(target, np.array(value, np_dtype(elem)), elem))

    def op(op_type: str, *operands: SSAValue) -> SSAValue:
        return add(onnx_op(op_type, target, list(operands), [out]))

    if approximate == "none":
        s = op("Add", op("Erf", op("Div", x, number(SQRT_2))), number(1.0))
        op("Mul", op("Mul", x, s), number(0.5))
        return ops
    half = op("Mul", x, number(0.5))
    inner = op("Add", x, op("Mul", op("Pow", x, number(3.0)), number(CUBIC)))
    op("Mul", half, op("Add", op("Tanh", op("Mul", inner, number(SQRT_2_OVER_PI))), number(1.0)))
    return ops
