"""``onnx-eliminate-dead``: remove ops whose results nothing uses, and unused initializers.

ONNX nodes are pure functions of their inputs, so a node whose outputs are
all unused can go (random ops included: an unused draw changes nothing). Ops
of unknown domains (``onnx.custom``) are left alone: we cannot know their
contract. An unused initializer that shares its name with a graph input is
that input's default value and stays.
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.dialects.builtin import ModuleOp
from xdsl.ir import Operation

from onnxforge.dialects.onnx.base import OnnxOp
from onnxforge.dialects.onnx.structure import InitializerOp, NoValueOp
from onnxforge.passmanager import Accuracy, ForgePass, RunState, register, source_name


def _removable(op: Operation) -> bool:
    if any(result.uses for result in op.results):
        return False
    if isinstance(op, InitializerOp):
        return not op.is_input_default()
    return isinstance(op, (OnnxOp, NoValueOp))


@register
@dataclass(frozen=True)
class EliminateDead(ForgePass):
    name = "onnx-eliminate-dead"
    summary = "remove ops whose results are unused, and unused initializers"
    accuracy = Accuracy.LOSSLESS

    def run(self, module: ModuleOp, state: RunState) -> None:
        # Users come after producers, so one reverse walk frees whole dead chains.
        for op in list(module.walk(reverse=True)):
            if _removable(op) and state.allow_rewrite():
                state.record(f"{self.name}/{'initializer' if isinstance(op, InitializerOp) else 'op'}", source_name(op))
                op.detach()
                op.erase()
                state.changed = True
