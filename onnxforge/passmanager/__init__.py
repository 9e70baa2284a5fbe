"""Pass infrastructure: the pass base class, the pattern driver, the registry and the pass manager.

Writing a pass::

    from dataclasses import dataclass
    from onnxforge.passmanager import Accuracy, OpPattern, PatternPass, register

    class FoldDoubleNeg(OpPattern):
        roots = (NegOp,)
        def match_and_rewrite(self, op, rewriter): ...

    @register
    @dataclass(frozen=True)
    class MyPass(PatternPass):
        name = "onnx-fold-double-neg"
        summary = "Neg(Neg(x)) → x"
        accuracy = Accuracy.LOSSLESS
        def patterns(self): return [FoldDoubleNeg()]

See docs/writing-a-pass.md.
"""

from onnxforge.passmanager.base import Accuracy, ForgePass, RunState, current_state
from onnxforge.passmanager.registry import all_passes, get_pass, load_plugin, register
from onnxforge.passmanager.rewriting import OpPattern, PatternPass, apply_patterns, source_name

__all__ = [
    "Accuracy",
    "ForgePass",
    "OpPattern",
    "PatternPass",
    "RunState",
    "all_passes",
    "apply_patterns",
    "current_state",
    "get_pass",
    "load_plugin",
    "register",
    "source_name",
]
