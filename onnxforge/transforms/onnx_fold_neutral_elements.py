"""``onnx-fold-neutral-elements``: ``x + 0.0 → x`` for floats, the one neutral element that is not bit-exact.

Adding ``+0.0`` returns ``x`` except that ``-0.0 + (+0.0)`` is ``+0.0``: dropping the
addition can turn a ``+0.0`` result into the ``-0.0`` it came from (equal as
numbers, different in sign), hence accuracy class 1. Such constants are common:
a LayerNorm whose β is 0, biases that are still zero, masks that turned out
empty. The exact neutral elements (``x - 0``, ``x · 1``, ``x / 1``, ``x + (-0.0)``,
integer ``x + 0``) are canonicalization (``onnx-canonicalize``); this pattern
takes every ``Add`` of an all-zero constant, with the same checks: the constant
does not broadcast ``x`` larger and nothing converts types.
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.pattern_rewriter import PatternRewriter, RewritePattern

from onnxforge.dialects.onnx.canonicalization import neutral_operand
from onnxforge.dialects.onnx.generated import AddOp
from onnxforge.passmanager import Accuracy, PatternPass


class FoldAddZero(RewritePattern):
    """x + 0 = 0 + x = x (up to the sign of a zero result)."""

    def match_and_rewrite(self, op: AddOp, rewriter: PatternRewriter) -> None:
        kept = neutral_operand(op, exact_only=False)
        if kept is not None:
            rewriter.replace(op, [], [kept])


@dataclass(frozen=True)
class FoldNeutralElementsPass(PatternPass):
    name = "onnx-fold-neutral-elements"
    summary = "x + 0.0 → x for floats (class 1: the sign of a zero result may change)"
    accuracy = Accuracy.FLOAT_BOUNDED

    def patterns(self) -> list[RewritePattern]:
        return [FoldAddZero()]
