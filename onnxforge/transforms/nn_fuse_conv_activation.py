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

from xdsl.dialects.builtin import ArrayAttr, DictionaryAttr, FloatAttr, StringAttr
from xdsl.ir import Attribute, Operation, SSAValue

from onnxforge.dialects.nn import ConvOp as NNConvOp
from onnxforge.dialects.nn import float_params
from onnxforge.dialects.onnx.generated import (
    ClipFamily,
    ConvOp,
    HardSigmoidFamily,
    HardSwishOp,
    LeakyReluFamily,
    MulOp,
    ReluFamily,
    SigmoidFamily,
    TanhFamily,
)
from onnxforge.dialects.onnx.queries import clip_bounds, float_prop, since
from onnxforge.transforms.fusion import Build, Fusion, FusionPass, FusionPattern, fail

ACTIVATIONS: dict[type[Operation], tuple[str, tuple[tuple[str, float], ...]]] = {
    ReluFamily: ("Relu", ()),
    TanhFamily: ("Tanh", ()),
    SigmoidFamily: ("Sigmoid", ()),
    HardSwishOp: ("HardSwish", ()),
    LeakyReluFamily: ("LeakyRelu", (("alpha", 0.01),)),
    HardSigmoidFamily: ("HardSigmoid", (("alpha", 0.2), ("beta", 0.5))),
}
"""Single-op activations → the ``nn.conv`` activation name and its float attributes with their defaults."""
FIRST_ACTIVATION = 6
"""The opset-1 forms carry ``consumed_inputs``: left alone."""


def _plain_conv(value: SSAValue) -> Operation | None:
    """The ``onnx.Conv``, or ``nn.conv`` without activation, that defines ``value``."""
    op = value.owner
    if isinstance(op, ConvOp) or (isinstance(op, NNConvOp) and not op.activation.data):
        return op
    return None


def _swish_gate(mul: Operation) -> Operation | None:
    """The Sigmoid of ``Mul(y, Sigmoid(y))`` (either operand order), else None."""
    for value, other in ((mul.operands[0], mul.operands[1]), (mul.operands[1], mul.operands[0])):
        if isinstance(other.owner, SigmoidFamily) and other.owner.operands[0] == value:
            return other.owner
    return None


def _feeds_swish(sigmoid: Operation) -> bool:
    """Whether this Sigmoid is the gate of an x·Sigmoid(x) (the Mul is matched instead)."""
    return any(isinstance(use.operation, MulOp) and _swish_gate(use.operation) is sigmoid for use in sigmoid.results[0].uses)


def _activation(op: Operation) -> tuple[str, ArrayAttr[FloatAttr] | None]:
    """The ``nn.conv`` activation name and ``activation_params`` of an activation op."""
    if isinstance(op, MulOp):
        return "Swish", None
    if isinstance(op, ClipFamily):
        found = clip_bounds(op)
        if found is None:
            fail("Clip bounds are not constant float scalars")
        low, high, wide = found
        return "Clip", float_params([low, high], wide)
    name, defaults = next(v for k, v in ACTIVATIONS.items() if isinstance(op, k))
    values = [float_prop(op, n, d) for n, d in defaults]  # None: a function's attribute reference, not a value
    return name, float_params([d if v is None else v for v, (_, d) in zip(values, defaults)]) if defaults else None


class FuseConvActivation(FusionPattern):
    """act(conv(x, W) + b) → nn.conv(x, W, b, activation = act)."""

    def match(self, op: ReluFamily | TanhFamily | SigmoidFamily | HardSwishOp | LeakyReluFamily | HardSigmoidFamily
              | ClipFamily | MulOp, fusion: Fusion) -> None:
        if since(op) < FIRST_ACTIVATION:
            return
        if isinstance(op, MulOp):
            gate = _swish_gate(op)
            if gate is None:
                return
            y, replaced = gate.operands[0], [gate, op]
        else:
            if isinstance(op, SigmoidFamily) and _feeds_swish(op):
                return
            y, replaced = op.operands[0], [op]
        conv = _plain_conv(y)
        if conv is None:
            return
        if {use.operation for use in y.uses} != set(replaced):
            fail("the convolution output has other readers than the activation")
        if isinstance(op, MulOp) and len(list(replaced[0].results[0].uses)) != 1:
            fail("the Sigmoid of x·Sigmoid(x) has other readers")
        name, params = _activation(op)
        attrs = conv.conv_attrs if isinstance(conv, NNConvOp) else DictionaryAttr(dict(conv.properties))
        properties: dict[str, Attribute] = {"conv_attrs": attrs, "activation": StringAttr(name)}
        if params is not None:
            properties["activation_params"] = params
        fused = Build(NNConvOp, list(conv.operands), [op.results[0].type], properties)
        fusion.replace(conv, fused, [conv, *replaced], {op.results[0]: fused.output})


@dataclass(frozen=True)
class FuseConvActivationPass(FusionPass):
    name = "nn-fuse-conv-activation"
    summary = "Conv / nn.conv → Relu, Clip, Sigmoid, HardSigmoid, LeakyRelu, Tanh, HardSwish or x·Sigmoid(x) → nn.conv with activation"
    """Class 1: the fused function is the same; class 1 because the BN fold it usually follows is."""

    def patterns(self) -> list[FusionPattern]:
        return [FuseConvActivation()]
