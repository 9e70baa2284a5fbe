"""Lowering ``nn.skip_layer_norm``: onnxruntime's ``com.microsoft::SkipLayerNormalization``, under ``ort`` only.

``SkipLayerNormalization(input, skip, gamma, beta, bias)`` has outputs ``(output, mean,
inv_std_var, input_skip_bias_sum)``: the sum is output 3 (written only when something reads
it). onnxruntime 1.31 enforces (checked by running it): input and skip 2-D or 3-D with the same
last two dims, skip either of the input's shape or, for a 3-D input, ``[S, H]`` / ``[1, S, H]``;
gamma, beta and bias 1-D of the hidden size; ``epsilon ≥ 0``. Its CPU kernel computes the
variance as E[x²] − E[x]² in the input type, as its LayerNormalization kernel does.

``standard``, ``portable`` and ``tensorrt`` have no single op for it, so the fusion does not fire there (an
Add before a ``LayerNormalization`` is what they already have).
"""

from __future__ import annotations

from onnx import TensorProto
from xdsl.pattern_rewriter import PatternRewriter

from onnxforge.dialects.nn import SkipLayerNormOp
from onnxforge.dialects.onnx.queries import dims_of, elem_of, is_absent
from onnxforge.ir.types import NONE
from onnxforge.passmanager import fail
from onnxforge.transforms.lowering.base import Lowering, LoweringTarget, contrib_op, insert_lowered

ELEMS = frozenset({TensorProto.FLOAT, TensorProto.FLOAT16, TensorProto.DOUBLE})
"""The types onnxruntime's SkipLayerNormalization kernels take."""


class SkipLayerNormLowering(Lowering):
    op = SkipLayerNormOp

    def check(self, op: SkipLayerNormOp, target: LoweringTarget) -> None:
        if target.kind != "ort":
            fail(f"no single op for Add + LayerNorm on {target.describe()} (SkipLayerNormalization is onnxruntime's: --target=ort)")
        dims, skip, total = dims_of(op.input), dims_of(op.skip), dims_of(op.sum)
        if dims is None or len(dims) not in (2, 3):
            fail("SkipLayerNormalization takes a 2-D or 3-D input")
        dims = tuple(dims)
        if None in dims or total is None or tuple(total) != dims:
            fail("the input's shape is not known to be the sum's")
        allowed = {dims, dims[1:], (1, *dims[1:])} if len(dims) == 3 else {dims}
        if skip is None or tuple(skip) not in allowed:
            fail("the skip is neither of the input's shape nor [S, H] / [1, S, H]")
        hidden = dims[-1]
        for name, value in (("gamma", op.scale), ("beta", op.bias), ("bias", op.skip_bias)):
            if not (is_absent(value) and name != "gamma") and tuple(dims_of(value) or ()) != (hidden,):
                fail(f"{name} is not 1-D of the hidden size {hidden}")
        if elem_of(op.input) not in ELEMS:
            fail("the input is not an f32, f16 or f64 tensor")
        if op.epsilon.value.data < 0:
            fail("epsilon is negative")

    def lower(self, op: SkipLayerNormOp, target: LoweringTarget, rewriter: PatternRewriter) -> None:
        sum_type = op.sum.type if op.sum.uses else NONE
        node = contrib_op(
            "SkipLayerNormalization",
            [op.input, op.skip, op.scale, op.bias, op.skip_bias],
            [op.output.type, NONE, NONE, sum_type],
            epsilon=op.epsilon,
        )
        insert_lowered(rewriter, op, [node], [node.results[0], node.results[3]])
