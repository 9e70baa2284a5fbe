"""``nn-fuse-layer-norm``: the decomposed LayerNorm of TorchScript exports, and ``onnx.LayerNormalization``, become ``nn.layer_norm``.

Matched from the normalising op (the Div, or the Mul of the reciprocal form), operands of
Add/Mul in either order::

    mean = ReduceMean(x, axes = [a, …, r-1], keepdims = 1)      (axes attribute < 18, axes input ≥ 18)
    d    = Sub(x, mean)
    var  = ReduceMean(Pow(d, 2) | Mul(d, d), the same axes, keepdims = 1)
    std  = Sqrt(Add(var, ε))                                      (ε a one-element float constant)
    n    = Div(d, std) | Mul(d, Reciprocal(std)) | Mul(d, Div(1, std))
    y    = Add(Mul(n, γ), β)                                      (each optional, γ and β of the normalised shape)

Identity: this is ONNX's own definition of ``LayerNormalization(x, γ, β, axis = a - r, epsilon = ε)``
(its opset-17 function body: ReduceMean, Sub, Mul(d, d), ReduceMean, Add, Sqrt, Div, Mul, Add),
so ``nn.layer_norm`` computes the same function when the reduced axes are exactly the trailing
dims from ``a`` on and both means keep them (so they broadcast back over them). Dividing instead
of multiplying by the reciprocal, or a fused kernel's summation order, moves results by float
rounding only (accuracy class 1). When cleanup folded away γ = 1 (``x·1 → x``) the fused op gets
a constant of ones of the normalised shape (which needs static normalised dims); a folded β = 0
leaves the bias absent.

``onnx.LayerNormalization`` nodes (the dynamo exporter emits them) are raised into
``nn.layer_norm`` as they are when their Mean / InvStdDev outputs are unused and their
statistics are computed in f32 (``stash_type = 1``, the only precision ``nn.layer_norm`` has, or
an f32 input), so that skip-layer-norm fusion and the portable decomposition see them too.

In half precision, TorchScript exports compute the statistics in f32: the centred value is
``Cast(Sub(x, mean), to = f32)`` and the normalised value is cast back to x's type before γ and β.
That is ``LayerNormalization``'s own ``stash_type = 1`` (statistics in f32, the normalised value
cast back, then scaled), so the fused op reads and returns x; only the mean and the subtraction
move from f16 to f32 (more precise; the outputs differ by f16 rounding).

Intermediate values read outside the subgraph keep the candidate from fusing (a near miss):
the fused op would not remove them.
"""

from __future__ import annotations

from dataclasses import dataclass

from onnx import TensorProto
from xdsl.dialects.builtin import FloatAttr, IntegerAttr, f32, i64
from xdsl.ir import Operation, SSAValue
from xdsl.pattern_rewriter import PatternRewriter

from onnxforge.dialects.nn import LayerNormOp
from onnxforge.dialects.onnx.generated import (
    AddOp,
    DivOp,
    LayerNormalizationOp,
    MulOp,
    PowOp,
    ReduceMeanOp,
    ReduceMeanV1Op,
    SqrtOp,
    SubOp,
)
from onnxforge.dialects.onnx.structure import NoValueOp
from onnxforge.ir.types import NONE
from onnxforge.lowering.layer_norm import HALF_ELEMS
from onnxforge.passmanager import Accuracy, OpPattern, PatternPass, register
from onnxforge.transforms._common import dims_of, elem_of, int_prop
from onnxforge.transforms._fusion import fuse, near_miss, ones_constant
from onnxforge.transforms._matching import (
    CAST_OPS,
    FLOAT_ELEMS,
    NormMatch,
    cast_target,
    normalised_axis,
    normalised_parameter,
    only_used_by,
    other_operand,
    producer,
    rms_operand,
    scalar_into,
    sole_user,
)

PASS_NAME = "nn-fuse-layer-norm"
STASH_F32 = 1
"""``stash_type`` of LayerNormalization: statistics in f32 (the default)."""


# --- the patterns ------------------------------------------------------------------------------------


class FuseLayerNorm(OpPattern):
    """(x - mean(x)) / sqrt(mean((x - mean(x))²) + ε) · γ + β → nn.layer_norm(x, γ, β, axis, ε)."""

    roots = (DivOp, MulOp)

    def match_and_rewrite(self, op: Operation, rewriter: PatternRewriter) -> None:
        candidate = rms_operand(op)
        if candidate is None:
            return
        d, std, inverse = candidate
        stash = producer(d, *CAST_OPS)
        sub = producer(stash.operands[0] if stash is not None else d, SubOp)
        mean = producer(sub.operands[1], ReduceMeanOp, ReduceMeanV1Op) if sub is not None else None
        if sub is None or mean is None or mean.operands[0] != sub.operands[0]:
            return  # not centred: an RMSNorm (nn-fuse-rms-norm) or no norm at all
        if stash is not None and not (cast_target(stash) == TensorProto.FLOAT and elem_of(sub.operands[0]) in HALF_ELEMS):
            near_miss(self, PASS_NAME, op, "the centred value is cast, but not from f16/bf16 to f32")
            return
        found = self._core(op, sub, mean, d, std, [*inverse, *([stash] if stash is not None else [])])
        if found is not None:
            self._rewrite(op, found, stash is not None, rewriter)

    def _core(self, op: Operation, sub: Operation, mean: Operation, d: SSAValue, std: SSAValue,
              inverse: list[Operation]) -> NormMatch | None:
        """Check the variance chain of the centred value ``d`` under ``std``; None (with a near miss) when
        something does not prove it."""
        x = sub.operands[0]
        sqrt = producer(std, SqrtOp)
        add = producer(sqrt.operands[0], AddOp) if sqrt is not None else None
        var_mean = square = None
        for var in add.operands if add is not None else ():
            if (var_mean := producer(var, ReduceMeanOp, ReduceMeanV1Op)) is not None:
                square = producer(var_mean.operands[0], PowOp, MulOp)
                break
        if sqrt is None or add is None or var_mean is None:
            near_miss(self, PASS_NAME, op, "the divisor is not Sqrt(ReduceMean(…) + ε)")
            return None
        if square is None or not _squares(square, d):
            near_miss(self, PASS_NAME, op, "the variance is not the mean of Pow(d, 2) or d·d for the centred d")
            return None
        epsilon = scalar_into(other_operand(add, var), var)
        if epsilon is None or elem_of(other_operand(add, var)) not in FLOAT_ELEMS:
            near_miss(self, PASS_NAME, op, "epsilon is not a one-element float constant")
            return None
        axis, var_axis = normalised_axis(mean, x), normalised_axis(var_mean, d)
        if isinstance(axis, str) or isinstance(var_axis, str) or axis != var_axis:
            near_miss(self, PASS_NAME, op, axis if isinstance(axis, str) else var_axis if isinstance(var_axis, str)
                      else "the mean and the variance reduce different axes")
            return None
        if elem_of(x) not in FLOAT_ELEMS:
            near_miss(self, PASS_NAME, op, "the normalised value is not a float tensor of a known type")
            return None
        ops = [op, *inverse, sqrt, add, var_mean, square, sub, mean]
        if not all(only_used_by(r, ops) for o in ops if o is not op for r in o.results):
            near_miss(self, PASS_NAME, op, "an intermediate value of the LayerNorm is read outside it")
            return None
        return NormMatch(x, ops, epsilon, axis)

    def _rewrite(self, op: Operation, found: NormMatch, stashed: bool, rewriter: PatternRewriter) -> None:
        dims = dims_of(found.x)
        assert dims is not None  # normalised_axis needed the rank
        normalised = tuple(dims[found.axis:])
        out, replaced, extra = op.results[0], list(found.ops), []
        if stashed:  # f32 statistics of a half-precision x: the normalised value goes back to x's type
            back = sole_user(out)
            if not isinstance(back, CAST_OPS) or cast_target(back) != elem_of(found.x):
                near_miss(self, PASS_NAME, op, "the f32 normalised value is not cast back to the input's type")
                return
            out = back.results[0]
            replaced.append(back)
        scale = bias = None
        if (gamma := normalised_parameter(out, MulOp, normalised)) is not None:
            scale, out = gamma[0], gamma[1].results[0]
            replaced.append(gamma[1])
        if (beta := normalised_parameter(out, AddOp, normalised)) is not None:
            bias, out = beta[0], beta[1].results[0]
            replaced.append(beta[1])
        anchor = out.owner
        assert isinstance(anchor, Operation)
        if scale is None:
            elem = elem_of(found.x)
            if elem is None or not all(isinstance(d, int) for d in normalised):
                near_miss(self, PASS_NAME, op, "no γ, and the normalised dims are not static (cannot build a scale of ones)")
                return
            ones = ones_constant(anchor, elem, normalised)  # type: ignore[arg-type]
            extra.append(ones)
            scale = ones.results[0]
        if bias is None:
            absent = NoValueOp.create(result_types=[NONE])
            extra.append(absent)
            bias = absent.results[0]
        fused = LayerNormOp.create(
            operands=[found.x, scale, bias],
            result_types=[out.type],
            properties={"axis": IntegerAttr(found.axis, i64), "epsilon": FloatAttr(found.epsilon, f32)},
        )
        fuse(rewriter, self, PASS_NAME, anchor, fused, replaced, [out], extra_ops=extra)


def _squares(square: Operation, d: SSAValue) -> bool:
    """``square`` is ``Pow(d, 2)`` (the exponent not broadcasting d larger) or ``Mul(d, d)``."""
    if isinstance(square, PowOp):
        return square.operands[0] == d and scalar_into(square.operands[1], d) == 2.0
    return square.operands[0] == square.operands[1] == d


class RaiseLayerNormalization(OpPattern):
    """LayerNormalization(x, γ, β) with unused statistics outputs = nn.layer_norm(x, γ, β) (same attributes)."""

    roots = (LayerNormalizationOp,)

    def match_and_rewrite(self, op: Operation, rewriter: PatternRewriter) -> None:
        assert isinstance(op, LayerNormalizationOp)
        if any(r.uses for r in op.results[1:]):
            near_miss(self, PASS_NAME, op, "its Mean / InvStdDev outputs are used")
            return
        axis, stash = int_prop(op, "axis", -1), int_prop(op, "stash_type", STASH_F32)
        epsilon = op.properties.get("epsilon", FloatAttr(1e-5, f32))
        if axis is None or stash is None or not isinstance(epsilon, FloatAttr):
            near_miss(self, PASS_NAME, op, "an attribute is a reference, not a value")
            return
        if stash != STASH_F32 and elem_of(op.X) != TensorProto.FLOAT:
            near_miss(self, PASS_NAME, op, f"stash_type {stash} computes the statistics in the input type, not f32")
            return
        fused = LayerNormOp.create(
            operands=[op.X, op.Scale, op.B],
            result_types=[op.Y.type],
            properties={"axis": IntegerAttr(axis, i64), "epsilon": epsilon},
        )
        fuse(rewriter, self, PASS_NAME, op, fused, [op], [op.Y])


@register
@dataclass(frozen=True)
class FuseLayerNormPass(PatternPass):
    name = PASS_NAME
    summary = "ReduceMean/Sub/Pow/ReduceMean/Add(ε)/Sqrt/Div/Mul(γ)/Add(β), and LayerNormalization → nn.layer_norm"
    accuracy = Accuracy.FLOAT_BOUNDED

    def patterns(self) -> list[OpPattern]:
        return [FuseLayerNorm(), RaiseLayerNormalization()]
