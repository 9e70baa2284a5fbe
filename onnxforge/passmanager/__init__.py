"""Pass infrastructure: the pass base class, the pattern driver, plugin registration and the pass manager.

Writing a pass (docs/writing-a-pass.md)::

    from dataclasses import dataclass
    from onnxforge.passmanager import Accuracy, PatternPass, register

    class FoldDoubleNeg(RewritePattern):
        def match_and_rewrite(self, op: NegOp, rewriter: PatternRewriter) -> None: ...

    @register
    @dataclass(frozen=True)
    class FoldDoubleNegPass(PatternPass):
        name = "onnx-fold-double-neg"
        summary = "Neg(Neg(x)) → x"
        accuracy = Accuracy.LOSSLESS
        def patterns(self): return [FoldDoubleNeg()]
"""

from onnxforge.passmanager.base import Accuracy, ForgePass, RunState, current_state
from onnxforge.passmanager.registry import load_plugin, register
from onnxforge.passmanager.rewriting import ContextPattern, Mismatch, PatternPass, apply_patterns, fail

__all__ = [
    "Accuracy",
    "ContextPattern",
    "ForgePass",
    "Mismatch",
    "PatternPass",
    "RunState",
    "apply_patterns",
    "current_state",
    "fail",
    "load_plugin",
    "register",
]
