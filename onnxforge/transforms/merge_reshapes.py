"""``onnx-merge-reshapes``: a Reshape of a reshape-like op reads the original tensor directly.

Identity: Reshape, Flatten, Squeeze and Unsqueeze keep the elements in
row-major order and change only the dims, so ``Reshape(r(x), s) =
Reshape(x, s)`` for any such ``r`` — provided ``s`` alone fixes the output
dims. It does when ``s`` is a constant without 0 entries (a 0 copies a dim of
the *intermediate* tensor, unless ``allowzero=1`` makes it a literal 0); a -1
is fine, since it is resolved from the element count, which ``r`` keeps.

The outer Reshape is rewired to ``x``; the inner op goes once nothing else
uses it (if something does, it stays and no work is duplicated).
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.ir import Operation
from xdsl.pattern_rewriter import PatternRewriter

from onnxforge.dialects.onnx.generated import (
    FlattenOp,
    ReshapeOp,
    ReshapeV5Op,
    SqueezeOp,
    SqueezeV1Op,
    UnsqueezeOp,
    UnsqueezeV1Op,
)
from onnxforge.passmanager import Accuracy, OpPattern, PatternPass, register
from onnxforge.transforms._common import int_constant, int_prop

RESHAPE_OPS = (ReshapeOp, ReshapeV5Op)
ORDER_KEEPING_OPS = (*RESHAPE_OPS, FlattenOp, SqueezeOp, SqueezeV1Op, UnsqueezeOp, UnsqueezeV1Op)


def _shape_is_self_contained(op: Operation) -> bool:
    """The Reshape's target dims do not depend on its input's dims (only on its element count)."""
    shape = int_constant(op.operands[1])
    if shape is None:
        return False
    allowzero = int_prop(op, "allowzero", 0) if isinstance(op, ReshapeOp) else 0
    return allowzero == 1 or 0 not in shape


class BypassInnerReshape(OpPattern):
    """Reshape(r(x), s) = Reshape(x, s) for r in Reshape/Flatten/Squeeze/Unsqueeze, s a constant free of copying 0s."""

    roots = RESHAPE_OPS

    def match_and_rewrite(self, op: Operation, rewriter: PatternRewriter) -> None:
        inner = op.operands[0].owner
        if not isinstance(inner, ORDER_KEEPING_OPS) or not _shape_is_self_contained(op):
            return
        op.operands[0] = inner.operands[0]
        rewriter.notify_op_modified(op)
        if not inner.results[0].uses:
            rewriter.erase(inner)


@register
@dataclass(frozen=True)
class MergeReshapes(PatternPass):
    name = "onnx-merge-reshapes"
    summary = "Reshape(Reshape|Flatten|Squeeze|Unsqueeze(x), s) → Reshape(x, s) when s is a constant without copying 0s"
    accuracy = Accuracy.LOSSLESS

    def patterns(self) -> list[OpPattern]:
        return [BypassInnerReshape()]
