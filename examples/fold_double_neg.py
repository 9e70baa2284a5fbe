"""A complete onnxforge pass plugin: ``Neg(Neg(x)) → x``.

    forgec model.onnx -o out.onnx --load-pass-plugin=examples/fold_double_neg.py \
        --passes=example-fold-double-neg,onnx-eliminate-dead --verify

Exact in IEEE arithmetic (negation only flips the sign bit), so the pass is class 0.
The pattern is a plain xDSL ``RewritePattern``: the annotation of ``op`` says which
ops it is offered, and the driver counts, bisects and budgets its rewrites.
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.pattern_rewriter import PatternRewriter, RewritePattern

from onnxforge.dialects.onnx.generated import NegFamily
from onnxforge.passmanager import Accuracy, PatternPass, register


class DoubleNeg(RewritePattern):
    """Neg(Neg(x)) = x."""

    def match_and_rewrite(self, op: NegFamily, rewriter: PatternRewriter) -> None:
        inner = op.operands[0].owner
        if isinstance(inner, NegFamily):
            rewriter.replace(op, [], [inner.operands[0]])


@register
@dataclass(frozen=True)
class FoldDoubleNegPass(PatternPass):
    name = "example-fold-double-neg"
    summary = "Neg(Neg(x)) -> x (an example plugin)"
    accuracy = Accuracy.LOSSLESS

    def patterns(self) -> list[RewritePattern]:
        return [DoubleNeg()]
