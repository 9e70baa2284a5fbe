"""``onnx-fold-neutral-elements``: ``x + 0``, ``x - 0``, ``x * 1``, ``x / 1`` → ``x``.

Identity: adding zero, subtracting zero, multiplying or dividing by one
returns ``x`` — provided the constant's broadcast does not enlarge ``x``
(checked on ``x``'s symbolic shape) and nothing converts types. Such
constants are common: a LayerNorm whose γ is 1 and β is 0, biases that are
still zero, masks that turned out empty.

Accuracy class 1, for one IEEE corner only: ``-0.0 + (+0.0)`` is ``+0.0``, so
dropping an addition of positive zeros can turn a ``+0.0`` result into the
``-0.0`` it came from (equal as numbers, different in sign). Multiplying or
dividing by one, subtracting zero and adding ``-0.0`` are exact.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from xdsl.dialects.builtin import ModuleOp
from xdsl.ir import Operation, SSAValue

from onnxforge.dialects.onnx.base import OnnxOp
from onnxforge.passmanager import Accuracy, ForgePass, RunState, register, source_name
from onnxforge.shapes import ShapeFacts, infer
from onnxforge.transforms._common import constant_of

MAX_CHECKED = 1 << 20
"""Constants with more elements than this are not scanned (they are weights, not neutral)."""

_NEUTRAL = {"Add": 0, "Sub": 0, "Mul": 1, "Div": 1}
_COMMUTATIVE = {"Add", "Mul"}


def _neutral(value: SSAValue, element: int) -> bool:
    tensor = constant_of(value)
    if tensor is None or tensor.strings is not None or tensor.size > MAX_CHECKED:
        return False
    try:
        array = tensor.numpy()
    except (ValueError, TypeError):
        return False
    return array.size > 0 and bool(np.all(array == element))


def _keeps_shape(x: SSAValue, constant: SSAValue, facts: ShapeFacts) -> bool:
    """The constant broadcasts into ``x`` without changing ``x``'s shape."""
    x_dims, c_dims = facts.shape(x), facts.shape(constant)
    if x_dims is None or c_dims is None or len(c_dims) > len(x_dims):
        return False
    for c, s in zip(reversed(c_dims), reversed(x_dims)):
        if c != 1 and (s is None or c is None or c != s):
            return False
    return facts.elem(x) is not None and facts.elem(x) == facts.elem(constant)


def _operand_kept(op: Operation, facts: ShapeFacts) -> SSAValue | None:
    if not isinstance(op, OnnxOp) or op.properties or len(op.operands) != 2:
        return None  # the pre-7 forms carry broadcast/axis attributes: leave them
    op_type = op.SIGNATURE.op_type
    if op_type not in _NEUTRAL:
        return None
    element = _NEUTRAL[op_type]
    a, b = op.operands
    if _neutral(b, element) and _keeps_shape(a, b, facts):
        return a
    if op_type in _COMMUTATIVE and _neutral(a, element) and _keeps_shape(b, a, facts):
        return b
    return None


@register
@dataclass(frozen=True)
class FoldNeutralElements(ForgePass):
    name = "onnx-fold-neutral-elements"
    summary = "x+0, x-0, x*1, x/1 -> x when the constant does not broadcast x larger"
    accuracy = Accuracy.FLOAT_BOUNDED

    def run(self, module: ModuleOp, state: RunState) -> None:
        facts = infer(module)
        for op in list(module.walk()):
            kept = _operand_kept(op, facts)
            if kept is None or not state.allow_rewrite():
                continue
            state.record(f"{self.name}/{op.SIGNATURE.op_type.lower()}", source_name(op))  # type: ignore[attr-defined]
            op.results[0].replace_all_uses_with(kept)
            op.detach()
            op.erase()
            state.changed = True
