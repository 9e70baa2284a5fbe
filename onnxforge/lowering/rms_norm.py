"""Lowering ``nn.rms_norm``: ``RMSNormalization`` (opset ≥ 23) or onnxruntime's ``SimplifiedLayerNormalization``.

Both compute ``x / sqrt(mean(x², dims from axis) + epsilon) · scale`` with the statistics in f32
(``stash_type = 1``), the result cast back to x's type before the scale: the function
``nn.rms_norm`` stands for. onnxruntime 1.31 registers ``SimplifiedLayerNormalization`` in the
*default* domain (``com.microsoft::SimplifiedLayerNormalization`` is "not a registered
function/op"), so under ``ort`` it is written as a default-domain custom node; it needs no opset.
``portable`` has no fused form to offer: the fusion's input already is the decomposition, so the
fusion does not fire there.
"""

from __future__ import annotations

from xdsl.dialects.builtin import FloatAttr, IntegerAttr, StringAttr
from xdsl.ir import Operation
from xdsl.pattern_rewriter import PatternRewriter

from onnxforge.dialects.nn import RMSNormOp
from onnxforge.lowering import Lowering, LoweringTarget, contrib_op, insert_lowered, lowering, onnx_op

RMS_NORMALIZATION_OPSET = 23
STASH_F32 = 1
"""``stash_type``: statistics in f32, as HF's LlamaRMSNorm computes them."""


def _attrs(op: RMSNormOp) -> dict[str, object]:
    axis, epsilon = op.axis, op.epsilon
    assert isinstance(axis, IntegerAttr) and isinstance(epsilon, FloatAttr)
    return {"axis": axis.value.data, "epsilon": epsilon, "stash_type": STASH_F32}


@lowering
class RMSNormLowering(Lowering):
    op = RMSNormOp

    def unsupported(self, op: Operation, target: LoweringTarget) -> str | None:
        if target.kind == "portable":
            return "portable keeps RMSNorm decomposed (there is no standard op below opset 23)"
        if target.kind == "standard" and target.opset < RMS_NORMALIZATION_OPSET:
            return f"RMSNormalization needs opset ≥ {RMS_NORMALIZATION_OPSET} ({target.describe()})"
        return None

    def lower(self, op: Operation, target: LoweringTarget, rewriter: PatternRewriter) -> None:
        assert isinstance(op, RMSNormOp)
        operands = [op.input, op.scale]
        types = [op.output.type]
        if target.kind == "ort":
            node: Operation = contrib_op("SimplifiedLayerNormalization", operands, types, **_attrs(op))
            node.properties["domain"] = StringAttr("")  # where onnxruntime registers it (see the module docstring)
        else:
            node = onnx_op("RMSNormalization", target, operands, types, **_attrs(op))
        insert_lowered(rewriter, op, [node], [node.results[0]])
