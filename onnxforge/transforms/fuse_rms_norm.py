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

from onnx import TensorProto
from xdsl.dialects.builtin import FloatAttr, IntegerAttr, f32, i64
from xdsl.ir import Operation, SSAValue
from xdsl.pattern_rewriter import PatternRewriter

from onnxforge.dialects.nn import RMSNormOp
from onnxforge.dialects.onnx.generated import (
    AddOp,
    DivOp,
    MulOp,
    PowOp,
    ReduceMeanOp,
    ReduceMeanV1Op,
    SqrtOp,
    SubOp,
)
from onnxforge.passmanager import Accuracy, OpPattern, PatternPass, register
from onnxforge.transforms._common import dims_of, elem_of
from onnxforge.transforms._fusion import fuse, near_miss, ones_constant
from onnxforge.transforms._matching import (
    CAST_OPS,
    FLOAT_ELEMS,
    NormMatch,
    cast_target,
    normalised_axis,
    normalised_parameter,
    other_operand,
    producer,
    rms_operand,
    scalar,
    sole_user,
)

PASS_NAME = "nn-fuse-rms-norm"


# --- the pattern -------------------------------------------------------------------------------------


class FuseRMSNorm(OpPattern):
    """x / sqrt(mean(x², trailing axes) + ε) · γ → nn.rms_norm(x, γ, axis, ε)."""

    roots = (MulOp, DivOp)

    def match_and_rewrite(self, op: Operation, rewriter: PatternRewriter) -> None:
        candidate = rms_operand(op)
        if candidate is None:
            return
        x, rms, inverse = candidate
        found = self._statistics(op, x, rms)
        if found is not None:
            found.ops.extend(inverse)
            self._rewrite(op, found, rewriter)

    def _statistics(self, op: Operation, x: SSAValue, rms: SSAValue) -> NormMatch | None:
        """Check ``rms = Sqrt(Add(ReduceMean(x²), ε))``; None (with a near miss once it looks like one) if not."""
        sqrt = producer(rms, SqrtOp)
        add = producer(sqrt.operands[0], AddOp) if sqrt is not None else None
        if sqrt is None or add is None:
            return None
        for mean_value in add.operands:
            mean = producer(mean_value, ReduceMeanOp, ReduceMeanV1Op)
            if mean is not None:
                break
        else:
            return None
        square = producer(mean.operands[0], PowOp, MulOp)
        if square is None:
            return None
        reason = _square_reason(square, x)
        if reason:
            near_miss(self, PASS_NAME, op, reason)
            return None
        epsilon = scalar(other_operand(add, mean_value))
        if epsilon is None or elem_of(other_operand(add, mean_value)) not in FLOAT_ELEMS:
            near_miss(self, PASS_NAME, op, "epsilon is not a constant float scalar")
            return None
        axis = normalised_axis(mean, x)
        if isinstance(axis, str):
            near_miss(self, PASS_NAME, op, axis)
            return None
        if _is_centred(x):
            near_miss(self, PASS_NAME, op, "the normalised value is x - mean(x): a LayerNorm (nn-fuse-layer-norm)")
            return None
        if elem_of(x) not in FLOAT_ELEMS:
            near_miss(self, PASS_NAME, op, "the normalised value is not a float tensor of a known type")
            return None
        if dims_of(op.results[0]) != dims_of(x):
            near_miss(self, PASS_NAME, op, "the result's shape is not x's (a constant of higher rank broadcasts it)")
            return None
        return NormMatch(x, [op, sqrt, add, mean, square], epsilon, axis)

    def _rewrite(self, anchor: Operation, found: NormMatch, rewriter: PatternRewriter) -> None:
        x, out = found.x, anchor.results[0]
        replaced = list(found.ops)
        x_dims = dims_of(x)
        assert x_dims is not None  # normalised_axis needed the rank
        normalised = tuple(x_dims[found.axis:])
        cast = sole_user(out)
        if isinstance(cast, CAST_OPS):
            back = cast_target(cast)
            source = producer(x, *CAST_OPS)
            if back == elem_of(x):  # a Cast to the type n already has
                out = cast.results[0]
                replaced.append(cast)
            elif _f32_round_trip(source, back, x):  # HF: x₀ → f32 statistics → x₀'s type
                assert source is not None
                x, out = source.operands[0], cast.results[0]
                replaced += [cast, source]
        elem = elem_of(out)
        gamma = normalised_parameter(out, MulOp, normalised)
        extra: list[Operation] = []
        if gamma is not None:
            scale, result = gamma[0], gamma[1].results[0]
            replaced.append(gamma[1])
        elif elem is not None and all(isinstance(d, int) for d in normalised):
            ones = ones_constant(anchor, elem, normalised)  # type: ignore[arg-type]
            extra, scale, result = [ones], ones.results[0], out
        else:
            near_miss(self, PASS_NAME, anchor, "no γ, and the normalised dims are not static (no scale of ones)")
            return
        fused = RMSNormOp.create(
            operands=[x, scale],
            result_types=[result.type],
            properties={"axis": IntegerAttr(found.axis, i64), "epsilon": FloatAttr(found.epsilon, f32)},
        )
        fuse(rewriter, self, PASS_NAME, anchor, fused, replaced, [result], extra_ops=extra)


@register
@dataclass(frozen=True)
class FuseRMSNormPass(PatternPass):
    name = PASS_NAME
    summary = "Pow/ReduceMean/Add(eps)/Sqrt/Reciprocal/Mul(γ) (with HF's f32 casts) → nn.rms_norm"
    accuracy = Accuracy.FLOAT_BOUNDED

    def patterns(self) -> list[OpPattern]:
        return [FuseRMSNorm()]


def _f32_round_trip(source: Operation | None, back: int | None, x: SSAValue) -> bool:
    """``x = Cast(x₀, to=f32)`` and the result is cast back to x₀'s float type."""
    return (source is not None and back in FLOAT_ELEMS and back == elem_of(source.operands[0])
            and cast_target(source) == elem_of(x) == TensorProto.FLOAT)


def _is_centred(x: SSAValue) -> bool:
    """``x = Sub(a, ReduceMean(a))``: the RMS of a centred value is a LayerNorm's standard deviation."""
    sub = producer(x, SubOp)
    mean = producer(sub.operands[1], ReduceMeanOp, ReduceMeanV1Op) if sub is not None else None
    return mean is not None and mean.operands[0] == sub.operands[0]  # type: ignore[union-attr]


def _square_reason(square: Operation, x: SSAValue) -> str | None:
    if isinstance(square, PowOp):
        if square.operands[0] != x:
            return "the squared value is not the normalised value"
        if scalar(square.operands[1]) != 2.0:
            return "Pow exponent is not the constant 2"
        return None
    if not (square.operands[0] == square.operands[1] == x):
        return "the squared value is not the normalised value"
    return None

