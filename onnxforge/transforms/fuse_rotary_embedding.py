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
from xdsl.dialects.builtin import ArrayAttr, IntegerAttr, i64
from xdsl.ir import Operation, SSAValue
from xdsl.pattern_rewriter import PatternRewriter

from onnxforge.dialects.nn import SOURCES_ATTR, RotaryEmbeddingOp
from onnxforge.dialects.onnx.generated import (
    AddOp,
    ConcatOp,
    CosOp,
    DivOp,
    MulOp,
    NegOp,
    SinOp,
    SliceOp,
    SubOp,
    UnsqueezeOp,
    UnsqueezeV1Op,
)
from onnxforge.dialects.onnx.structure import NoValueOp
from onnxforge.ir.builders import standard_op
from onnxforge.ir.tensor import TensorValue
from onnxforge.ir.types import Dim, tensor_type
from onnxforge.passmanager import Accuracy, OpPattern, PatternPass, register
from onnxforge.transforms._common import constant_of, dims_of, elem_of, int_constant, int_prop, ints_prop, is_absent
from onnxforge.transforms._fusion import constant_op, fuse, model_opset, near_miss
from onnxforge.transforms._matching import CAST_OPS, FLOAT_ELEMS, cast_target, other_operand, producer, scalar

PASS_NAME = "nn-fuse-rotary-embedding"

ELEMENTWISE_UNARY = (CosOp, SinOp, NegOp, *CAST_OPS)
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


class FuseRotaryEmbedding(OpPattern):
    """x·cos + rotate_half(x)·sin (equal halves) → nn.rotary_embedding(x, cos[..., :h], sin[..., :h])."""

    roots = (AddOp,)

    def match_and_rewrite(self, op: Operation, rewriter: PatternRewriter) -> None:
        for cos_term, sin_term in (op.operands, reversed(op.operands)):
            mul_cos, mul_sin = producer(cos_term, MulOp), producer(sin_term, MulOp)
            if mul_cos is None or mul_sin is None or mul_cos is mul_sin:
                continue
            for rotated in mul_sin.operands:
                half = _rotate_half(rotated)
                if isinstance(half, str):
                    near_miss(self, PASS_NAME, op, half)
                    return
                if half is None:
                    continue
                if half.x not in mul_cos.operands:
                    near_miss(self, PASS_NAME, op, "x·cos and rotate_half(x)·sin rotate different values")
                    return
                cos, sin = other_operand(mul_cos, half.x), other_operand(mul_sin, rotated)
                self._fuse(op, half, cos, sin, [mul_cos, mul_sin], rewriter)
                return

    def _fuse(self, anchor: Operation, half: _RotateHalf, cos4: SSAValue, sin4: SSAValue,
              muls: list[Operation], rewriter: PatternRewriter) -> None:
        x = half.x
        dims = dims_of(x)
        if dims is None or len(dims) != 4 or not isinstance(dims[3], int) or dims[3] % 2:
            near_miss(self, PASS_NAME, anchor, "the rotated value is not 4-D [B, H, S, D] with a static even D")
            return
        head = dims[3]
        if elem_of(x) not in FLOAT_ELEMS:
            near_miss(self, PASS_NAME, anchor, "the rotated value is not a float tensor of a known type")
            return
        caches: list[SSAValue] = []
        unsqueezes: list[Operation] = []
        for name, value in (("cos", cos4), ("sin", sin4)):
            unsqueeze = _unsqueezed_at_1(value)
            if unsqueeze is None:
                near_miss(self, PASS_NAME, anchor, f"{name} is not Unsqueeze(·, axes=[1]) of a [B, S, D] tensor")
                return
            cache = unsqueeze.operands[0]
            if reason := _cache_reason(cache, dims, elem_of(x)):
                near_miss(self, PASS_NAME, anchor, f"{name}: {reason}")
                return
            if not _halves_equal(cache):
                near_miss(self, PASS_NAME, anchor, f"{name}: its two halves along the last dim are not provably equal")
                return
            caches.append(cache)
            unsqueezes.append(unsqueeze)
        opset = model_opset(anchor)
        if opset < MIN_OPSET:
            near_miss(self, PASS_NAME, anchor, f"model opset {opset} < {MIN_OPSET} (the cache Slice needs inputs)")
            return
        absent = NoValueOp()
        extra: list[Operation] = [absent]
        halves = [_first_half(cache, head // 2, anchor, absent.results[0], extra) for cache in caches]
        heads = dims[1] if isinstance(dims[1], int) else 0
        fused = RotaryEmbeddingOp.create(
            operands=[x, halves[0], halves[1], absent.results[0]],
            result_types=[anchor.results[0].type],
            properties={
                "num_heads": IntegerAttr(heads, i64),
                "rotary_dim": IntegerAttr(head, i64),
                "interleaved": IntegerAttr(0, i64),
            },
        )
        replaced = [anchor, *muls, *half.ops, *unsqueezes]
        fuse(rewriter, self, PASS_NAME, anchor, fused, replaced, [anchor.results[0]], extra_ops=extra)


class FusePartialRotary(OpPattern):
    """Concat(rotary(Slice(x, 0:r)), Slice(x, r:D)) → nn.rotary_embedding(x, rotary_dim = r).

    HF's partial rotation (GPT-NeoX, Phi) rotates the first ``r`` dims of each head and passes
    the rest through: exactly the op's ``rotary_dim`` (the caches are already ``r/2`` wide).
    """

    roots = (ConcatOp,)

    def match_and_rewrite(self, op: Operation, rewriter: PatternRewriter) -> None:
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
        part = rotary.rotary_dim.value.data  # type: ignore[attr-defined]
        if first is None or rest is None or first != (rest[0], 0, part) or rest[1:] != (part, dims[3]):
            near_miss(self, PASS_NAME, op, "the rotated and passed-through parts are not [0:r] and [r:D] of one value")
            return
        fused = RotaryEmbeddingOp.create(
            operands=[first[0], rotary.cos, rotary.sin, rotary.position_ids],
            result_types=[op.results[0].type],
            properties=dict(rotary.properties),
        )
        inner = rotary.attributes.get(SOURCES_ATTR)
        if fuse(rewriter, self, PASS_NAME, op, fused, [op, rotary, rotated, passed], [op.results[0]]):
            outer = fused.attributes[SOURCES_ATTR]
            if isinstance(inner, ArrayAttr) and isinstance(outer, ArrayAttr):  # keep the inner op's provenance
                fused.attributes[SOURCES_ATTR] = ArrayAttr(list(dict.fromkeys([*outer.data, *inner.data])))


@register
@dataclass(frozen=True)
class FuseRotaryEmbeddingPass(PatternPass):
    name = PASS_NAME
    summary = "x·cos + rotate_half(x)·sin (HF apply_rotary_pos_emb) → nn.rotary_embedding"
    accuracy = Accuracy.FLOAT_BOUNDED

    def patterns(self) -> list[OpPattern]:
        return [FuseRotaryEmbedding(), FusePartialRotary()]


# --- matching ------------------------------------------------------------------------------------


def _last_dim_slice(op: Operation, head: int) -> tuple[SSAValue, int, int] | None:
    """(data, start, end) of a unit-step Slice of the last dim of a 4-D value with that last dim, clamped."""
    if not isinstance(op, SliceOp):
        return None
    data = op.operands[0]
    dims = dims_of(data)
    if dims is None or len(dims) != 4 or dims[3] != head:
        return None
    starts, ends = int_constant(op.operands[1]), int_constant(op.operands[2])
    axes = int_constant(op.operands[3]) if not is_absent(op.operands[3]) else [0]
    steps = int_constant(op.operands[4]) if not is_absent(op.operands[4]) else [1]
    if starts is None or ends is None or axes is None or steps is None:
        return None
    if not (len(starts) == len(ends) == len(axes) == len(steps) == 1) or axes[0] not in (-1, 3) or steps[0] != 1:
        return None
    start, end = (min(max(v + head if v < 0 else v, 0), head) for v in (starts[0], ends[0]))
    return data, start, end


def _rotate_half(value: SSAValue) -> _RotateHalf | str | None:
    """Match ``Concat(Neg(Slice(x, h:D)), Slice(x, 0:h), axis=-1)`` on a 4-D ``x`` with static even ``D``.

    None when ``value`` is not a Concat of a Neg and a Slice; a reason when it is, but not rotate_half.
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
        return "rotate_half's result is not 4-D with a static even last dim"
    head = dims[3]
    if int_prop(concat, "axis") not in (-1, 3):
        return "rotate_half's Concat is not along the last dim"
    second, first = _last_dim_slice(high, head), _last_dim_slice(low, head)
    if second is None or first is None:
        return "rotate_half's Slices are not constant unit-step slices of the last dim"
    if second[0] != first[0]:
        return "rotate_half's Slices read different values"
    if first[1:] != (0, head // 2) or second[1:] != (head // 2, head):
        low, high = f"[{first[1]}:{first[2]}]", f"[{second[1]}:{second[2]}]"
        return f"rotate_half's Slices are {low} and {high}, not the halves of {head}"
    return _RotateHalf(first[0], [concat, neg, high, low])


def _unsqueezed_at_1(value: SSAValue) -> Operation | None:
    """The Unsqueeze inserting dim 1 (HF's ``cos.unsqueeze(1)``) that defines ``value``."""
    op = producer(value, UnsqueezeOp, UnsqueezeV1Op)
    if op is None:
        return None
    axes = ints_prop(op, "axes") if isinstance(op, UnsqueezeV1Op) else int_constant(op.operands[1])
    return op if axes is not None and list(axes) in ([1], [-3]) else None  # -3 is 1 in the 4-D result


def _cache_reason(cache: SSAValue, x_dims: tuple[Dim, ...], elem: int | None) -> str | None:
    """Why ``cache`` is not ``[1 or B, S, D]`` of x's element type (None when it is)."""
    dims = dims_of(cache)
    if dims is None or len(dims) != 3:
        return "not a 3-D [B, S, D] tensor of known shape"
    batch, seq, head = dims
    if head != x_dims[3] or seq is None or seq != x_dims[2]:
        return f"shape {list(dims)} does not match [B, S, D] of the rotated value {list(x_dims)}"
    if batch != 1 and (batch is None or batch != x_dims[0]):
        return f"batch dim {batch} is neither 1 nor the rotated value's {x_dims[0]}"
    if elem_of(cache) != elem:
        return "element type differs from the rotated value's"
    return None


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
            if isinstance(op, CAST_OPS) and cast_target(op) not in FLOAT_ELEMS:
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


def _first_half(cache: SSAValue, half: int, anchor: Operation, absent: SSAValue, extra: list[Operation]) -> SSAValue:
    """``Slice(cache, 0:half, axis=-1)``; the new ops go to ``extra`` (inserted before the anchor)."""
    bounds = [constant_op(anchor, np.array([number], dtype=np.int64)) for number in (0, half, -1)]
    dims = dims_of(cache)
    assert dims is not None
    result = tensor_type(elem_of(cache) or TensorProto.FLOAT, (*dims[:-1], half))
    op = standard_op("Slice", model_opset(anchor), [cache, *(b.results[0] for b in bounds), absent], [result])
    extra += [*bounds, op]
    return op.results[0]
