"""``onnx-normalize-conv-padding``: ``auto_pad="VALID"`` becomes ``NOTSET`` with explicit zero ``pads``.

Identity: ONNX defines VALID as "no padding", which is exactly ``pads`` all zero
with ``auto_pad`` NOTSET, so the op computes the same values (class 0).

Why: onnxruntime's session-time ``PadFusion`` folds a preceding zero ``Pad`` into
a Conv or pooling op's ``pads`` only when ``auto_pad`` is NOTSET. HF's
EfficientNet-B0 TorchScript export pads with an explicit ``Pad`` before
``auto_pad="VALID"`` stride-2 convs; left as exported, the five Pads stay
separate kernels and break onnxruntime's NCHWc chains, and the model ran 1.29×
slower than after this rewrite (``benchmarks/fusion_peers.py``, 2026-11-22).
SAME_UPPER/SAME_LOWER are left alone (their pads depend on the input size).
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.dialects.builtin import DenseArrayBase, StringAttr, i64
from xdsl.ir import Operation
from xdsl.pattern_rewriter import PatternRewriter

from onnxforge.dialects.onnx.generated import AveragePoolOp, ConvIntegerOp, ConvOp, MaxPoolOp
from onnxforge.passmanager import Accuracy, OpPattern, PatternPass, register
from onnxforge.transforms._common import dims_of, ints_prop


def _spatial_rank(op: Operation) -> int | None:
    """From ``kernel_shape``, else from a Conv weight's rank (``[M, C/g, k1, …]``)."""
    kernel = ints_prop(op, "kernel_shape")
    if kernel is not None:
        return len(kernel)
    if isinstance(op, (ConvOp, ConvIntegerOp)):
        dims = dims_of(op.operands[1])
        return None if dims is None else len(dims) - 2
    return None


class ValidPaddingToPads(OpPattern):
    """auto_pad=VALID ≡ auto_pad=NOTSET, pads=[0]·2·rank."""

    roots = (ConvOp, ConvIntegerOp, AveragePoolOp, MaxPoolOp)

    def match_and_rewrite(self, op: Operation, rewriter: PatternRewriter) -> None:
        auto_pad = op.properties.get("auto_pad")
        if not (isinstance(auto_pad, StringAttr) and auto_pad.data == "VALID"):
            return
        rank = _spatial_rank(op)
        if rank is None:
            return
        op.properties["auto_pad"] = StringAttr("NOTSET")
        op.properties["pads"] = DenseArrayBase.from_list(i64, [0] * (2 * rank))
        rewriter.notify_op_modified(op)


@register
@dataclass(frozen=True)
class NormalizeConvPaddingPass(PatternPass):
    name = "onnx-normalize-conv-padding"
    summary = 'auto_pad="VALID" → NOTSET with zero pads (Conv, ConvInteger, pooling), so runtimes fold Pads into them'
    accuracy = Accuracy.LOSSLESS

    def patterns(self) -> list[OpPattern]:
        return [ValidPaddingToPads()]
