"""Lowering ``nn.linear``: ``MatMul`` + ``Add`` on every target.

``nn.linear`` exists so that later fusions and the cost model see one linear
layer; no target has a better op for a rank ≥ 3 input (onnxruntime fuses
MatMul + Add itself at session time), so it is written back as it was
matched, with its provenance (the anchor's name, ``onnxforge.fused_from``).
"""

from __future__ import annotations

from xdsl.ir import Operation
from xdsl.pattern_rewriter import PatternRewriter

from onnxforge.dialects.nn import LinearOp
from onnxforge.lowering import Lowering, LoweringTarget, insert_lowered, lowering, onnx_op
from onnxforge.transforms._common import is_absent

NUMPY_BROADCAST_OPSET = 7
"""Add broadcasts a ``[N]`` bias over ``[…, N]`` without the ``broadcast`` attribute from opset 7."""


@lowering
class LinearLowering(Lowering):
    """nn.linear → MatMul(x, W) (+ Add(·, b) when the bias is present)."""

    op = LinearOp

    def unsupported(self, op: Operation, target: LoweringTarget) -> str | None:
        if target.opset < NUMPY_BROADCAST_OPSET:
            return f"Add broadcasts the bias only from opset {NUMPY_BROADCAST_OPSET} (target opset {target.opset})"
        return None

    def lower(self, op: Operation, target: LoweringTarget, rewriter: PatternRewriter) -> None:
        assert isinstance(op, LinearOp)
        result_type = op.output.type  # a [N] bias leaves the shape of x @ W unchanged
        ops = [onnx_op("MatMul", target, [op.input, op.weight], [result_type])]
        if not is_absent(op.bias):
            ops.append(onnx_op("Add", target, [ops[0].results[0], op.bias], [result_type]))
        insert_lowered(rewriter, op, ops, [ops[-1].results[0]])

