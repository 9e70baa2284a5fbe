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

import numpy as np
from onnx import TensorProto
from xdsl.dialects.builtin import FloatAttr, IntegerAttr, f32, i64
from xdsl.ir import Operation, SSAValue

from onnxforge.dialects.nn import FLOAT_ELEMS, HALF_ELEMS, LayerNormOp
from onnxforge.dialects.onnx.generated import (
    AddOp,
    CastFamily,
    DivOp,
    LayerNormalizationOp,
    MulOp,
    PowOp,
    ReduceMeanFamily,
    SqrtOp,
    SubOp,
)
from onnxforge.dialects.onnx.queries import cast_to, dims_of, elem_of, int_prop
from onnxforge.ir.tensor import np_dtype
from onnxforge.transforms.fusion import Build, Fusion, FusionPass, FusionPattern, fail
from onnxforge.transforms.matching import (
    NormMatch,
    normalised_axis,
    normalised_parameter,
    other_operand,
    producer,
    read_only_inside,
    rms_operand,
    scalar_into,
    sole_user,
)

STASH_F32 = 1
"""``stash_type`` of LayerNormalization: statistics in f32 (the default)."""


class FuseLayerNorm(FusionPattern):
    """(x - mean(x)) / sqrt(mean((x - mean(x))²) + ε) · γ + β → nn.layer_norm(x, γ, β, axis, ε)."""

    def match(self, op: DivOp | MulOp, fusion: Fusion) -> None:
        candidate = rms_operand(op)
        if candidate is None:
            return
        d, std, inverse = candidate
        stash = producer(d, CastFamily)
        sub = producer(stash.operands[0] if stash is not None else d, SubOp)
        mean = producer(sub.operands[1], ReduceMeanFamily) if sub is not None else None
        if sub is None or mean is None or mean.operands[0] != sub.operands[0]:
            return  # not centred: an RMSNorm (nn-fuse-rms-norm) or no norm at all
        if stash is not None and not (cast_to(stash) == TensorProto.FLOAT and elem_of(sub.operands[0]) in HALF_ELEMS):
            fail("the centred value is cast, but not from f16/bf16 to f32")
        found = _core(op, sub, mean, d, std, [*inverse, *([stash] if stash is not None else [])])
        _rewrite(op, found, stash is not None, fusion)


def _core(op: Operation, sub: Operation, mean: Operation, d: SSAValue, std: SSAValue, inverse: list[Operation]) -> NormMatch:
    """The proved statistics chain of the centred value ``d`` under ``std`` (or fail)."""
    x = sub.operands[0]
    sqrt = producer(std, SqrtOp)
    add = producer(sqrt.operands[0], AddOp) if sqrt is not None else None
    var_mean = square = None
    for var in add.operands if add is not None else ():
        if (var_mean := producer(var, ReduceMeanFamily)) is not None:
            square = producer(var_mean.operands[0], PowOp, MulOp)
            break
    if sqrt is None or add is None or var_mean is None:
        fail("the divisor is not Sqrt(ReduceMean(…) + ε)")
    if square is None or not _squares(square, d):
        fail("the variance is not the mean of Pow(d, 2) or d·d for the centred d")
    epsilon = scalar_into(other_operand(add, var), var)
    if epsilon is None or elem_of(other_operand(add, var)) not in FLOAT_ELEMS:
        fail("epsilon is not a one-element float constant")
    axis = normalised_axis(mean, x)
    if normalised_axis(var_mean, d) != axis:
        fail("the mean and the variance reduce different axes")
    if elem_of(x) not in FLOAT_ELEMS:
        fail("the normalised value is not a float tensor of a known type")
    ops = [op, *inverse, sqrt, add, var_mean, square, sub, mean]
    read_only_inside(ops, op, "LayerNorm")
    return NormMatch(x, ops, epsilon, axis)


def _rewrite(op: Operation, found: NormMatch, stashed: bool, fusion: Fusion) -> None:
    dims = dims_of(found.x) or ()
    normalised = tuple(dims[found.axis:])
    out, replaced = op.results[0], list(found.ops)
    if stashed:  # f32 statistics of a half-precision x: the normalised value goes back to x's type
        back = sole_user(out)
        if not isinstance(back, CastFamily) or cast_to(back) != elem_of(found.x):
            fail("the f32 normalised value is not cast back to the input's type")
        out = back.results[0]
        replaced.append(back)
    scale = bias = None
    if (gamma := normalised_parameter(out, MulOp, normalised)) is not None:
        scale, out = gamma[0], gamma[1].results[0]
        replaced.append(gamma[1])
    if (beta := normalised_parameter(out, AddOp, normalised)) is not None:
        bias, out = beta[0], beta[1].results[0]
        replaced.append(beta[1])
    if scale is None:
        elem = elem_of(found.x)
        if elem is None or not all(isinstance(d, int) for d in normalised):
            fail("no γ, and the normalised dims are not static (cannot build a scale of ones)")
        scale = fusion.constant(np.ones(normalised, dtype=np_dtype(elem)), elem)
    fused = Build(LayerNormOp, [found.x, scale, fusion.absent if bias is None else bias], [out.type],
                  {"axis": IntegerAttr(found.axis, i64), "epsilon": FloatAttr(found.epsilon, f32)})
    fusion.replace(out.owner, fused, replaced, {out: fused.output})  # type: ignore[arg-type]


def _squares(square: Operation, d: SSAValue) -> bool:
    """``square`` is ``Pow(d, 2)`` (the exponent not broadcasting d larger) or ``Mul(d, d)``."""
    if isinstance(square, PowOp):
        return square.operands[0] == d and scalar_into(square.operands[1], d) == 2.0
    return square.operands[0] == square.operands[1] == d


class RaiseLayerNormalization(FusionPattern):
    """LayerNormalization(x, γ, β) with unused statistics outputs = nn.layer_norm(x, γ, β) (same attributes)."""

    def match(self, op: LayerNormalizationOp, fusion: Fusion) -> None:
        if any(r.uses for r in op.results[1:]):
            fail("its Mean / InvStdDev outputs are used")
        axis, stash = int_prop(op, "axis", -1), int_prop(op, "stash_type", STASH_F32)
        epsilon = op.properties.get("epsilon", FloatAttr(1e-5, f32))
        if axis is None or stash is None or not isinstance(epsilon, FloatAttr):
            fail("an attribute is a reference, not a value")
        if stash != STASH_F32 and elem_of(op.X) != TensorProto.FLOAT:
            fail(f"stash_type {stash} computes the statistics in the input type, not f32")
        fused = Build(LayerNormOp, [op.X, op.Scale, op.B], [op.Y.type], {"axis": IntegerAttr(axis, i64), "epsilon": epsilon})
        fusion.replace(op, fused, [op], {op.Y: fused.output})


@dataclass(frozen=True)
class FuseLayerNormPass(FusionPass):
    name = "nn-fuse-layer-norm"
    summary = "ReduceMean/Sub/Pow/ReduceMean/Add(ε)/Sqrt/Div/Mul(γ)/Add(β), and LayerNormalization → nn.layer_norm"

    def patterns(self) -> list[FusionPattern]:
        return [FuseLayerNorm(), RaiseLayerNormalization()]
