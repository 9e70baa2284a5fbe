"""``nn-lower``: write every ``nn`` op back as ONNX for the run's target.

The target (``--target``, ``--target-opset``) chooses standard ops, onnxruntime
contrib ops or portable decompositions; each op family's lowering lives in
``onnxforge.lowering``. Fusions only fire for ops their target can express, so
an op that cannot be lowered here means the IR was fused for another target:
that is an error naming the op and the reason, not a silent fallback.
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.dialects.builtin import ModuleOp

from onnxforge.dialects.nn import NNOp
from onnxforge.errors import ForgeError
from onnxforge.lowering import CONTRIB_DOMAIN, ensure_opset, lowering_for
from onnxforge.passmanager import Accuracy, ForgePass, RunState, register
from onnxforge.passmanager.rewriting import source_name
from onnxforge.transforms._fusion import lowering_target


@register
@dataclass(frozen=True)
class LowerNN(ForgePass):
    name = "nn-lower"
    summary = "nn ops → standard ONNX, onnxruntime contrib ops or portable decompositions (by --target)"
    accuracy = Accuracy.FLOAT_BOUNDED
    """Class 1: writing a fused op as the target's op is exact for the fused function, but a portable
    decomposition of an op that was in the input (e.g. LayerNormalization) reorders its arithmetic."""

    def run(self, module: ModuleOp, state: RunState) -> None:
        from xdsl.pattern_rewriter import PatternRewriter

        fused = [op for op in module.walk() if isinstance(op, NNOp)]
        uses_contrib = False
        for op in fused:
            target = lowering_target(op)
            found = lowering_for(op)
            reason = "no lowering" if found is None else found.unsupported(op, target)
            if found is None or reason is not None:
                raise ForgeError(f"cannot lower {op.name} at {source_name(op)!r} for {target.describe()}: {reason}")
            rewriter = PatternRewriter(op)
            found.lower(op, target, rewriter)
            uses_contrib |= target.allows_contrib()
            state.record(f"{self.name}/{op.name}", source_name(op))
        if fused:
            state.changed = True
        if uses_contrib and _has_contrib(module):
            ensure_opset(module, CONTRIB_DOMAIN, 1)


def _has_contrib(module: ModuleOp) -> bool:
    from onnxforge.dialects.onnx.structure import CustomOp

    return any(isinstance(op, CustomOp) and op.domain.data == CONTRIB_DOMAIN for op in module.walk())
