"""``nn-fuse-rotary-embedding``: HF's ``apply_rotary_pos_emb`` becomes one ``nn.rotary_embedding``.

Matched from the Add (the anchor), operands of Add/Mul in either order::

    y = Add(Mul(x, C), Mul(Concat(Neg(Slice(x, h:D)), Slice(x, 0:h), axis = -1), S))
    C = Unsqueeze(cos, axes = [1]),  S = Unsqueeze(sin, axes = [1])

with ``x`` of shape ``[B, H, S, D]`` (``D = 2h`` static), ``cos``/``sin`` of shape ``[B', S, D]``
(``B'`` is 1 or ``B``: the same ``S`` and ``D``, so nothing broadcasts ``x`` larger).

Identity: ``Concat(Neg(x₂), x₁)`` is HF's ``rotate_half(x)``. When ``cos = [c, c]`` and
``sin = [s, s]`` along the last dim (equal halves), ``x·cos + rotate_half(x)·sin`` is
``[x₁·c − x₂·s, x₂·c + x₁·s]``: the non-interleaved rotary embedding of ``x`` with the caches
``c = cos[..., :h]`` and ``s = sin[..., :h]``, which the fused op reads (a Slice of the graph's
cos/sin). The halves are *proven* equal, never assumed: the value is a chain of elementwise
ops (Cos, Sin, Neg, Cast, or arithmetic with a one-element constant) over
``Concat(t, t, axis = -1)`` (HF builds ``emb = cat(freqs, freqs)``), or a constant whose
halves compare equal. Otherwise the candidate is a near miss. The fused op takes the 4-D
``x`` (``num_heads`` from its dim 1 where static), ``rotary_dim = D``, no position ids.

Partial rotation (GPT-NeoX, Phi): ``Concat(rotary(Slice(q, 0:r)), Slice(q, r:D), axis = -1)``
is ``nn.rotary_embedding(q, rotary_dim = r)`` by definition of ``rotary_dim`` (the first ``r``
dims rotate, the rest pass through); a second pattern widens the op once the first has fired.
``nn-fuse-attention`` may later rewrite the op to the 3-D ``[B, S, H·D]`` form; both lower.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from onnx import TensorProto
from xdsl.dialects.builtin import IntegerAttr, i64
from xdsl.ir import Operation, SSAValue

from onnxforge.dialects.nn import FLOAT_ELEMS, RotaryEmbeddingOp
from onnxforge.dialects.onnx.builders import standard_class
from onnxforge.dialects.onnx.generated import (
    AddOp,
    CastFamily,
    ConcatOp,
    CosOp,
    DivOp,
    MulOp,
    NegOp,
    SinOp,
    SliceOp,
    SubOp,
    UnsqueezeFamily,
)
from onnxforge.dialects.onnx.queries import (
    axes_of,
    cast_to,
    constant_of,
    dims_of,
    elem_of,
    int_prop,
    scalar,
    slice_params,
)
from onnxforge.ir.tensor import TensorValue
from onnxforge.ir.types import Dim, tensor_type
from onnxforge.transforms.fusion import Build, Fusion, FusionPass, FusionPattern, Value, fail
from onnxforge.transforms.matching import other_operand, producer

ELEMENTWISE_UNARY = (CosOp, SinOp, NegOp, CastFamily)
"""Ops that map each element on its own, so they keep equal halves equal."""
ELEMENTWISE_BINARY = (AddOp, SubOp, MulOp, DivOp)
MIN_OPSET = 13
"""The new ops (Constant, Slice) are written in their opset-13 forms."""
MAX_CHAIN = 16
"""Elementwise ops walked back from cos/sin before giving up on the equal-halves proof."""


@dataclass
class _RotateHalf:
    """``Concat(Neg(Slice(x, h:D)), Slice(x, 0:h))`` along the last dim of ``x``."""

    x: SSAValue
    ops: list[Operation]


class FuseRotaryEmbedding(FusionPattern):
    """x·cos + rotate_half(x)·sin (equal halves) → nn.rotary_embedding(x, cos[..., :h], sin[..., :h])."""

    def match(self, op: AddOp, fusion: Fusion) -> None:
        for cos_term, sin_term in (op.operands, reversed(op.operands)):
            mul_cos, mul_sin = producer(cos_term, MulOp), producer(sin_term, MulOp)
            if mul_cos is None or mul_sin is None or mul_cos is mul_sin:
                continue
            for rotated in mul_sin.operands:
                half = _rotate_half(rotated)
                if half is None:
                    continue
                if half.x not in mul_cos.operands:
                    fail("x·cos and rotate_half(x)·sin rotate different values")
                cos, sin = other_operand(mul_cos, half.x), other_operand(mul_sin, rotated)
                _fuse(op, half, cos, sin, [mul_cos, mul_sin], fusion)
                return


def _fuse(anchor: Operation, half: _RotateHalf, cos4: SSAValue, sin4: SSAValue, muls: list[Operation],
          fusion: Fusion) -> None:
    x = half.x
    dims = dims_of(x)
    if dims is None or len(dims) != 4 or not isinstance(dims[3], int) or dims[3] % 2:
        fail("the rotated value is not 4-D [B, H, S, D] with a static even D")
    head = dims[3]
    if elem_of(x) not in FLOAT_ELEMS:
        fail("the rotated value is not a float tensor of a known type")
    caches: list[SSAValue] = []
    unsqueezes: list[Operation] = []
    for name, value in (("cos", cos4), ("sin", sin4)):
        unsqueeze = _unsqueezed_at_1(value)
        if unsqueeze is None:
            fail(f"{name} is not Unsqueeze(·, axes=[1]) of a [B, S, D] tensor")
        cache = unsqueeze.operands[0]
        _check_cache(name, cache, dims, elem_of(x))
        if not _halves_equal(cache):
            fail(f"{name}: its two halves along the last dim are not provably equal")
        caches.append(cache)
        unsqueezes.append(unsqueeze)
    if fusion.opset < MIN_OPSET:
        fail(f"model opset {fusion.opset} < {MIN_OPSET} (the cache Slice needs inputs)")
    halves = [_first_half(cache, head // 2, fusion) for cache in caches]
    heads = dims[1] if isinstance(dims[1], int) else 0
    fused = Build(RotaryEmbeddingOp, [x, halves[0].results[0], halves[1].results[0], fusion.absent], [anchor.results[0].type],
                  {"num_heads": IntegerAttr(heads, i64), "rotary_dim": IntegerAttr(head, i64),
                   "interleaved": IntegerAttr(0, i64)})
    replaced = [anchor, *muls, *half.ops, *unsqueezes]
    fusion.replace(anchor, [*halves, fused], replaced, {anchor.results[0]: fused.output})


class FusePartialRotary(FusionPattern):
    """Concat(rotary(Slice(x, 0:r)), Slice(x, r:D)) → nn.rotary_embedding(x, rotary_dim = r).

    HF's partial rotation (GPT-NeoX, Phi) rotates the first ``r`` dims of each head and passes
    the rest through: exactly the op's ``rotary_dim`` (the caches are already ``r/2`` wide).
    """

    def match(self, op: ConcatOp, fusion: Fusion) -> None:
        if len(op.operands) != 2 or int_prop(op, "axis") not in (-1, 3):
            return
        rotary = producer(op.operands[0], RotaryEmbeddingOp)
        rotated, passed = producer(rotary.input, SliceOp) if rotary else None, producer(op.operands[1], SliceOp)
        if rotary is None or rotated is None or passed is None:
            return
        dims = dims_of(rotated.operands[0])
        if dims is None or len(dims) != 4 or not isinstance(dims[3], int):
            return
        first, rest = _last_dim_slice(rotated, dims[3]), _last_dim_slice(passed, dims[3])
        part = rotary.rotary_dim.value.data
        if first is None or rest is None or first != (rest[0], 0, part) or rest[1:] != (part, dims[3]):
            fail("the rotated and passed-through parts are not [0:r] and [r:D] of one value")
        fused = Build(RotaryEmbeddingOp, [first[0], rotary.cos, rotary.sin, rotary.position_ids], [op.results[0].type],
                      dict(rotary.properties))
        fusion.replace(op, fused, [op, rotary, rotated, passed], {op.results[0]: fused.output})


@dataclass(frozen=True)
class FuseRotaryEmbeddingPass(FusionPass):
    name = "nn-fuse-rotary-embedding"
    summary = "x·cos + rotate_half(x)·sin (HF apply_rotary_pos_emb) → nn.rotary_embedding"

    def patterns(self) -> list[FusionPattern]:
        return [FuseRotaryEmbedding(), FusePartialRotary()]


# --- matching ------------------------------------------------------------------------------------


def _last_dim_slice(op: Operation, head: int) -> tuple[SSAValue, int, int] | None:
    """(data, start, end) of a unit-step Slice of the last dim of a 4-D value with that last dim, clamped."""
    if not isinstance(op, SliceOp):
        return None
    data = op.operands[0]
    dims = dims_of(data)
    params = slice_params(op)
    if dims is None or len(dims) != 4 or dims[3] != head or params is None:
        return None
    starts, ends, axes, steps = params[0], params[1], params[2] or [0], params[3] or [1]
    if not (len(starts) == len(ends) == len(axes) == len(steps) == 1) or axes[0] not in (-1, 3) or steps[0] != 1:
        return None
    start, end = (min(max(v + head if v < 0 else v, 0), head) for v in (starts[0], ends[0]))
    return data, start, end


def _rotate_half(value: SSAValue) -> _RotateHalf | None:
    """Match ``Concat(Neg(Slice(x, h:D)), Slice(x, 0:h), axis=-1)`` on a 4-D ``x`` with static even ``D``.

    None when ``value`` is not a Concat of a Neg and a Slice; fail when it is, but not rotate_half.
    """
    concat = producer(value, ConcatOp)
    if concat is None or len(concat.operands) != 2:
        return None
    neg, low = producer(concat.operands[0], NegOp), producer(concat.operands[1], SliceOp)
    high = producer(neg.operands[0], SliceOp) if neg is not None else None
    if high is None or low is None:
        return None
    dims = dims_of(value)
    if dims is None or len(dims) != 4 or not isinstance(dims[3], int) or dims[3] % 2:
        fail("rotate_half's result is not 4-D with a static even last dim")
    head = dims[3]
    if int_prop(concat, "axis") not in (-1, 3):
        fail("rotate_half's Concat is not along the last dim")
    second, first = _last_dim_slice(high, head), _last_dim_slice(low, head)
    if second is None or first is None:
        fail("rotate_half's Slices are not constant unit-step slices of the last dim")
    if second[0] != first[0]:
        fail("rotate_half's Slices read different values")
    if first[1:] != (0, head // 2) or second[1:] != (head // 2, head):
        low, high = f"[{first[1]}:{first[2]}]", f"[{second[1]}:{second[2]}]"
        fail(f"rotate_half's Slices are {low} and {high}, not the halves of {head}")
    return _RotateHalf(first[0], [concat, neg, high, low])


def _unsqueezed_at_1(value: SSAValue) -> Operation | None:
    """The Unsqueeze inserting dim 1 (HF's ``cos.unsqueeze(1)``) that defines ``value``."""
    op = producer(value, UnsqueezeFamily)
    axes = axes_of(op) if op is not None else None
    return op if axes is not None and list(axes) in ([1], [-3]) else None  # -3 is 1 in the 4-D result


def _check_cache(name: str, cache: SSAValue, x_dims: tuple[Dim, ...], elem: int | None) -> None:
    """Fail unless ``cache`` is ``[1 or B, S, D]`` of x's element type."""
    dims = dims_of(cache)
    if dims is None or len(dims) != 3:
        fail(f"{name}: not a 3-D [B, S, D] tensor of known shape")
    batch, seq, head = dims
    if head != x_dims[3] or seq is None or seq != x_dims[2]:
        fail(f"{name}: shape {list(dims)} does not match [B, S, D] of the rotated value {list(x_dims)}")
    if batch != 1 and (batch is None or batch != x_dims[0]):
        fail(f"{name}: batch dim {batch} is neither 1 nor the rotated value's {x_dims[0]}")
    if elem_of(cache) != elem:
        fail(f"{name}: element type differs from the rotated value's")


def _halves_equal(value: SSAValue) -> bool:
    """``value[..., :h] == value[..., h:]`` for every input: proven from the graph, or read off a constant."""
    for _ in range(MAX_CHAIN):
        constant = constant_of(value)
        if constant is not None:
            return _constant_halves_equal(constant)
        op = value.owner
        if isinstance(op, ConcatOp):
            a, b = op.operands if len(op.operands) == 2 else (None, None)
            dims = dims_of(value)
            axis = int_prop(op, "axis")
            return a is not None and a == b and dims is not None and axis in (-1, len(dims) - 1)
        if isinstance(op, ELEMENTWISE_UNARY):
            if isinstance(op, CastFamily) and cast_to(op) not in FLOAT_ELEMS:
                return False  # a Cast to an integer type would still keep halves equal, but there is no such export
            value = op.operands[0]
        elif isinstance(op, ELEMENTWISE_BINARY) and not op.properties:
            a, b = op.operands
            if scalar(b) is not None:
                value = a
            elif scalar(a) is not None:
                value = b
            else:
                return False
        else:
            return False
    return False


def _constant_halves_equal(constant: TensorValue) -> bool:
    if constant.strings is not None or not constant.dims or constant.dims[-1] % 2 or constant.size > 1 << 22:
        return False
    array = constant.numpy()
    half = array.shape[-1] // 2
    return bool(np.array_equal(array[..., :half], array[..., half:]))


def _first_half(cache: SSAValue, half: int, fusion: Fusion) -> Build:
    """``Slice(cache, 0:half, axis=-1)`` (the cache's dims are known: ``_check_cache`` read them)."""
    bounds: list[Value] = [fusion.constant(np.array([number], dtype=np.int64)) for number in (0, half, -1)]
    result = tensor_type(elem_of(cache) or TensorProto.FLOAT, (*(dims_of(cache) or ())[:-1], half))
    return Build(standard_class("Slice", fusion.opset), [cache, *bounds, fusion.absent], [result])
