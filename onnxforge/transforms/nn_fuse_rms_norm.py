"""``nn-fuse-rms-norm``: the decomposed RMSNorm of Llama-style exports becomes one ``nn.rms_norm``.

Matched from the normalising op (the anchor), operands of Add/Mul in either order::

    sq   = Pow(x, 2) | Mul(x, x)
    ms   = ReduceMean(sq, axes = [a, …, r-1], keepdims = 1)     (axes attribute or axes input)
    rms  = Sqrt(Add(ms, ε))
    n    = Mul(x, Reciprocal(rms)) | Mul(x, Div(1, rms)) | Div(x, rms)
    y    = Mul(γ, n)                                            (optional; γ of the normalised shape)

HF's ``LlamaRMSNorm`` computes in f32: ``x = Cast(x₀, to=f32)`` … ``Mul(γ, Cast(n, to=type(x₀)))``.
A Cast back to the type x already has is skipped; a real f16/bf16 → f32 → f16/bf16 round trip
makes the fused op read ``x₀`` and produce ``x₀``'s type, which is what ``RMSNormalization``
(``stash_type = 1``) and ``SimplifiedLayerNormalization`` do: statistics in f32, result cast back,
then scaled. When γ is absent (a γ of ones was folded away), the fused op gets a constant of ones.

Identity: ``y = x / sqrt(mean(x², axes) + ε) · γ`` is ``nn.rms_norm(x, γ, axis = a, ε)`` when the
axes are exactly the trailing dims from ``a`` on and the mean keeps them (so it broadcasts back
over them). Multiplying by the reciprocal instead of dividing moves results by float rounding only
(accuracy class 1).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from onnx import TensorProto
from xdsl.dialects.builtin import FloatAttr, IntegerAttr, f32, i64
from xdsl.ir import Operation, SSAValue

from onnxforge.dialects.nn import FLOAT_ELEMS, RMSNormOp
from onnxforge.dialects.onnx.generated import AddOp, CastFamily, DivOp, MulOp, PowOp, ReduceMeanFamily, SqrtOp, SubOp
from onnxforge.dialects.onnx.queries import cast_to, dims_of, elem_of, scalar
from onnxforge.ir.tensor import np_dtype
from onnxforge.transforms.fusion import Build, Fusion, FusionPass, FusionPattern, fail
from onnxforge.transforms.matching import (
    NormMatch,
    normalised_axis,
    normalised_parameter,
    other_operand,
    producer,
    rms_operand,
    sole_user,
)


class FuseRMSNorm(FusionPattern):
    """x / sqrt(mean(x², trailing axes) + ε) · γ → nn.rms_norm(x, γ, axis, ε)."""

    def match(self, op: MulOp | DivOp, fusion: Fusion) -> None:
        candidate = rms_operand(op)
        if candidate is None:
            return
        x, rms, inverse = candidate
        found = _statistics(op, x, rms)
        if found is not None:
            found.ops.extend(inverse)
            _rewrite(op, found, fusion)


def _statistics(op: Operation, x: SSAValue, rms: SSAValue) -> NormMatch | None:
    """``rms = Sqrt(Add(ReduceMean(x²), ε))`` proved (None when it does not look like one; fail once it does)."""
    sqrt = producer(rms, SqrtOp)
    add = producer(sqrt.operands[0], AddOp) if sqrt is not None else None
    if sqrt is None or add is None:
        return None
    for mean_value in add.operands:
        mean = producer(mean_value, ReduceMeanFamily)
        if mean is not None:
            break
    else:
        return None
    square = producer(mean.operands[0], PowOp, MulOp)
    if square is None:
        return None
    _check_square(square, x)
    epsilon = scalar(other_operand(add, mean_value))
    if epsilon is None or elem_of(other_operand(add, mean_value)) not in FLOAT_ELEMS:
        fail("epsilon is not a constant float scalar")
    axis = normalised_axis(mean, x)
    if _is_centred(x):
        fail("the normalised value is x - mean(x): a LayerNorm (nn-fuse-layer-norm)")
    if elem_of(x) not in FLOAT_ELEMS:
        fail("the normalised value is not a float tensor of a known type")
    if dims_of(op.results[0]) != dims_of(x):
        fail("the result's shape is not x's (a constant of higher rank broadcasts it)")
    return NormMatch(x, [op, sqrt, add, mean, square], epsilon, axis)


def _rewrite(anchor: Operation, found: NormMatch, fusion: Fusion) -> None:
    x, out = found.x, anchor.results[0]
    replaced = list(found.ops)
    normalised = tuple((dims_of(x) or ())[found.axis:])
    cast = sole_user(out)
    if isinstance(cast, CastFamily):
        back = cast_to(cast)
        source = producer(x, CastFamily)
        if back == elem_of(x):  # a Cast to the type n already has
            out = cast.results[0]
            replaced.append(cast)
        elif source is not None and _f32_round_trip(source, back, x):  # HF: x₀ → f32 statistics → x₀'s type
            x, out = source.operands[0], cast.results[0]
            replaced += [cast, source]
    elem = elem_of(out)
    gamma = normalised_parameter(out, MulOp, normalised)
    if gamma is not None:
        scale, result = gamma[0], gamma[1].results[0]
        replaced.append(gamma[1])
    elif elem is not None and all(isinstance(d, int) for d in normalised):
        scale, result = fusion.constant(np.ones(normalised, dtype=np_dtype(elem)), elem), out
    else:
        fail("no γ, and the normalised dims are not static (no scale of ones)")
    fused = Build(RMSNormOp, [x, scale], [result.type],
                  {"axis": IntegerAttr(found.axis, i64), "epsilon": FloatAttr(found.epsilon, f32)})
    fusion.replace(anchor, fused, replaced, {result: fused.output})


def _f32_round_trip(source: Operation, back: int | None, x: SSAValue) -> bool:
    """``x = Cast(x₀, to=f32)`` and the result is cast back to x₀'s float type."""
    return back in FLOAT_ELEMS and back == elem_of(source.operands[0]) and cast_to(source) == elem_of(x) == TensorProto.FLOAT


def _is_centred(x: SSAValue) -> bool:
    """``x = Sub(a, ReduceMean(a))``: the RMS of a centred value is a LayerNorm's standard deviation."""
    sub = producer(x, SubOp)
    mean = producer(sub.operands[1], ReduceMeanFamily) if sub is not None else None
    return mean is not None and mean.operands[0] == sub.operands[0]  # type: ignore[union-attr]


def _check_square(square: Operation, x: SSAValue) -> None:
    if square.operands[0] != x or (isinstance(square, MulOp) and square.operands[1] != x):
        fail("the squared value is not the normalised value")
    if isinstance(square, PowOp) and scalar(square.operands[1]) != 2.0:
        fail("Pow exponent is not the constant 2")


@dataclass(frozen=True)
class FuseRMSNormPass(FusionPass):
    name = "nn-fuse-rms-norm"
    summary = "Pow/ReduceMean/Add(eps)/Sqrt/Reciprocal/Mul(γ) (with HF's f32 casts) → nn.rms_norm"

    def patterns(self) -> list[FusionPattern]:
        return [FuseRMSNorm()]
