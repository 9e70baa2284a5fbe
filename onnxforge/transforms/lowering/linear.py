"""Lowering ``nn.linear``: ``MatMul`` + ``Add`` on every target.

``nn.linear`` exists so that later fusions and the cost model see one linear
layer; no target has a better op for a rank ≥ 3 input (onnxruntime fuses
MatMul + Add itself at session time), so it is written back as it was
matched, with its provenance (the anchor's name, ``onnxforge.fused_from``).
"""

from __future__ import annotations

from xdsl.pattern_rewriter import PatternRewriter

from onnxforge.dialects.nn import LinearOp
from onnxforge.dialects.onnx.queries import is_absent
from onnxforge.passmanager import fail
from onnxforge.transforms.lowering.base import Lowering, LoweringTarget, insert_lowered, onnx_op

NUMPY_BROADCAST_OPSET = 7
"""Add broadcasts a ``[N]`` bias over ``[…, N]`` without the ``broadcast`` attribute from opset 7."""


class LinearLowering(Lowering):
    """nn.linear → MatMul(x, W) (+ Add(·, b) when the bias is present)."""

    op = LinearOp

    def check(self, op: LinearOp, target: LoweringTarget) -> None:
        if target.opset < NUMPY_BROADCAST_OPSET:
            fail(f"Add broadcasts the bias only from opset {NUMPY_BROADCAST_OPSET} (target opset {target.opset})")

    def lower(self, op: LinearOp, target: LoweringTarget, rewriter: PatternRewriter) -> None:
        result_type = op.output.type  # a [N] bias leaves the shape of x @ W unchanged
        ops = [onnx_op("MatMul", target, [op.input, op.weight], [result_type])]
        if not is_absent(op.bias):
            ops.append(onnx_op("Add", target, [ops[0].results[0], op.bias], [result_type]))
        insert_lowered(rewriter, op, ops, [ops[-1].results[0]])

