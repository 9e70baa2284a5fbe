"""``onnx-convert-opset{opset=N}``: convert the model to default-domain opset N, as its own explicit step.

Fused ops such as ``Attention`` (opset 23) can only be written into a model
whose default-domain opset has them, so a user who wants them asks for the
conversion (``forgec --target-opset=23`` puts this pass first). It runs onnx's
own version converter (the reference for what each adapter must do) over the
weightless skeleton and imports the result again, weights matched back by name
and never copied (``onnxforge.onnxio.convert``); the module's contents are
replaced in place. The adapters preserve semantics, and every fixture converts
bit-identically (verified like any other output): accuracy class 0. Converting
to the model's own opset changes nothing; to a lower one is an error.
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.dialects.builtin import ModuleOp

from onnxforge.errors import ForgeError
from onnxforge.onnxio.convert import raise_opset
from onnxforge.passmanager import Accuracy, ForgePass, RunState


@dataclass(frozen=True)
class ConvertOpsetPass(ForgePass):
    name = "onnx-convert-opset"
    summary = "convert the model to default-domain opset N (onnx's version converter; weights kept in place)"
    accuracy = Accuracy.LOSSLESS

    opset: int = 0
    """The default-domain opset to convert to."""

    def run(self, module: ModuleOp, state: RunState) -> None:
        if self.opset <= 0:
            raise ForgeError(f"{self.name}: give the opset to convert to, e.g. {self.name}{{opset=23}}")
        converted = raise_opset(module, self.opset)
        if converted is module:
            return
        body = module.body.block
        for op in list(body.ops):
            op.detach()
            op.erase()
        for op in list(converted.body.block.ops):
            op.detach()
            body.add_op(op)
        state.record(f"{self.name}/converted")
