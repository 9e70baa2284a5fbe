"""``onnx-normalize-conv-padding``: padding made explicit on the op that reads it.

- ``auto_pad="VALID"`` becomes ``NOTSET`` with explicit zero ``pads``. Identity: ONNX
  defines VALID as "no padding", which is exactly ``pads`` all zero with
  ``auto_pad`` NOTSET.
- A zero, constant-mode ``Pad`` of the spatial dims whose only reader is a Conv
  (``auto_pad`` NOTSET) is folded into the Conv's ``pads``. Identity: a Conv
  with ``pads`` reads zeros outside its input, exactly what the Pad wrote
  (MobileNetV2's TorchScript export has 18 such Pads). Pooling is left alone:
  MaxPool pads with −∞ and AveragePool may exclude pads from its count.

Why: onnxruntime's session-time ``PadFusion`` folds a preceding zero ``Pad`` into
a Conv or pooling op's ``pads`` only when ``auto_pad`` is NOTSET. HF's
EfficientNet-B0 TorchScript export pads with an explicit ``Pad`` before
``auto_pad="VALID"`` stride-2 convs; left as exported, the five Pads stay
separate kernels and break onnxruntime's NCHWc chains (seen in the graph
onnxruntime optimises: 5 Pads and 4 extra NCHWc reorders left). Measured in one
``benchmarks/fusion_peers.py`` run (2026-11-22): our output without this pass
14.1 ms against 10.9 ms for onnxscript's, whose convs were NOTSET; with it, the
gap is within the benchmark's ±10 % noise on this model.
SAME_UPPER/SAME_LOWER are left alone (their pads depend on the input size).
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.dialects.builtin import DenseArrayBase, StringAttr, i64
from xdsl.ir import Operation
from xdsl.pattern_rewriter import PatternRewriter

from onnxforge.dialects.onnx.generated import AveragePoolOp, ConvIntegerOp, ConvOp, MaxPoolOp, PadOp, PadV11Op
from onnxforge.passmanager import Accuracy, OpPattern, PatternPass, register
from onnxforge.transforms._common import dims_of, int_constant, ints_prop, is_absent, small_constant


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


def _zero_spatial_pads(pad: Operation, rank: int) -> list[int] | None:
    """A constant-mode Pad's pads (``[begin…, end…]`` over the 2 + rank dims) when it pads only spatial
    dims, non-negatively, with zero; else None."""
    mode = pad.properties.get("mode")
    if mode is not None and not (isinstance(mode, StringAttr) and mode.data == "constant"):
        return None
    operands = pad.operands
    if len(operands) > 3 and not is_absent(operands[3]):
        return None  # axes given (opset 18+): not worth the remapping
    if len(operands) > 2 and not is_absent(operands[2]):
        value = small_constant(operands[2])
        if value is None or value.size != 1 or float(value.reshape(-1)[0]) != 0.0:
            return None
    pads = int_constant(operands[1])
    if pads is None or len(pads) != 2 * (rank + 2) or min(pads) < 0:
        return None
    if pads[0] or pads[1] or pads[rank + 2] or pads[rank + 3]:
        return None
    return [*pads[2 : rank + 2], *pads[rank + 4 :]]


class ZeroPadIntoConv(OpPattern):
    """Conv(Pad(x, zeros on spatial dims), pads=p) = Conv(x, pads=p + the Pad's)."""

    roots = (ConvOp,)

    def match_and_rewrite(self, op: Operation, rewriter: PatternRewriter) -> None:
        pad = op.operands[0].owner
        if not isinstance(pad, (PadOp, PadV11Op)) or not pad.results[0].has_one_use():
            return
        auto_pad = op.properties.get("auto_pad")
        if auto_pad is not None and not (isinstance(auto_pad, StringAttr) and auto_pad.data == "NOTSET"):
            return
        rank = _spatial_rank(op)
        if rank is None:
            return
        extra = _zero_spatial_pads(pad, rank)
        if extra is None:
            return
        own = ints_prop(op, "pads") or (0,) * (2 * rank)
        if len(own) != 2 * rank:
            return
        op.properties["pads"] = DenseArrayBase.from_list(i64, [a + b for a, b in zip(own, extra, strict=True)])
        op.operands[0] = pad.operands[0]
        rewriter.notify_op_modified(op)
        rewriter.erase(pad)


@register
@dataclass(frozen=True)
class NormalizeConvPaddingPass(PatternPass):
    name = "onnx-normalize-conv-padding"
    summary = 'auto_pad="VALID" → NOTSET with zero pads; a zero Pad before a Conv folded into its pads'
    accuracy = Accuracy.LOSSLESS

    def patterns(self) -> list[OpPattern]:
        return [ValidPaddingToPads(), ZeroPadIntoConv()]
