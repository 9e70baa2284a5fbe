"""``nn-lower{target=standard|ort|portable|tensorrt}``: write every ``nn`` op back as ONNX for the target.

The target chooses standard ops at the model's opset, onnxruntime contrib ops,
portable decompositions or the ops TensorRT's ONNX parser reads; each op family's lowering lives in
``onnxforge.transforms.lowering``. Fusions only fire for ops their target can
express, so an op that cannot be lowered here means the IR was fused for
another target: that is an error naming the op and the reason, not a silent
fallback. When contrib ops were written, the model imports ``com.microsoft``.
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.dialects.builtin import ModuleOp
from xdsl.pattern_rewriter import PatternRewriter, RewritePattern

from onnxforge.dialects.nn import NNOp
from onnxforge.dialects.onnx.structure import CustomOp
from onnxforge.errors import ForgeError
from onnxforge.ir.provenance import name_or_kind
from onnxforge.passmanager import Accuracy, ContextPattern, Mismatch, RunState
from onnxforge.transforms.fusion import RewriteContext, TargetedPass
from onnxforge.transforms.lowering import LOWERINGS
from onnxforge.transforms.lowering.base import CONTRIB_DOMAIN, ensure_opset


class LowerOp(ContextPattern):
    """An ``nn`` op → the ONNX ops its lowering writes for the run's target."""

    def apply(self, op: NNOp, rewriter: PatternRewriter, context: RewriteContext) -> None:  # type: ignore[override]
        lowering = LOWERINGS[type(op)]
        try:
            lowering.check(op, context.target)
        except Mismatch as reason:
            raise ForgeError(f"cannot lower {op.name} at {name_or_kind(op)!r} for {context.target.describe()}: {reason}") from None
        lowering.lower(op, context.target, rewriter)

    def statistic(self, op: NNOp) -> str:  # type: ignore[override]
        return op.name


@dataclass(frozen=True)
class LowerNNPass(TargetedPass):
    name = "nn-lower"
    summary = "nn ops → standard ONNX, onnxruntime contrib ops, portable decompositions or TensorRT's ops (option target)"
    accuracy = Accuracy.FLOAT_BOUNDED
    """Class 1: writing a fused op as the target's op is exact for the fused function, but a portable
    decomposition of an op that was in the input (e.g. LayerNormalization) reorders its arithmetic."""

    def patterns(self) -> list[RewritePattern]:
        return [LowerOp()]

    def run(self, module: ModuleOp, state: RunState) -> None:
        super().run(module, state)
        if any(isinstance(op, CustomOp) and op.domain.data == CONTRIB_DOMAIN for op in module.walk()):
            ensure_opset(module, CONTRIB_DOMAIN, 1)
