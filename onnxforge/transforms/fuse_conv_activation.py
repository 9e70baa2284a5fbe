"""``nn-fuse-conv-activation``: a Conv (or ``nn.conv`` without activation) followed by its activation becomes one ``nn.conv``.

Matched from the activation, whose input is the convolution's output and its only reader:

    Relu(y)                   LeakyRelu(y, alpha)           Tanh(y)      Sigmoid(y)
    HardSigmoid(y, α, β)      HardSwish(y)                  Clip(y, min, max)
    Mul(y, Sigmoid(y))        (SiLU / Swish, EfficientNet; operands in either order;
                              y's only readers are the Sigmoid and the Mul)

Identity: ``act(conv(x, W) + b)`` is ``nn.conv(x, W, b, activation = act)`` by
definition of ``nn.conv``: nothing is recomputed, the same two functions are
applied in the same order, so the lowered graph (Conv + the activation, or
onnxruntime's ``FusedConv``) computes the same values. ``activation_params``
holds the attributes that define the activation: LeakyRelu ``[alpha]``
(default 0.01), HardSigmoid ``[alpha, beta]`` (0.2, 0.5), Clip ``[min, max]``
— read from the attributes (opset 6-10) or the constant scalar inputs (11+),
an absent bound being ∓FLT_MAX as ONNX defines it; Clip with non-constant
bounds is a near miss.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from xdsl.dialects.builtin import ArrayAttr, DictionaryAttr, FloatAttr, StringAttr
from xdsl.ir import Operation
from xdsl.pattern_rewriter import PatternRewriter

from onnxforge.dialects.nn import ConvOp as NNConvOp
from onnxforge.dialects.onnx.generated import (
    ClipOp,
    ClipV6Op,
    HardSigmoidOp,
    HardSwishOp,
    LeakyReluOp,
    MulOp,
    ReluOp,
    SigmoidOp,
    TanhOp,
)
from onnxforge.lowering.conv import FLOAT32_MAX, float_params
from onnxforge.passmanager import Accuracy, OpPattern, PatternPass, register
from onnxforge.transforms._common import is_absent, small_constant
from onnxforge.transforms._fusion import DETACHED_READER, detached_reader, fuse, near_miss
from onnxforge.transforms._matching import plain_conv

PASS_NAME = "nn-fuse-conv-activation"

ACTIVATIONS: dict[type[Operation], tuple[str, tuple[tuple[str, float], ...]]] = {
    ReluOp: ("Relu", ()),
    TanhOp: ("Tanh", ()),
    SigmoidOp: ("Sigmoid", ()),
    HardSwishOp: ("HardSwish", ()),
    LeakyReluOp: ("LeakyRelu", (("alpha", 0.01),)),
    HardSigmoidOp: ("HardSigmoid", (("alpha", 0.2), ("beta", 0.5))),
    ClipV6Op: ("Clip", (("min", -FLOAT32_MAX), ("max", FLOAT32_MAX))),
}
"""Single-op activations → the ``nn.conv`` activation name and its float attributes with their defaults."""


def _attribute_params(op: Operation, names: tuple[tuple[str, float], ...]) -> list[float]:
    params = []
    for name, default in names:
        attr = op.properties.get(name)
        params.append(attr.value.data if isinstance(attr, FloatAttr) else default)
    return params


def _clip_bounds(op: ClipOp) -> tuple[list[float], bool] | None:
    """[min, max] of a Clip with absent or constant scalar bounds, and whether they are f64."""
    bounds, wide = [], False
    for value, unbounded in ((op.min, -FLOAT32_MAX), (op.max, FLOAT32_MAX)):
        if is_absent(value):
            bounds.append(unbounded)
            continue
        array = small_constant(value, limit=1)
        if array is None or array.size != 1 or array.dtype.kind != "f":
            return None
        bounds.append(float(array.reshape(-1)[0]))
        wide |= array.dtype == np.float64
    return bounds, wide


def _swish_gate(mul: Operation) -> Operation | None:
    """The Sigmoid of ``Mul(y, Sigmoid(y))`` (either operand order), else None."""
    for value, other in ((mul.operands[0], mul.operands[1]), (mul.operands[1], mul.operands[0])):
        if isinstance(other.owner, SigmoidOp) and other.owner.operands[0] == value:
            return other.owner
    return None


def _feeds_swish(sigmoid: Operation) -> bool:
    """Whether this Sigmoid is the gate of an x·Sigmoid(x) (the Mul is matched instead)."""
    return any(isinstance(use.operation, MulOp) and _swish_gate(use.operation) is sigmoid for use in sigmoid.results[0].uses)


def _activation(op: Operation) -> tuple[str, ArrayAttr[FloatAttr] | None] | str:
    """The ``nn.conv`` activation name and ``activation_params`` of an activation op, or why it has none."""
    if isinstance(op, MulOp):
        return "Swish", None
    if isinstance(op, ClipOp):
        found = _clip_bounds(op)
        return ("Clip", float_params(*found)) if found is not None else "Clip bounds are not constant float scalars"
    name, defaults = ACTIVATIONS[type(op)]
    return name, float_params(_attribute_params(op, defaults)) if defaults else None


class FuseConvActivation(OpPattern):
    """act(conv(x, W) + b) → nn.conv(x, W, b, activation = act)."""

    roots = (*ACTIVATIONS, ClipOp, MulOp)

    def match_and_rewrite(self, op: Operation, rewriter: PatternRewriter) -> None:
        if isinstance(op, MulOp):
            gate = _swish_gate(op)
            if gate is None:
                return
            y, replaced = gate.operands[0], [gate, op]
        else:
            if isinstance(op, SigmoidOp) and _feeds_swish(op):
                return
            y, replaced = op.operands[0], [op]
        conv = plain_conv(y)
        if conv is None:
            return
        if detached_reader([y, op.results[0]]):
            near_miss(self, PASS_NAME, op, DETACHED_READER)
            return
        if {use.operation for use in y.uses} != set(replaced):
            near_miss(self, PASS_NAME, op, "the convolution output has other readers than the activation")
            return
        if isinstance(op, MulOp) and len(list(replaced[0].results[0].uses)) != 1:
            near_miss(self, PASS_NAME, op, "the Sigmoid of x·Sigmoid(x) has other readers")
            return
        found = _activation(op)
        if isinstance(found, str):
            near_miss(self, PASS_NAME, op, found)
            return
        name, params = found
        attrs = conv.conv_attrs if isinstance(conv, NNConvOp) else DictionaryAttr(dict(conv.properties))
        properties = {"conv_attrs": attrs, "activation": StringAttr(name)}
        if params is not None:
            properties["activation_params"] = params
        fused = NNConvOp.create(operands=list(conv.operands), result_types=[op.results[0].type], properties=properties)
        matched = [conv, *replaced]
        fuse(rewriter, self, PASS_NAME, conv, fused, matched, [op.results[0]])


@register
@dataclass(frozen=True)
class FuseConvActivationPass(PatternPass):
    name = PASS_NAME
    summary = "Conv / nn.conv → Relu, Clip, Sigmoid, HardSigmoid, LeakyRelu, Tanh, HardSwish or x·Sigmoid(x) → nn.conv with activation"
    accuracy = Accuracy.FLOAT_BOUNDED
    """Class 1: the fused function is the same; class 1 because the BN fold it usually follows is."""

    def patterns(self) -> list[OpPattern]:
        return [FuseConvActivation()]
