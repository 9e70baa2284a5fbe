"""``onnx-infer-shapes``: write the symbolic shapes ``onnxforge.shapes`` infers into the value types.

Makes shapes visible in the IR and in the exported value_info (so runtimes
and later tools see them). Never makes a type less precise; graph inputs
keep their declared types and dim names.
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.dialects.builtin import ModuleOp

from onnxforge.passmanager import Accuracy, ForgePass, RunState, register
from onnxforge.shapes import infer_and_apply


@register
@dataclass(frozen=True)
class InferShapes(ForgePass):
    name = "onnx-infer-shapes"
    summary = "infer symbolic shapes and write them into the value types"
    accuracy = Accuracy.LOSSLESS

    def run(self, module: ModuleOp, state: RunState) -> None:
        changed = infer_and_apply(module)
        if changed:
            state.statistics[f"{self.name}/types-refined"] += changed
            state.changed = True
