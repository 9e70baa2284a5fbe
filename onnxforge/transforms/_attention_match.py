"""Matching exported attention blocks for ``nn-fuse-attention``: the chain from the head splits to the merge.

Every export writes attention over heads as ``[B, H, S, D]`` tensors::

    q4 = split_heads(q)            k4 = split_heads(k)            v4 = split_heads(v)
    scores = q4 @ kᵀ                    (kᵀ: [B, H, D, T])
    p = Softmax(scores·scale + mask, axis = -1)
    out = merge_heads(p @ v4)           ([B, S, H·D])

with ``split_heads(x) = Transpose(Reshape(x, [B, T, H, D]), [0, 2, 1, 3])`` and ``merge_heads``
its inverse. The exporters differ in the details, all matched here:

* kᵀ is ``Transpose(Reshape(k), [0, 2, 3, 1])`` (TorchScript BERT), ``Transpose(k4, [0, 1, 3, 2])``
  (Llama), or SDPA's ``Reshape(Transpose(Reshape(k4, [B·H, T, D]), [0, 2, 1]), [B, H, D, T])``;
* the scale is a scalar ``Mul``/``Div`` on the scores, on q4 or on q before the split
  (Whisper), or split as ``√s`` on both q4 and kᵀ (SDPA); the factors multiply;
* Llama's rotary embedding (a 4-D ``nn.rotary_embedding`` after the split, made by
  ``nn-fuse-rotary-embedding``) and ``repeat_kv`` (``Reshape(Expand(Unsqueeze(k4, 2)))``: each KV
  head repeated ``g`` times in a row, which is grouped-query attention with ``H / g`` KV heads);
* SDPA's ``Where(IsNaN(p), 0, p)`` guard after the softmax: the identity when the softmax cannot
  produce NaN (finite scores, and no mask or a ``Where`` of finite constants: a row masked
  entirely by ``-3.4e38`` is uniform, not NaN); with a mask that may hold ``-inf`` it zeroes the
  rows masked entirely, and moves to the fused output (``Match.nan_guard``);
* a KV cache (a decoder's later steps): k and v are ``Concat(past, split_heads(x), axis = 2)``
  with ``past`` a ``[B, H, P, D]`` value (the ``past_key_values.*`` inputs) and the concatenation
  the ``present.*`` output; the block then attends over ``P + T`` keys (``Heads.past``), before
  any ``repeat_kv`` (the cache holds the KV heads). A factor or rotation on the new step only is
  part of the split, never of the scale, since the past is not scaled. A mask that reads the present's
  shape (T5's position bias) is kept, its ``Shape(present)`` recomputed by the fusion (``Match.shape_reads``);
* K/V heads the block does not compute: a ``[B, H, T, D]`` graph, branch or outer value (an encoder–decoder's
  cached cross-attention K/V), taken as they are (``kv_heads``);
* a mask that is provably all zero (ViT's dynamo export adds ``Where(Expand(True), 0, -max)``)
  is no mask, and SDPA's triangular ``is_causal`` mask over ``S = T`` is ``is_causal``.

Shapes are read from the IR types (filled by ``onnx-infer-shapes``), never assumed: a head split
is proven by a Reshape whose input ``[B, T, N]`` and output ``[B, T, H, D]`` agree on ``B``, ``T``
and ``N = H·D``, which makes it the split of the last dim whatever shape operand computed it.
A check that fails calls ``fail`` with the reason for the near-miss report.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from xdsl.ir import Operation, SSAValue

from onnxforge.dialects.nn import FLOAT_ELEMS, RotaryEmbeddingOp
from onnxforge.dialects.onnx.generated import (
    AddOp,
    ConcatFamily,
    DivOp,
    EqualOp,
    ExpandOp,
    IsNaNOp,
    MatMulOp,
    MulOp,
    ReshapeFamily,
    ShapeFamily,
    SliceFamily,
    SplitFamily,
    TransposeOp,
    TriluOp,
    UnsqueezeFamily,
    WhereOp,
)
from onnxforge.dialects.onnx.queries import (
    axes_of,
    constant_of,
    dims_of,
    elem_of,
    int_constant,
    int_prop,
    ints_prop,
    is_absent,
    reshape_shape,
    scalar,
    slice_params,
)
from onnxforge.ir.types import Dim
from onnxforge.passmanager import Mismatch, fail
from onnxforge.transforms.matching import other_operand, producer

SPLIT_PERM = (0, 2, 1, 3)
"""[B, T, H, D] → [B, H, T, D] (and back)."""
SPLIT_T_PERM = (0, 2, 3, 1)
"""[B, T, H, D] → [B, H, D, T]: the key split and transposed in one step."""
SWAP_LAST = (0, 1, 3, 2)
FIRST_OPSET_SOFTMAX_LAST_AXIS = 13
"""Softmax's default axis is -1 from opset 13 on (1 before, over the flattened trailing dims)."""


@dataclass
class Heads:
    """A ``[B, H·g, T, D]`` value computed from the 3-D ``x3 = [B, T, H·D]``.

    ``x3`` is split into ``heads`` heads of ``head_size``, then (optionally) rotated by ``rotary``
    (a 4-D ``nn.rotary_embedding``), multiplied by ``scale`` and each head repeated ``group``
    times in a row (``repeat_kv``).
    """

    x3: SSAValue
    heads: int
    head_size: int
    ops: list[Operation]
    group: int = 1
    scale: float = 1.0
    rotary: RotaryEmbeddingOp | None = None
    cache: Operation | None = None
    """``Concat(past, split_heads(x3), axis = 2)`` when the heads are a KV cache's present value."""
    presplit: bool = False
    """``x3`` is itself ``[B, H, T, D]``: K/V heads the block takes as they are (a cached cross-attention's inputs)."""
    merge: bool = False
    """``x3`` is ``[B, T, H, D]``: the heads were made in that layout by something other than a Reshape of a
    ``[B, T, H·D]`` value (Qwen3's per-head norm, GPT-J's rotary on ``[B, T, H, D]``, Falcon's Gather of its
    one K head from ``[B, T, H + 2, D]``), so the fused op reads ``Reshape(x3, [0, 0, H·D])``: the same
    elements in the same order, which the op splits back into exactly those heads."""
    part: tuple[int, int] | None = None
    """``(j, n)``: the heads are the ``j``-th of ``n`` equal slices of each head of ``x3``'s split — GPT-NeoX's one
    projection laid out ``[B, S, H, n·D]`` and chunked per head. ``x3`` is then that projection (``[B, S, H·n·D]``),
    not this part's: the fusion makes the part by permuting the projection's weight columns (``FuseAttention``)."""

    @property
    def past(self) -> SSAValue | None:
        """The cached ``[B, H, P, D]`` heads the new step is appended to."""
        return None if self.cache is None else self.cache.operands[0]

    @property
    def batch(self) -> Dim:
        dims = dims_of(self.x3)
        return dims[0] if dims else None

    @property
    def length(self) -> Dim:
        """``T``: the new step's length, or ``P + T`` with a cache (what the attention reads)."""
        dims = dims_of(self.x3 if self.cache is None else self.cache.results[0])
        four_d = self.cache is not None or self.presplit
        return None if not dims else dims[2] if four_d else dims[1]

    def dims4(self) -> tuple[Dim, ...]:
        """``[B, H·g, T, D]``."""
        return (self.batch, self.heads * self.group, self.length, self.head_size)


@dataclass
class Match:
    """One attention block: ``softmax(q·kᵀ·scale + mask)·v`` over heads, and what it replaces."""

    query: Heads
    key: Heads
    value: Heads
    mask: SSAValue | None
    is_causal: bool
    scale: float
    context: Operation
    """The ``p·v`` MatMul: every input of the block is defined before it, so the fused op goes there."""
    output: SSAValue
    """The value the fused op's ``[B, S, Hq·D]`` result replaces: the merge Reshape's result when
    it is exactly ``[B, S, Hq·D]``, else the merge Transpose's (the Reshape then reads the fused op)."""
    ops: list[Operation] = field(default_factory=list)
    """Every op of the block (erased by the fusion once nothing else reads it)."""
    packed: Operation | None = None
    """The Split whose three outputs are q, k and v, when there is one (``nn.attention`` then reads its input)."""
    nan_guard: Operation | None = None
    """SDPA's ``Where(IsNaN(p), 0, p)`` when it matters: the mask may hold ``-inf``, so a fully masked row is NaN
    in the softmax and 0 after the guard. The fused result then gets ``Where(IsNaN(y), 0, y)``: that row of
    ``y`` is NaN (or already 0) exactly where the guard zeroed a row of ``p``, for finite q, k, v."""
    shape_reads: list[Operation] = field(default_factory=list)
    """``Shape(present)`` ops the mask or q/k/v read (T5's position bias spans ``Shape(present_key)[2]`` keys): the
    fusion computes each from the past's and the new step's shapes first (``present_shape``), or the fused op
    would read its own result."""


# --- small facts ---------------------------------------------------------------------------------


def _known(*dims: Dim) -> bool:
    return all(d is not None for d in dims)


def _same(a: Dim, b: Dim) -> bool:
    return a is not None and a == b


def _perm(op: Operation) -> tuple[int, ...] | None:
    return ints_prop(op, "perm")


def _scale_factor(op: Operation, data: SSAValue) -> float | None:
    """The factor ``op`` multiplies ``data`` by when it is ``Mul(data, c)``/``Mul(c, data)``/``Div(data, c)``
    with a one-element constant ``c`` that does not broadcast ``data`` to a higher rank."""
    if not isinstance(op, (MulOp, DivOp)) or data not in op.operands:
        return None
    other = op.operands[1] if op.operands[0] == data else op.operands[0]
    if isinstance(op, DivOp) and other is op.operands[0]:
        return None
    c = scalar(other)
    other_dims, data_dims = dims_of(other), dims_of(data)
    if c is None or other_dims is None or data_dims is None or len(other_dims) > len(data_dims) or c == 0:
        return None
    if elem_of(other) != elem_of(data):
        return None
    return 1.0 / c if isinstance(op, DivOp) else c


def _scaled_input(value: SSAValue) -> tuple[SSAValue, float, Operation] | None:
    """``(x, c, op)`` when ``value = op(x)`` multiplies ``x`` by the constant ``c``."""
    op = value.owner
    if not isinstance(op, (MulOp, DivOp)):
        return None
    for data in op.operands:
        factor = _scale_factor(op, data)
        if factor is not None:
            return data, factor, op
    return None


def _unsqueeze_axes(op: Operation) -> list[int] | None:
    if not isinstance(op, UnsqueezeFamily):
        return None
    axes = axes_of(op)
    return None if axes is None else list(axes)


# --- the q, k, v paths ---------------------------------------------------------------------------


def split_heads(value: SSAValue, perm: tuple[int, ...], scaled: bool) -> Heads:
    """``Transpose(Reshape(x3, [B, T, H, D]), perm)``, with scalar factors on ``x3`` folded in when ``scaled``."""
    transpose = producer(value, TransposeOp)
    if transpose is None or _perm(transpose) != perm:
        fail(f"{_describe(value)} is not a head split Transpose(Reshape(x), perm={list(perm)})")
    reshape = producer(transpose.operands[0], ReshapeFamily)
    x3 = reshape.operands[0] if reshape is not None else None
    src = dims_of(x3) if x3 is not None else None
    dst = dims_of(transpose.operands[0])
    if dst is None or len(dst) != 4:
        fail(f"the head-split Transpose reads {_describe(transpose.operands[0])}, not [B, T, H, D] heads")
    heads, size = dst[2], dst[3]
    if not (isinstance(heads, int) and isinstance(size, int) and heads > 0 and size > 0):
        fail(f"the head-split Transpose reads {_describe(transpose.operands[0])}: heads and head size not static")
    if (reshape is not None and src is not None and len(src) == 3 and _same(src[0], dst[0]) and _same(src[1], dst[1])
            and src[2] == heads * size):
        found = Heads(x3, heads, size, [transpose, reshape])  # type: ignore[arg-type]
    else:  # heads made in the [B, T, H, D] layout: the fused op reads them merged back (``Heads.merge``)
        found = Heads(transpose.operands[0], heads, size, [transpose], merge=True)
    while scaled and (step := _scaled_input(found.x3)) is not None:
        found.x3, factor, op = step
        found.scale *= factor
        found.ops.append(op)
    return found


def heads_bhtd(value: SSAValue, scaled: bool) -> Heads:
    """A ``[B, H, T, D]`` value: a head split, its rotary embedding, its ``repeat_kv``, scaled copies."""
    op = value.owner
    if scaled and (step := _scaled_input(value)) is not None:
        inner = heads_bhtd(step[0], scaled)
        inner.scale *= step[1]
        inner.ops.append(step[2])
        return inner
    if isinstance(op, TransposeOp):
        return split_heads(value, SPLIT_PERM, scaled)
    if isinstance(op, RotaryEmbeddingOp):
        inner = heads_bhtd(op.input, scaled)
        heads = int_prop(op, "num_heads", 0)
        if inner.rotary is not None or inner.group != 1 or heads not in (0, inner.heads):
            fail("rotary embedding over a value that is not a plain head split")
        if not is_absent(op.position_ids):
            fail("rotary embedding with position ids (only the [B, S, rotary_dim/2] cache form moves to 3-D)")
        inner.rotary = op
        inner.ops.append(op)
        return inner
    if isinstance(op, ConcatFamily):
        return cached_heads(op)
    if isinstance(op, SliceFamily):
        return head_part(op)
    if isinstance(op, ReshapeFamily):
        inner = repeated_heads(op.operands[0], scaled)
        dims = dims_of(value)
        want = inner.dims4()
        if dims is None or len(dims) != 4 or not _known(*want) or tuple(dims) != want:
            fail(f"repeat_kv: Reshape to {_shape(value)} does not merge [B, H, g, T, D] into [B, H·g, T, D]")
        inner.ops.append(op)
        return inner
    fail(_rotary_hint(value) or f"{_describe(value)} is not a head split [B, H, T, D]")


def kv_heads(value: SSAValue, scaled: bool) -> Heads:
    """K or V heads: ``heads_bhtd``, or any other ``[B, H, T, D]`` value taken as it is — a graph (or ``If``
    branch) input or a value from an enclosing graph (an encoder–decoder's later steps feed back the
    cross-attention K/V they computed on the first), or heads computed otherwise (StarCoder's one K/V
    head split off a ``[B, 1, T, 2·D]`` cache the graph concatenates itself). The MatMuls read such a
    value as ``[B, H, T, D]`` (heads a batch axis, T the contracted or kept one), so the fused op reading
    it so is the same computation; a cache the graph keeps stays the graph's."""
    try:
        return heads_bhtd(value, scaled)
    except Mismatch:
        dims = dims_of(value)
        if dims is None or len(dims) != 4:
            raise
        heads, size = dims[1], dims[3]
        if not (isinstance(heads, int) and isinstance(size, int) and heads > 0 and size > 0):
            raise
        return Heads(value, heads, size, [], presplit=True)


def head_part(op: Operation) -> Heads:
    """``Slice(split_heads(p3, [B, S, H, n·D]), axis = -1, [j·D, (j + 1)·D])``: the ``j``-th of ``n`` equal parts
    of every head (GPT-NeoX's ``qkv.view(B, S, H, 3·D).transpose(1, 2).chunk(3, -1)``)."""
    params = slice_params(op)
    if params is None:
        fail("a Slice of heads with bounds that are not constants")
    starts, ends, axes, steps = params
    inner = split_heads(op.operands[0], SPLIT_PERM, False)
    if inner.merge:
        fail("a Slice of heads that are not a Reshape of one projection")
    width = inner.head_size
    if len(starts) != 1 or (axes is not None and list(axes) not in ([3], [-1])) or (steps not in (None, [1])):
        fail("a Slice of heads that is not one range of the last axis")
    dims = dims_of(op.results[0])
    size = dims[3] if dims is not None and len(dims) == 4 else None
    if not isinstance(size, int) or size <= 0 or width % size or starts[0] % size or starts[0] < 0:
        fail(f"Slice [{starts[0]}, {ends[0]}) of heads of {width} is not an equal part of each head")
    if min(ends[0], width) != starts[0] + size:
        fail(f"Slice [{starts[0]}, {ends[0]}) of heads of {width} is not one part of {size}")
    return Heads(inner.x3, inner.heads, size, [op, *inner.ops], part=(starts[0] // size, width // size))


def cached_heads(concat: Operation) -> Heads:
    """``Concat(past, k4, axis = 2)``: the KV cache's present value, ``past = [B, H, P, D]`` and ``k4`` the
    new step's head split (rotated or not, unscaled: a factor on ``k4`` alone is not one on the keys)."""
    dims = dims_of(concat.results[0])
    axis = int_prop(concat, "axis", 0)
    if len(concat.operands) != 2 or dims is None or len(dims) != 4 or axis not in (2, -2):
        fail(f"Concat {_shape(concat.results[0])} is not a KV cache Concat(past, new, axis=2) of 4-D heads")
    past, new = concat.operands
    inner = heads_bhtd(new, scaled=False)
    if inner.group != 1 or inner.cache is not None:
        fail("the KV cache appends heads that are repeated or cached already")
    past_dims = dims_of(past)
    if past_dims is None or len(past_dims) != 4 or elem_of(past) != elem_of(inner.x3):
        fail(f"the KV cache's past {_shape(past)} is not 4-D heads of the new step's type")
    if not (_same(past_dims[0], inner.batch) and past_dims[1] == inner.heads and past_dims[3] == inner.head_size):
        fail(f"the KV cache's past {_shape(past)} is not [B, H, P, D] = [{inner.batch}, {inner.heads}, P, "
             f"{inner.head_size}]")
    if not (_same(dims[0], inner.batch) and dims[1] == inner.heads and dims[3] == inner.head_size):
        fail(f"the KV cache Concat {_shape(concat.results[0])} does not keep [B, H, ·, D]")
    inner.cache = concat
    inner.ops.append(concat)
    return inner


def repeated_heads(value: SSAValue, scaled: bool) -> Heads:
    """``Expand(Unsqueeze(k4, axes=[2]), [B, H, g, T, D])``: ``repeat_kv`` before the merging Reshape."""
    expand = producer(value, ExpandOp)
    unsqueeze = expand.operands[0].owner if expand is not None else None
    if expand is None or not isinstance(unsqueeze, Operation) or _unsqueeze_axes(unsqueeze) != [2]:
        fail(f"{_describe(value)} is not repeat_kv's Expand(Unsqueeze(k, axes=[2]))")
    inner = heads_bhtd(unsqueeze.operands[0], scaled)
    if inner.group != 1:
        fail("repeat_kv applied twice")
    batch, heads, length, size = inner.dims4()
    dims = dims_of(value)
    if dims is None or len(dims) != 5 or not isinstance(dims[2], int) or dims[2] < 1:
        fail(f"repeat_kv: Expand result {_shape(value)} is not [B, H, g, T, D] with a static g")
    if not (_same(dims[0], batch) and dims[1] == heads and _same(dims[3], length) and dims[4] == size):
        fail(f"repeat_kv: Expand result {_shape(value)} does not repeat [B, H, T, D] = {list(inner.dims4())}")
    inner.group = dims[2]
    inner.ops += [expand, unsqueeze]
    return inner


def keys_bhdt(value: SSAValue) -> Heads:
    """kᵀ, ``[B, H, D, T]``: split and transposed at once, a transposed ``[B, H, T, D]``, or SDPA's
    flatten-transpose-unflatten; scalar factors (SDPA's ``√scale``) folded in."""
    op = value.owner
    if (step := _scaled_input(value)) is not None:
        inner = keys_bhdt(step[0])
        inner.scale *= step[1]
        inner.ops.append(step[2])
        return inner
    if isinstance(op, TransposeOp) and _perm(op) == SPLIT_T_PERM:
        return split_heads(value, SPLIT_T_PERM, True)
    if isinstance(op, TransposeOp) and _perm(op) == SWAP_LAST:
        inner = kv_heads(op.operands[0], True)
        inner.ops.append(op)
        return inner
    if isinstance(op, ReshapeFamily):
        return _unflattened_keys(op)
    fail(_rotary_hint(value) or f"the key operand {_describe(value)} is not kᵀ of a head split")


def _unflattened_keys(unflatten: Operation) -> Heads:
    """``Reshape(Transpose(Reshape(k, [N, T, D]), [0, 2, 1]), [B, H, D, T])`` = ``Transpose(k, [0, 1, 3, 2])``
    for ``k = [B, H, T, D]`` (or its 5-D repeat ``[B, h, g, T, D]``): the Reshapes only merge and
    split the leading dims, around a swap of the last two."""
    transpose = producer(unflatten.operands[0], TransposeOp)
    flatten = producer(transpose.operands[0], ReshapeFamily) if transpose is not None else None
    if transpose is None or flatten is None or _perm(transpose) != (0, 2, 1):
        fail("kᵀ: Reshape is not SDPA's Reshape(Transpose(Reshape(k, [N, T, D]), [0, 2, 1]))")
    source = flatten.operands[0]
    dims = dims_of(source)
    inner = repeated_heads(source, True) if dims is not None and len(dims) == 5 else heads_bhtd(source, True)
    batch, heads, length, size = inner.dims4()
    flat, out = dims_of(flatten.results[0]), dims_of(unflatten.results[0])
    if flat is None or len(flat) != 3 or not (_same(flat[1], length) and flat[2] == size):
        fail(f"kᵀ: flatten to {_shape(flatten.results[0])} does not keep [T, D] = [{length}, {size}]")
    if out is None or tuple(out) != (batch, heads, size, length):
        want = [batch, heads, size, length]
        fail(f"kᵀ: unflatten to {_shape(unflatten.results[0])} is not [B, H, D, T] = {want}")
    inner.ops += [unflatten, transpose, flatten]
    return inner


# --- scores, mask, softmax, output ---------------------------------------------------------------


def softmax_is_last_axis(softmax: Operation, opset: int) -> bool:
    dims = dims_of(softmax.results[0])
    default = -1 if opset >= FIRST_OPSET_SOFTMAX_LAST_AXIS else 1
    axis = int_prop(softmax, "axis", default)
    return dims is not None and axis is not None and axis in (-1, len(dims) - 1)


def scores_chain(value: SSAValue) -> tuple[Operation, float, list[Operation]]:
    """``(MatMul(q4, kᵀ), factor, scale ops)`` for ``value`` = the MatMul times scalar constants."""
    factor, ops = 1.0, []
    while (step := _scaled_input(value)) is not None:
        value, c, op = step
        factor *= c
        ops.append(op)
    matmul = producer(value, MatMulOp)
    if matmul is None:
        fail(f"the scores ({_describe(value)}) are not q·kᵀ times constants (plus a mask)")
    return matmul, factor, ops


def split_scores_and_mask(value: SSAValue) -> tuple[SSAValue, SSAValue | None, list[Operation]]:
    """The softmax input as ``(scores, mask, [Add])``: ``Add(scores, mask)`` in either order, or no mask."""
    add = producer(value, AddOp)
    if add is None:
        return value, None, []
    reasons: list[tuple[bool, str]] = []
    for scores, mask in (add.operands, reversed(add.operands)):
        try:
            scores_chain(scores)
        except Mismatch as err:
            reasons.append((not isinstance(scores.owner, (MatMulOp, MulOp, DivOp)), str(err)))
            continue
        return scores, mask, [add]
    fail(min(reasons)[1])  # the reason about the operand that looks like scores


def provably_zero(value: SSAValue) -> bool:
    """Every element is 0: a zero constant, or ``Where(c, zero, ·)`` with ``c`` a (broadcast) all-True constant."""
    constant = constant_of(value)
    if constant is not None:
        return constant.strings is None and constant.size <= 1 << 20 and not np.any(constant.numpy())
    where = producer(value, WhereOp)
    return where is not None and _all_true(where.operands[0]) and provably_zero(where.operands[1])


def _all_true(value: SSAValue) -> bool:
    expand = producer(value, ExpandOp)
    if expand is not None:
        return _all_true(expand.operands[0])
    constant = constant_of(value)
    return constant is not None and constant.strings is None and constant.size <= 1 << 20 and bool(np.all(constant.numpy()))


def provably_finite(value: SSAValue) -> bool:
    """Every element is finite: a finite constant, or ``Where(c, a, b)`` of provably finite ``a``, ``b``."""
    constant = constant_of(value)
    if constant is not None:
        return constant.strings is None and constant.size <= 1 << 20 and bool(np.all(np.isfinite(constant.numpy())))
    where = producer(value, WhereOp)
    return where is not None and provably_finite(where.operands[1]) and provably_finite(where.operands[2])


def causal_mask(mask: SSAValue, length: Dim) -> bool:
    """``mask`` is the upper-triangle mask of an ``[S, S]`` score matrix (``S = length``):

    ``Where(Equal(Trilu(Expand(1, [S, S]), upper=0), 0), -inf, 0)`` (SDPA's ``is_causal`` in the
    dynamo exporter): 0 where key ``t ≤`` query ``s``, ``-inf`` (or the float minimum) above the
    diagonal, which is ``is_causal`` of ``nn.attention`` when ``S = T``.
    """
    where = producer(mask, WhereOp)
    equal = producer(where.operands[0], EqualOp) if where is not None else None
    if where is None or equal is None or scalar(where.operands[2]) != 0.0:
        return False
    fill = scalar(where.operands[1])
    if fill is None or not (fill == -np.inf or fill <= float(np.finfo(np.float32).min)):
        return False
    trilu = next((producer(v, TriluOp) for v in equal.operands if scalar(other_operand(equal, v)) == 0.0), None)
    if trilu is None or int_prop(trilu, "upper", 1) != 0:
        return False
    if len(trilu.operands) > 1 and not is_absent(trilu.operands[1]) and int_constant(trilu.operands[1]) != [0]:
        return False
    ones = producer(trilu.operands[0], ExpandOp)
    if ones is None or scalar(ones.operands[0]) != 1.0:
        return False
    dims = dims_of(mask)
    if dims is None or len(dims) < 2 or any(d != 1 for d in dims[:-2]):
        return False
    return _same(dims[-2], length) and _same(dims[-1], length)


def mask_broadcasts(mask: SSAValue, scores: tuple[Dim, ...]) -> bool:
    """The mask broadcasts to ``scores`` without enlarging it (each dim 1 or the scores' own)."""
    dims = dims_of(mask)
    if dims is None or len(dims) > len(scores):
        return False
    return all(m == 1 or _same(m, s) for m, s in zip(reversed(dims), reversed(scores)))


def nan_guard(softmax: Operation) -> Operation | None:
    """SDPA's ``Where(IsNaN(p), 0, p)`` over the softmax result ``p``, if that is how ``p`` is read."""
    p = softmax.results[0]
    users = {use.operation for use in p.uses}
    isnan = next((u for u in users if isinstance(u, IsNaNOp)), None)
    where = next((u for u in users if isinstance(u, WhereOp)), None)
    if isnan is None or where is None or len(users) != 2:
        return None
    cond, zero, keep = where.operands
    if cond != isnan.results[0] or keep != p or scalar(zero) != 0.0 or len(list(isnan.results[0].uses)) != 1:
        return None
    return where


def packed_split(query: SSAValue, key: SSAValue, value: SSAValue) -> Operation | None:
    """The Split of one ``[B, S, (Hq + 2·Hkv)·D]`` tensor along its last dim whose outputs 0, 1, 2 are q, k, v."""
    split = producer(query, SplitFamily)
    if split is None or len(split.results) != 3 or list(split.results) != [query, key, value]:
        return None
    dims = dims_of(split.operands[0])
    if dims is None or len(dims) != 3 or int_prop(split, "axis", 0) not in (-1, 2):
        return None
    widths = [dims_of(r) for r in split.results]
    if any(w is None or len(w) != 3 or not isinstance(w[2], int) for w in widths):
        return None
    return split if sum(w[2] for w in widths) == dims[2] else None  # type: ignore[index,misc]


# --- the whole block -----------------------------------------------------------------------------


def match_attention(softmax: Operation, opset: int) -> Match:
    """The attention block around ``softmax``, with every fact the fused op needs proven."""
    if not softmax_is_last_axis(softmax, opset):
        fail("the softmax is not over the last axis")
    guard = nan_guard(softmax)
    probs = guard.results[0] if guard is not None else softmax.results[0]
    users = [use.operation for use in probs.uses]
    context = users[0] if len(users) == 1 else None
    if not isinstance(context, MatMulOp) or context.operands[0] != probs:
        fail("the attention probabilities are not read by exactly one MatMul with v "
                       "(also used elsewhere, e.g. output_attentions?)")
    value = kv_heads(context.operands[1], scaled=False)
    scores, mask, mask_ops = split_scores_and_mask(softmax.operands[0])
    product, factor, scale_ops = scores_chain(scores)
    query = heads_bhtd(product.operands[0], scaled=True)
    key = keys_bhdt(product.operands[1])
    if key.heads == value.heads == 1 and key.group == value.group == 1 and query.heads > 1:
        key.group = value.group = query.heads  # one KV head [B, 1, T, D] the two MatMuls broadcast over the query heads (MQA)
    _check_heads(query, key, value)
    caches = {h.cache for h in (key, value) if h.cache is not None}
    shape_reads: list[Operation] = []
    if caches:
        reads = [query.x3, key.x3, value.x3, *([] if mask is None else [mask]),
                 *(v for h in (query, key) if h.rotary is not None for v in h.rotary.operands[1:])]
        if any(reads_any(v, caches, shape_reads) for v in reads):
            fail("the mask or q/k/v is computed from the KV cache's present value: the fused op "
                 "would read its own result")
    score_dims = (query.batch, query.heads, query.length, key.length)
    is_causal = False
    if mask is not None:
        if elem_of(mask) != elem_of(query.x3):
            fail("the mask's element type is not the scores'")
        if not mask_broadcasts(mask, score_dims):
            fail(f"the mask {_shape(mask)} does not broadcast to the scores {list(score_dims)} "
                           "without enlarging them")
        if provably_zero(mask):
            mask = None
        elif causal_mask(mask, query.length) and _same(query.length, key.length) and key.cache is None:
            mask, is_causal = None, True
    kept_guard = guard if guard is not None and mask is not None and not provably_finite(mask) else None
    output, output_ops = merged_output(context, query)
    ops = [softmax, context, product, *mask_ops, *scale_ops, *output_ops, *query.ops, *key.ops, *value.ops]
    if guard is not None:
        ops += [guard, guard.operands[0].owner]  # type: ignore[list-item]
    packed = None
    if query.rotary is None and key.rotary is None and key.cache is None and query.part is None:
        packed = packed_split(query.x3, key.x3, value.x3)
        if packed is not None:
            ops.append(packed)
    scale = query.scale * key.scale * factor
    return Match(query, key, value, mask, is_causal, scale, context, output, ops, packed, kept_guard, shape_reads)


READ_LIMIT = 4096
"""Ops ``reads_any`` walks before it gives up (and answers yes: not proven independent)."""


def reads_any(value: SSAValue, ops: set[Operation], shapes: list[Operation] | None = None) -> bool:
    """``value`` is computed (transitively) from a result of one of ``ops``, or that is not decided within
    ``READ_LIMIT`` ops. With ``shapes``, a ``Shape`` of a result of ``ops`` does not count: it is added to
    ``shapes`` (a shape can be computed without the value: ``present_shape``)."""
    seen: set[Operation] = set()
    stack = [value]
    while stack:
        owner = stack.pop().owner
        if not isinstance(owner, Operation) or owner in seen:
            continue
        if (shapes is not None and isinstance(owner, ShapeFamily) and owner.operands[0].owner in ops
                and "start" not in owner.properties and "end" not in owner.properties):
            if owner not in shapes:
                shapes.append(owner)
            continue
        if owner in ops or len(seen) >= READ_LIMIT:
            return True
        seen.add(owner)
        stack.extend(owner.operands)
    return False


def _check_heads(query: Heads, key: Heads, value: Heads) -> None:
    """q, k, v agree: one head size, KV heads repeated to the query heads, the same batch, k and v the same length."""
    if query.group != 1:
        fail("the query is repeated like a KV head")
    if query.presplit:
        fail("the query is not a head split of a [B, S, H·D] value")
    if value.rotary is not None:
        fail("the value is rotated")
    if not (query.head_size == key.head_size == value.head_size):
        fail(f"head sizes differ (q {query.head_size}, k {key.head_size}, v {value.head_size})")
    if key.heads != value.heads or key.group != value.group:
        fail(f"k and v differ in heads ({key.heads}×{key.group} vs {value.heads}×{value.group})")
    if key.heads * key.group != query.heads:
        fail(f"{key.heads} KV heads repeated {key.group}× do not serve {query.heads} query heads")
    if not (_same(query.batch, key.batch) and _same(key.batch, value.batch)):
        fail(f"q, k, v batch dims differ or are unknown ({query.batch}, {key.batch}, {value.batch})")
    if not (_same(key.length, value.length) and query.length is not None):
        fail(f"k and v lengths differ or are unknown ({key.length}, {value.length})")
    if (key.cache is None) != (value.cache is None):
        fail("only one of k and v is read from a KV cache")
    if key.presplit != value.presplit:
        fail("only one of k and v is a [B, H, T, D] input (the other is computed here)")
    parts = [h.part for h in (query, key, value)]
    if any(parts) and (parts != [(0, 3), (1, 3), (2, 3)] or not (query.x3 == key.x3 == value.x3)):
        fail(f"q, k, v are not the three parts of each head of one projection, in order ({parts})")
    elems = {elem_of(h.x3) for h in (query, key, value)}
    if len(elems) != 1 or not elems <= FLOAT_ELEMS:
        fail("q, k, v are not float tensors of one element type")


def merged_output(context: Operation, query: Heads) -> tuple[SSAValue, list[Operation]]:
    """The value the fused ``[B, S, Hq·D]`` result replaces, and the merge ops it makes dead.

    ``Reshape(Transpose(p·v, [0, 2, 1, 3]), shape)``: when the Reshape's result is ``[B, S, Hq·D]``
    it is the fused result itself; otherwise (GPT-2 reshapes straight to ``[B·S, Hq·D]``) the
    Reshape stays and reads the fused result, which gives the same tensor when its shape operand
    does not copy a dim past the second (no ``0`` there with ``allowzero = 0``): Reshape only
    depends on the element order, which ``[B, S, Hq·D]`` and ``[B, S, Hq, D]`` share.
    """
    skipped: list[Operation] = []
    users = [use.operation for use in context.results[0].uses]
    transpose = users[0] if len(users) == 1 else None
    if isinstance(transpose, ReshapeFamily) and _is_identity_reshape(transpose):
        skipped.append(transpose)  # TorchScript's SDPA reshapes p·v to its own shape first
        users = [use.operation for use in transpose.results[0].uses]
        transpose = users[0] if len(users) == 1 else None
    if not isinstance(transpose, TransposeOp) or _perm(transpose) != SPLIT_PERM:
        fail("the context p·v is not merged by one Transpose(perm=[0, 2, 1, 3])")
    users = [use.operation for use in transpose.results[0].uses]
    reshape = users[0] if len(users) == 1 else None
    if not isinstance(reshape, ReshapeFamily) or reshape.operands[0] != transpose.results[0]:
        fail("the merged heads are not read by exactly one Reshape")
    merged = (query.batch, query.length, query.heads * query.head_size)
    if tuple(dims_of(reshape.results[0]) or ()) == merged:
        return reshape.results[0], [*skipped, transpose, reshape]
    shape = reshape_shape(reshape)
    keeps_order = int_prop(reshape, "allowzero", 0) == 1 or (shape is not None and 0 not in shape[2:])
    if not keeps_order:
        fail(f"the merge Reshape to {_shape(reshape.results[0])} may copy the head dim (a 0 past dim 1)")
    return transpose.results[0], [*skipped, transpose]


def _is_identity_reshape(reshape: Operation) -> bool:
    """A Reshape whose result has its input's shape (every dim known): it moves nothing."""
    before, after = dims_of(reshape.operands[0]), dims_of(reshape.results[0])
    return before is not None and None not in before and before == after


# --- text for reasons ----------------------------------------------------------------------------


def _shape(value: SSAValue) -> str:
    dims = dims_of(value)
    return "[?]" if dims is None else "[" + ", ".join("?" if d is None else str(d) for d in dims) + "]"


def _describe(value: SSAValue) -> str:
    owner = value.owner
    what = owner.name.removeprefix("onnx.") if isinstance(owner, Operation) else "a graph input"
    return f"{what} {_shape(value)}"


def _rotary_hint(value: SSAValue) -> str | None:
    """A clearer reason when q/k still hold HF's decomposed rotary embedding ``x·cos + rotate_half(x)·sin``."""
    add = producer(value, AddOp)
    if add is None or not all(isinstance(operand.owner, MulOp) for operand in add.operands):
        return None
    return ("q/k is x·cos + rotate_half(x)·sin, an unfused rotary embedding "
            "(nn-fuse-rotary-embedding must run first and fire here)")
