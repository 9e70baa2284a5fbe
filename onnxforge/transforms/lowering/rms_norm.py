"""Lowering ``nn.rms_norm``: ``RMSNormalization`` (opset ≥ 23) or onnxruntime's ``SimplifiedLayerNormalization``.

Both compute ``x / sqrt(mean(x², dims from axis) + epsilon) · scale`` with the statistics in f32
(``stash_type = 1``), the result cast back to x's type before the scale: the function
``nn.rms_norm`` stands for. onnxruntime 1.31 registers ``SimplifiedLayerNormalization`` in the
*default* domain (``com.microsoft::SimplifiedLayerNormalization`` is "not a registered
function/op"), so under ``ort`` below opset 23 it is written as a default-domain custom node (which
the onnx checker cannot know); from opset 23 on, ``ort`` gets the standard op too, which onnxruntime
1.31 runs and the checker accepts.
``portable`` has no fused form to offer: the fusion's input already is the decomposition, so the
fusion does not fire there; nor under ``tensorrt``, whose builder fuses the decomposition itself
(``tensorrt_support.LEFT_TO_BUILDER``).
"""

from __future__ import annotations

from xdsl.dialects.builtin import StringAttr
from xdsl.ir import Operation
from xdsl.pattern_rewriter import PatternRewriter

from onnxforge.dialects.nn import RMSNormOp
from onnxforge.passmanager import fail
from onnxforge.transforms.lowering import tensorrt_support
from onnxforge.transforms.lowering.base import Lowering, LoweringTarget, contrib_op, insert_lowered, onnx_op

RMS_NORMALIZATION_OPSET = 23
STASH_F32 = 1
"""``stash_type``: statistics in f32, as HF's LlamaRMSNorm computes them."""


def _attrs(op: RMSNormOp) -> dict[str, object]:
    return {"axis": op.axis.value.data, "epsilon": op.epsilon, "stash_type": STASH_F32}


class RMSNormLowering(Lowering):
    op = RMSNormOp

    def check(self, op: RMSNormOp, target: LoweringTarget) -> None:
        if target.kind == "portable":
            fail("portable keeps RMSNorm decomposed (there is no standard op below opset 23)")
        if target.kind == "tensorrt":
            fail(f"tensorrt keeps RMSNorm decomposed: {tensorrt_support.LEFT_TO_BUILDER['RMSNormalization']}")
        if target.kind == "standard" and target.opset < RMS_NORMALIZATION_OPSET:
            fail(f"RMSNormalization needs opset ≥ {RMS_NORMALIZATION_OPSET} ({target.describe()})")

    def lower(self, op: RMSNormOp, target: LoweringTarget, rewriter: PatternRewriter) -> None:
        operands = [op.input, op.scale]
        types = [op.output.type]
        if target.kind == "ort" and target.opset < RMS_NORMALIZATION_OPSET:
            node: Operation = contrib_op("SimplifiedLayerNormalization", operands, types, **_attrs(op))
            node.properties["domain"] = StringAttr("")  # where onnxruntime registers it (see the module docstring)
        else:
            node = onnx_op("RMSNormalization", target, operands, types, **_attrs(op))
        insert_lowered(rewriter, op, [node], [node.results[0]])
