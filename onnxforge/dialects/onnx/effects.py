"""The effect traits of the onnx ops that are not ``Pure``: random draws and Dropout.

An ONNX node is a function of its inputs, so almost every generated op is
``Pure``: xDSL's dead-code elimination removes it when nothing reads it, and
common-subexpression elimination may merge two equal ones. Two kinds are not:

- a random op (RandomNormal, Bernoulli, …) draws new values at every run: two
  equal calls are two values, so they must never be merged. An unused draw
  changes nothing, though, so it may be removed. That is an allocation effect
  on its own results, which xDSL treats exactly so (removable when dead, not
  side-effect free);
- Dropout draws a mask in training mode. It is pure when it provably copies its
  input (``is_test = 1`` before opset 7, always in opsets 7–11, no
  ``training_mode`` input from 12 on), otherwise it is treated as a draw.
  (A ``training_mode`` that is a constant false is also inference; proving it
  needs the constant, which ``onnx-canonicalize`` reads. The trait stays
  conservative.)

Custom-domain ops (``onnx.custom``) carry no effect trait: their effects are
unknown, so nothing removes or merges them.
"""

from __future__ import annotations

from collections.abc import Set

from xdsl.dialects.builtin import IntegerAttr
from xdsl.ir import Operation
from xdsl.traits import EffectInstance, MemoryEffect, MemoryEffectKind

from onnxforge.ir.types import NoneType


class RandomDraw(MemoryEffect):
    """Allocates fresh values: removable when unused, never merged with an equal op."""

    @classmethod
    def get_effects(cls, op: Operation) -> Set[EffectInstance]:
        return frozenset(EffectInstance(MemoryEffectKind.ALLOC, result) for result in op.results)


class DropoutEffects(MemoryEffect):
    """Pure when the Dropout provably runs in inference mode, a random draw otherwise."""

    @classmethod
    def get_effects(cls, op: Operation) -> Set[EffectInstance]:
        if _inference(op):
            return frozenset()
        return RandomDraw.get_effects(op)


def _inference(op: Operation) -> bool:
    since = op.SIGNATURE.since_versions[0]  # type: ignore[attr-defined]
    if since < 7:
        is_test = op.properties.get("is_test")
        return isinstance(is_test, IntegerAttr) and is_test.value.data == 1
    if since < 12:
        return True
    return len(op.operands) < 3 or isinstance(op.operands[2].type, NoneType)
