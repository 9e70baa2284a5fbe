"""``nn-fuse-gelu``: the decomposed GELU of exports, and ``onnx.Gelu``, become ``nn.gelu``.

Matched from the Erf or the Tanh (operands of Add/Mul in either order, constants checked to a few
units in the last place of the tensor's float type)::

    erf form:   e = Erf(Div(x, √2) | Mul(x, 1/√2))
    tanh form:  e = Tanh(Mul(Add(x, Mul(x³, 0.044715)), √(2/π)))      x³ = Pow(x, 3) | Mul(x, Mul(x, x))
    both:       s = Add(e, 1)
                y = Mul(Mul(x, s), 0.5) | Div(Mul(x, s), 2) | Mul(Mul(x, 0.5), s) | Mul(Mul(s, 0.5), x)

Identity: ``y = 0.5·x·(1 + erf(x/√2))`` is GELU by definition (``approximate = "none"``), and
``0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))`` is its tanh approximation (``"tanh"``), exactly as
ONNX's ``Gelu`` (opset 20) and onnxruntime's ``Gelu`` / ``FastGelu`` define them. The constants
as written in float32 differ from the exact ones by rounding only, and a fused kernel evaluates
the same expression in another order: accuracy class 1.

Under ``target=ort`` a preceding ``Add(h, b)`` with ``b`` a 1-D constant over the last dim is
absorbed as the op's ``bias`` (``BiasGelu`` / ``FastGelu`` take it); elsewhere the bias stays an Add.
``onnx.Gelu`` nodes (the dynamo exporter emits them) are raised as they are (with the same bias
absorption under ort). Intermediate values read outside the subgraph keep it from fusing.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from xdsl.dialects.builtin import StringAttr
from xdsl.ir import Operation, SSAValue

from onnxforge.dialects.nn import CUBIC, FLOAT_ELEMS, SQRT_2, SQRT_2_OVER_PI, GeluOp
from onnxforge.dialects.onnx.generated import AddOp, DivOp, ErfOp, MulOp, PowOp, TanhOp
from onnxforge.dialects.onnx.generated import GeluOp as OnnxGeluOp
from onnxforge.dialects.onnx.queries import elem_of, str_prop
from onnxforge.ir.tensor import np_dtype
from onnxforge.transforms.fusion import Build, Fusion, FusionPass, FusionPattern, fail
from onnxforge.transforms.matching import (
    bias_add,
    only_used_by,
    other_operand,
    producer,
    read_only_inside,
    scalar_into,
    sole_user,
)

ULPS = 4
"""How far (in units of the float type's epsilon, relative) a written constant may be from the exact one."""


def constant_near(value: SSAValue, like: SSAValue, expected: float) -> bool:
    """``value`` is a one-element constant broadcasting into ``like``, equal to ``expected`` up to rounding
    in ``like``'s float type."""
    found = scalar_into(value, like)
    elem = elem_of(like)
    eps = float(np.finfo(np_dtype(elem) if elem in FLOAT_ELEMS else np.float32).eps)  # type: ignore[arg-type]
    return found is not None and abs(found - expected) <= ULPS * eps * abs(expected)


def _binary(value: SSAValue, kind: type[Operation]) -> list[tuple[SSAValue, SSAValue, Operation]]:
    """``(a, b, op)`` for both operand orders of the ``kind`` op defining ``value`` (none when it is not one)."""
    op = producer(value, kind)
    if op is None:
        return []
    a, b = op.operands
    return [(a, b, op), (b, a, op)]


def _erf_input(argument: SSAValue) -> tuple[SSAValue, list[Operation]] | None:
    """``(x, ops)`` for ``argument = x / √2`` or ``x · (1/√2)``."""
    div = producer(argument, DivOp)
    if div is not None and constant_near(div.operands[1], div.operands[0], SQRT_2):
        return div.operands[0], [div]
    for x, c, mul in _binary(argument, MulOp):
        if constant_near(c, x, 1.0 / SQRT_2):
            return x, [mul]
    return None


def _cube(value: SSAValue, x: SSAValue) -> list[Operation] | None:
    """The ops of ``value = Pow(x, 3)`` or ``Mul(x, Mul(x, x))`` (either order), else None."""
    power = producer(value, PowOp)
    if power is not None:
        return [power] if power.operands[0] == x and scalar_into(power.operands[1], x) == 3.0 else None
    for a, b, mul in _binary(value, MulOp):
        square = producer(b, MulOp)
        if a == x and square is not None and square.operands[0] == square.operands[1] == x:
            return [mul, square]
    return None


def _tanh_input(argument: SSAValue) -> tuple[SSAValue, list[Operation]] | None:
    """``(x, ops)`` for ``argument = √(2/π) · (x + 0.044715 · x³)``."""
    for inner, c, scale in _binary(argument, MulOp):
        if not constant_near(c, inner, SQRT_2_OVER_PI):
            continue
        for x, term, add in _binary(inner, AddOp):
            for cubed, k, mul in _binary(term, MulOp):
                if constant_near(k, cubed, CUBIC) and (cube := _cube(cubed, x)) is not None:
                    return x, [scale, add, mul, *cube]
    return None


def _product(activation: SSAValue, x: SSAValue) -> tuple[Operation, list[Operation]] | None:
    """``(top, ops)`` for ``0.5 · x · (1 + activation)`` in any association (the top op computes y)."""
    add = sole_user(activation)
    if not isinstance(add, AddOp) or not constant_near(other_operand(add, activation), activation, 1.0):
        return None
    s = add.results[0]
    mul = sole_user(s)
    if not isinstance(mul, MulOp):
        return None
    other, product = other_operand(mul, s), mul.results[0]
    top = sole_user(product)
    if other == x:  # (x · s) · 0.5, or (x · s) / 2
        if isinstance(top, MulOp) and constant_near(other_operand(top, product), product, 0.5):
            return top, [add, mul, top]
        if isinstance(top, DivOp) and top.operands[0] == product and constant_near(top.operands[1], product, 2.0):
            return top, [add, mul, top]
        return None
    for a, half, half_mul in _binary(other, MulOp):  # (x · 0.5) · s
        if a == x and constant_near(half, x, 0.5):
            return mul, [add, half_mul, mul]
    if constant_near(other, s, 0.5) and isinstance(top, MulOp) and other_operand(top, product) == x:  # (s · 0.5) · x
        return top, [add, mul, top]
    return None


class FuseGelu(FusionPattern):
    """0.5·x·(1 + erf(x/√2)) → nn.gelu(x); 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))) → nn.gelu(x, "tanh")."""

    def match(self, op: ErfOp | TanhOp, fusion: Fusion) -> None:
        erf = isinstance(op, ErfOp)
        argument = _erf_input(op.operands[0]) if erf else _tanh_input(op.operands[0])
        if argument is None:
            if erf:  # a Tanh is often just a Tanh (BERT's pooler); an Erf is almost always a GELU
                fail("the Erf's argument is not x/√2")
            return
        x, inner = argument
        product = _product(op.results[0], x)
        if product is None:
            fail(f"the {'Erf' if erf else 'Tanh'} is not followed by 0.5·x·(1 + …) read once each")
        top, outer = product
        ops = [*inner, op, *outer]
        if elem_of(x) not in FLOAT_ELEMS:
            fail("the input is not a float tensor of a known type")
        read_only_inside(ops, top, "GELU")
        _rewrite(fusion, x, ops, top, "none" if erf else "tanh")


class RaiseGelu(FusionPattern):
    """onnx.Gelu(x, approximate) = nn.gelu(x, approximate)."""

    def match(self, op: OnnxGeluOp, fusion: Fusion) -> None:
        approximate = str_prop(op, "approximate", "none")
        if approximate is None:
            fail("the approximate attribute is a reference, not a value")
        _rewrite(fusion, op.X, [op], op, approximate)


def _rewrite(fusion: Fusion, x: SSAValue, ops: list[Operation], top: Operation, approximate: str) -> None:
    """Build ``nn.gelu`` for a proved match, absorbing a bias Add under ``ort``."""
    bias: SSAValue = fusion.absent
    biased = bias_add(x) if fusion.target.allows_contrib() and only_used_by(x, ops) else None
    if biased is not None:
        x, bias, add = biased
        ops = [*ops, add]
    fused = Build(GeluOp, [x, bias], [top.results[0].type], {"approximate": StringAttr(approximate)})
    fusion.replace(top, fused, ops, {top.results[0]: fused.output})


@dataclass(frozen=True)
class FuseGeluPass(FusionPass):
    name = "nn-fuse-gelu"
    summary = "0.5·x·(1+erf(x/√2)), 0.5·x·(1+tanh(√(2/π)(x+0.044715x³))) and onnx.Gelu → nn.gelu (+ bias under ort)"

    def patterns(self) -> list[FusionPattern]:
        return [FuseGelu(), RaiseGelu()]
