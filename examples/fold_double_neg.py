"""A complete onnxforge pass plugin: ``Neg(Neg(x)) → x``.

    forgec model.onnx -o out.onnx --load-pass-plugin=examples/fold_double_neg.py \
        --passes=example-fold-double-neg,onnx-eliminate-dead --verify

Exact in IEEE arithmetic (negation only flips the sign bit), so the pass is class 0.
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.ir import Operation
from xdsl.pattern_rewriter import PatternRewriter

from onnxforge.dialects.onnx.generated import NegOp
from onnxforge.passmanager import Accuracy, OpPattern, PatternPass, register


class DoubleNeg(OpPattern):
    """Neg(Neg(x)) = x."""

    roots = (NegOp,)

    def match_and_rewrite(self, op: Operation, rewriter: PatternRewriter) -> None:
        inner = op.operands[0].owner
        if isinstance(inner, NegOp):
            rewriter.replace_all_uses_with(op.results[0], inner.operands[0])
            rewriter.erase(op)


@register
@dataclass(frozen=True)
class FoldDoubleNeg(PatternPass):
    name = "example-fold-double-neg"
    summary = "Neg(Neg(x)) -> x (an example plugin)"
    accuracy = Accuracy.LOSSLESS

    def patterns(self) -> list[OpPattern]:
        return [DoubleNeg()]
