"""``onnx-eliminate-dead``: remove ops whose results nothing uses, and unused initializers.

The rule is xDSL's: an op is dead when no result is read and it has no effect
(``is_trivially_dead``), and the effect traits say which ops have none. ONNX
nodes are pure functions of their inputs (an unused random draw changes
nothing either, so it goes too); ops of unknown domains (``onnx.custom``) have
unknown effects and stay; an initializer that shares its name with a graph
input is that input's default value and stays.
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.ir import Operation
from xdsl.pattern_rewriter import PatternRewriter, RewritePattern
from xdsl.transforms.dead_code_elimination import is_trivially_dead

from onnxforge.passmanager import Accuracy, PatternPass


class EraseDeadOp(RewritePattern):
    """An op that nothing reads and that has no effect is not needed."""

    def match_and_rewrite(self, op: Operation, rewriter: PatternRewriter) -> None:
        if op.parent is not None and is_trivially_dead(op):
            rewriter.erase(op)


@dataclass(frozen=True)
class EliminateDeadPass(PatternPass):
    name = "onnx-eliminate-dead"
    summary = "remove ops whose results are unused, and unused initializers"
    accuracy = Accuracy.LOSSLESS

    def patterns(self) -> list[RewritePattern]:
        return [EraseDeadOp()]
