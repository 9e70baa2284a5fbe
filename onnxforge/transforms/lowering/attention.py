"""Lowering ``nn.attention``: ONNX ``Attention`` (opset ≥ 23) or onnxruntime's ``com.microsoft`` attention ops.

* standard: ``Attention(q, k, v, attn_mask)`` on 3-D inputs with ``q_num_heads``, ``kv_num_heads``,
  ``scale`` and ``is_causal`` (grouped-query attention natively); a packed query is split first.
  onnxruntime's CPU kernel treats a mask entry equal to the float minimum as "masked out": a row
  masked entirely by ``-3.4028235e38`` (a padded sequence, or a left-padded query under a causal
  mask) gives 0 there, where softmax gives uniform weights. A mask that may hold its type's minimum
  gets the next value up instead (``Max``, or ``Where(Equal)`` when it may also hold ``-inf``): the
  same softmax for every row, since both values vanish against any score a row also holds, and a
  row of only one of them is uniform.
* ort: a packed query computed as ``x·W (+ b)`` with a constant ``W = [hidden, 3·hidden]`` (what
  ``nn-fuse-qkv`` and GPT-2's ``c_attn`` make) becomes ``com.microsoft::Attention(x, W, b,
  attention_bias = mask)`` — one node for the projection and the attention, as onnxruntime's
  transformers optimizer makes for BERT; the kernel needs a bias, so a missing one is zeros.
  Otherwise ``com.microsoft::MultiHeadAttention(q, k, v, attention_bias = mask)``; it needs as
  many KV heads as query heads, so grouped-query attention repeats each KV head first
  (``Reshape → Expand → Reshape``, exactly ``repeat_kv``) — unless the output opset is ≥ 23,
  where the standard ``Attention`` takes the KV heads as they are. ``GroupQueryAttention`` is not used
  (``benchmarks/gqa_kernel.py``): onnxruntime 1.31's can take a general additive mask exactly
  (``causal = 0``, the mask as ``attention_bias``, ``seqlens_k = past + new - 1``), but its CPU kernel
  refuses batch > 1 with a cache and several new tokens and dies at batch 0 (SIGFPE) — inputs the
  original runs — and it was slower than ``Attention``-23 on TinyLlama's decode step (1.7×).
* a KV cache (``past`` operands, ``present`` results): ``Attention``-23's ``past_key``/``past_value`` →
  ``present_key``/``present_value`` (standard), MultiHeadAttention's (ort). Grouped-query attention with a
  cache, or with K/V heads given as ``[B, h, T, D]`` inputs, has no MHA form (its cache holds a KV head per
  query head): under ort it takes ``Attention``-23 where that is exact (opset 23, and ``nonempty``: the
  fusion proved batch, query and key ``>= 1``), else the presents are the graph's own ``Concat`` and MHA
  attends over each KV head repeated (``_multi_head_repeated``), which runs empty batches.
* portable: unsupported — the decomposition is what the fusion started from.
* tensorrt: unsupported — TensorRT's builder fuses the decomposed attention itself, and its parser's
  Attention (10.14 on) takes only 4-D inputs (``tensorrt_support.LEFT_TO_BUILDER``).

onnxruntime's ``Attention`` kernel rejects a batch or query length of 0 (``batch_size > 0``,
``q_sequence_length > 0``), where the decomposition returns an empty result. So the standard form is
used only where both are provably ``>= 1``: static, or symbols the model itself proves nonzero
(``positive_in_model``: a main-graph Reshape with a ``-1`` beside them). That is decided when the
fusion is checked (``op`` is still a ``Build``), while the decomposition's own Reshapes are there to
prove it; they are gone by ``nn-lower``, which lowers what the fusion admitted. The contrib ops run
empty batches; grouped-query attention under ``ort`` uses the standard op only where this is
provable at lowering time, else MultiHeadAttention with repeated KV heads.

Both onnxruntime kernels read the mask in ``[S, T]`` blocks and broadcast only its batch and
head dims, so the mask's last two dims must be exactly ``[S, T]``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from onnx import TensorProto, defs
from xdsl.dialects.builtin import FloatAttr
from xdsl.ir import Operation, SSAValue
from xdsl.pattern_rewriter import PatternRewriter

from onnxforge.analysis.shapes.positivity import positive_in_model
from onnxforge.dialects.nn import AttentionOp, LinearOp
from onnxforge.dialects.onnx.generated import AddOp, GemmOp, MatMulOp, ReshapeFamily, SplitFamily, WhereOp
from onnxforge.dialects.onnx.queries import constant_of, dims_of, elem_of, int_prop, is_absent
from onnxforge.ir.dead import erase_dead
from onnxforge.ir.tensor import np_dtype
from onnxforge.ir.types import NONE, Dim, tensor_type
from onnxforge.passmanager import fail
from onnxforge.passmanager.build import Build
from onnxforge.transforms.lowering import tensorrt_support
from onnxforge.transforms.lowering.base import (
    Lowering,
    LoweringTarget,
    constant,
    contrib_op,
    insert_lowered,
    no_value,
    onnx_op,
)

ATTENTION_OPSET = 23
CACHE_OPERAND = 4
"""``nn.attention``'s operands from this index on are the KV cache's ``past_key``, ``past_value``."""
Lowered = tuple[list[Operation], list[SSAValue]]
"""The ops a lowering inserts, in order, and the values that replace the fused op's results."""
STANDARD_ELEMS = frozenset({TensorProto.FLOAT, TensorProto.FLOAT16})
"""Element types onnxruntime's CPU ``Attention`` kernel is registered for."""
ORT_ELEMS = frozenset({TensorProto.FLOAT})
"""Element types the CPU ``MultiHeadAttention``/``Attention`` contrib kernels run (float only)."""


def _scale(op: AttentionOp) -> float:
    return float(op.scale.value.data)


class _Shapes:
    """The sizes of one ``nn.attention``: batch, lengths, heads and head size, read from its types."""

    def __init__(self, op: AttentionOp) -> None:
        self.packed = is_absent(op.key)
        self.q_heads, self.kv_heads = op.q_num_heads.value.data, op.kv_num_heads.value.data
        dims = dims_of(op.query) or ()
        self.batch: Dim = dims[0] if len(dims) == 3 else None
        self.length: Dim = dims[1] if len(dims) == 3 else None
        width = dims[2] if len(dims) == 3 else None
        total = self.q_heads + 2 * self.kv_heads if self.packed else self.q_heads
        self.head_size = width // total if isinstance(width, int) and total > 0 and width % total == 0 else None
        key = dims_of(op.query if self.packed else op.key) or ()
        self.presplit = len(key) == 4
        """key and value are ``[B, kv_heads, T, D]`` (heads the model feeds in)."""
        self.kv_length: Dim = key[1] if len(key) == 3 else key[2] if self.presplit else None
        self.new_kv_length = self.kv_length
        """The keys given as ``key`` (without the cache's past)."""
        self.cached = len(op.operands) > CACHE_OPERAND
        if self.cached:  # the attention reads past + new keys: the present's length
            present = dims_of(op.results[1]) or ()
            self.kv_length = present[2] if len(present) == 4 else None

    def check(self, op: AttentionOp) -> None:
        """Fail unless the sizes are a well-formed attention."""
        if self.head_size is None or self.q_heads <= 0 or self.kv_heads <= 0 or self.q_heads % self.kv_heads:
            fail("the query is not [B, S, heads·D] with static D and q_num_heads a multiple of kv_num_heads")
        if not self.packed:
            for name, value in (("key", op.key), ("value", op.value)):
                dims = dims_of(value)
                if self.presplit and (dims is None or len(dims) != 4 or dims[1] != self.kv_heads
                                      or dims[3] != self.head_size):
                    fail(f"the {name} is not [B, kv_num_heads, T, D]")
                if not self.presplit and (dims is None or len(dims) != 3 or dims[2] != self.kv_heads * self.head_size):
                    fail(f"the {name} is not [B, T, kv_num_heads·D]")

    def widths(self) -> list[int]:
        assert self.head_size is not None
        return [self.q_heads * self.head_size, self.kv_heads * self.head_size, self.kv_heads * self.head_size]


def _check_mask(op: AttentionOp, shapes: _Shapes) -> None:
    if is_absent(op.mask):
        return
    dims = dims_of(op.mask)
    if elem_of(op.mask) != elem_of(op.query):
        fail("the mask is not a float mask of the query's type (a boolean mask has no exact lowering here)")
    if dims is None or not 2 <= len(dims) <= 4:
        fail("the mask is not 2-D to 4-D")
    if not (dims[-2] is not None and dims[-2] == shapes.length and dims[-1] is not None and dims[-1] == shapes.kv_length):
        fail(f"the mask's last dims {list(dims[-2:])} are not [S, T] (onnxruntime broadcasts only batch and heads)")
    lead = (shapes.batch, shapes.q_heads)[4 - len(dims):] if len(dims) > 2 else ()
    if any(d != 1 and (d is None or d != want) for d, want in zip(dims[:-2], lead)):
        fail(f"the mask's leading dims {list(dims[:-2])} are neither 1 nor [B, heads]")


class AttentionLowering(Lowering):
    op = AttentionOp

    def check(self, op: AttentionOp, target: LoweringTarget) -> None:
        if target.kind == "portable":
            fail("portable keeps attention decomposed (the fusion's input is the decomposition)")
        if target.kind == "tensorrt":
            fail(f"tensorrt keeps attention decomposed: {tensorrt_support.LEFT_TO_BUILDER['Attention']}")
        shapes = _Shapes(op)
        shapes.check(op)
        _check_mask(op, shapes)
        if _scale(op) <= 0:
            fail("the scale is not positive (onnxruntime's kernels reject it)")
        elem = elem_of(op.query)
        if target.kind == "standard":
            if target.opset < ATTENTION_OPSET:
                fail(f"Attention needs opset ≥ {ATTENTION_OPSET} ({target.describe()})")
            if elem not in STANDARD_ELEMS:
                fail("onnxruntime's CPU Attention runs float and float16 only")
            _check_nonempty(op, shapes)
            return
        if elem not in ORT_ELEMS:
            fail("onnxruntime's CPU attention contrib ops run float only")

    def lower(self, op: AttentionOp, target: LoweringTarget, rewriter: PatternRewriter) -> None:
        shapes = _Shapes(op)
        held = shapes.cached or shapes.presplit  # K/V heads the op is given or returns: MHA cannot repeat them
        proven = bool(op.nonempty and op.nonempty.value.data) if held else (
            _never_empty(op, shapes.batch) and _never_empty(op, shapes.length))
        gqa_natively = shapes.kv_heads != shapes.q_heads and target.opset >= ATTENTION_OPSET and proven
        if target.kind == "standard" or gqa_natively:
            ops, results = _standard(op, shapes, target, rewriter)  # GQA without repeating KV heads when the opset has it
        elif held and shapes.kv_heads != shapes.q_heads:
            ops, results = _multi_head_repeated(op, shapes, target, rewriter)
        elif not held and (projection := _packed_projection(op, shapes)) is not None:
            ops, results = _contrib_attention(op, shapes, projection, target, rewriter)
        else:
            ops, results = _multi_head(op, shapes, target, rewriter)
        source = op.query.owner  # a projection the contrib Attention took over is dead after this
        insert_lowered(rewriter, op, ops, results, main=ops[-1])  # the attention op keeps the node name
        if isinstance(source, Operation):
            erase_dead(rewriter, [source])


def _nonempty_sizes(shapes: _Shapes) -> tuple[tuple[str, Dim], ...]:
    """The sizes onnxruntime's ``Attention`` rejects at 0: batch, query length, key length (past aside)."""
    return (("batch", shapes.batch), ("query length", shapes.length), ("key length", shapes.new_kv_length))


def _check_nonempty(op: AttentionOp, shapes: _Shapes) -> None:
    for name, size in _nonempty_sizes(shapes):
        if isinstance(op, Build) and not _never_empty(op, size):
            fail(f"the {name} {size} may be 0: onnxruntime's Attention rejects an empty batch, query or "
                 "key (past aside), which the decomposition runs")


def proves_nonempty(op: AttentionOp) -> bool:
    """The model proves the batch, query length and key length (past aside) ``>= 1`` — asked while the
    decomposition's Reshapes are there (the fusion records the answer in ``nonempty``)."""
    return all(_never_empty(op, size) for _, size in _nonempty_sizes(_Shapes(op)))


def _never_empty(op: AttentionOp, size: Dim) -> bool:
    """The batch or query length ``size`` is ``>= 1`` wherever the model runs (see the module docstring)."""
    return size is not None and positive_in_model(op.query, size)


# --- standard -------------------------------------------------------------------------------------


def _standard(op: AttentionOp, shapes: _Shapes, target: LoweringTarget, rewriter: PatternRewriter) -> Lowered:
    ops: list[Operation] = []
    query, key, value = _unpacked(op, shapes, target, ops)
    mask = op.mask if is_absent(op.mask) else _without_float_min(op.mask, target, ops)
    inputs = len(defs.get_schema("Attention", target.opset, "").inputs)
    past = list(op.past)
    if shapes.presplit:  # onnxruntime wants q in k's rank: q and the result go through [B, H, S, D]
        query = _heads(query, shapes, target, ops)
    out_type = op.output.type if not shapes.presplit else tensor_type(
        elem_of(op.query) or TensorProto.FLOAT, (shapes.batch, shapes.q_heads, shapes.length, shapes.head_size))
    attention = onnx_op(
        "Attention", target,
        [query, key, value, mask, *past, *(no_value(rewriter, op) for _ in range(inputs - 4 - len(past)))],
        [out_type, *(p.type for p in op.present), *(NONE for _ in range(3 - len(past)))],
        q_num_heads=shapes.q_heads, kv_num_heads=shapes.kv_heads, scale=_scale(op), is_causal=op.is_causal.value.data,
    )
    ops.append(attention)
    result = attention.results[0] if not shapes.presplit else _merged(attention.results[0], op, target, ops)
    return ops, [result, *attention.results[1:1 + len(past)]]


def _heads(x: SSAValue, shapes: _Shapes, target: LoweringTarget, ops: list[Operation], count: int | None = None) -> SSAValue:
    """``[B, S, H·D]`` → ``[B, H, S, D]`` (``H``: ``count``, else the query heads): Reshape to ``[B, S, H, D]``
    (0s copy B and S), Transpose."""
    assert shapes.head_size is not None
    heads_n = shapes.q_heads if count is None else count
    elem = elem_of(x) or TensorProto.FLOAT
    batch, length = (dims_of(x) or (None, None))[:2]
    shape = constant(target, np.array([0, 0, heads_n, shapes.head_size], dtype=np.int64))
    split = onnx_op("Reshape", target, [x, shape.results[0]],
                    [tensor_type(elem, (batch, length, heads_n, shapes.head_size))])
    heads = onnx_op("Transpose", target, [split.results[0]],
                    [tensor_type(elem, (batch, heads_n, length, shapes.head_size))], perm=[0, 2, 1, 3])
    ops += [shape, split, heads]
    return heads.results[0]


def _merged(y: SSAValue, op: AttentionOp, target: LoweringTarget, ops: list[Operation]) -> SSAValue:
    """``[B, H, S, D]`` → the fused op's ``[B, S, H·D]`` (static ``H·D``): Transpose, then Reshape (0s copy B and S)."""
    dims = dims_of(y) or (None, None, None, None)
    elem = elem_of(y) or TensorProto.FLOAT
    back = onnx_op("Transpose", target, [y], [tensor_type(elem, (dims[0], dims[2], dims[1], dims[3]))], perm=[0, 2, 1, 3])
    width = (dims_of(op.output) or (None, None, None))[2]
    shape = constant(target, np.array([0, 0, width], dtype=np.int64))  # no -1: it fails on an empty batch
    merge = onnx_op("Reshape", target, [back.results[0], shape.results[0]], [op.output.type])
    ops += [back, shape, merge]
    return merge.results[0]


def _without_float_min(mask: SSAValue, target: LoweringTarget, ops: list[Operation]) -> SSAValue:
    """The mask with its type's minimum replaced by the next value up (see the module doc), ``-inf`` left
    as it is: nothing when its values are known without the minimum, ``Max(mask, next)`` when they are
    known finite, else ``Where(Equal(mask, min), next, mask)``."""
    dtype = np_dtype(elem_of(mask) or TensorProto.FLOAT)
    lowest = np.finfo(dtype).min
    values = _mask_values(mask)
    if values is not None and float(lowest) not in values:
        return mask
    clamp = constant(target, np.nextafter(lowest, dtype.type(0)).astype(dtype))
    ops.append(clamp)
    if values is not None and all(np.isfinite(v) for v in values):
        new = onnx_op("Max", target, [mask, clamp.results[0]], [mask.type])
        ops.append(new)
        return new.results[0]
    minimum = constant(target, np.array(lowest, dtype=dtype))
    equal = onnx_op("Equal", target, [mask, minimum.results[0]], [tensor_type(TensorProto.BOOL, dims_of(mask))])
    where = onnx_op("Where", target, [equal.results[0], clamp.results[0], mask], [mask.type])
    ops += [minimum, equal, where]
    return where.results[0]


def _mask_values(mask: SSAValue) -> set[float] | None:
    """The values the mask can hold, when the graph says (a small constant, or a Where of such); else None."""
    found = constant_of(mask)
    if found is not None:
        return None if found.strings is not None or found.size > 1 << 16 else {float(v) for v in np.unique(found.numpy())}
    if isinstance(mask.owner, WhereOp):
        a, b = (_mask_values(v) for v in mask.owner.operands[1:])
        return None if a is None or b is None else a | b
    return None


def _unpacked(op: AttentionOp, shapes: _Shapes, target: LoweringTarget,
              ops: list[Operation]) -> tuple[SSAValue, SSAValue, SSAValue]:
    """q, k, v: the operands, or the three parts of a packed query (a Split along the last dim)."""
    if not shapes.packed:
        return op.query, op.key, op.value
    widths = shapes.widths()
    sizes = constant(target, np.array(widths, dtype=np.int64))
    elem = elem_of(op.query) or TensorProto.FLOAT
    types = [tensor_type(elem, (shapes.batch, shapes.length, w)) for w in widths]
    split = onnx_op("Split", target, [op.query, sizes.results[0]], types, axis=-1)
    ops += [sizes, split]
    return split.results[0], split.results[1], split.results[2]


# --- ort ------------------------------------------------------------------------------------------


def _attention_bias(op: AttentionOp, target: LoweringTarget, ops: list[Operation]) -> SSAValue | None:
    """The mask as the contrib ops' 4-D ``attention_bias`` (leading 1-dims added)."""
    if is_absent(op.mask):
        return None
    dims = dims_of(op.mask)
    assert dims is not None
    if len(dims) == 4:
        return op.mask
    axes = constant(target, np.arange(4 - len(dims), dtype=np.int64))
    four_d = tensor_type(elem_of(op.mask) or TensorProto.FLOAT, (1,) * (4 - len(dims)) + tuple(dims))
    unsqueeze = onnx_op("Unsqueeze", target, [op.mask, axes.results[0]], [four_d])
    ops += [axes, unsqueeze]
    return unsqueeze.results[0]


def _multi_head(op: AttentionOp, shapes: _Shapes, target: LoweringTarget, rewriter: PatternRewriter) -> Lowered:
    ops: list[Operation] = []
    query, key, value = _unpacked(op, shapes, target, ops)
    if shapes.kv_heads != shapes.q_heads:
        key, value = (_repeat_kv(x, shapes, target, ops) for x in (key, value))
    bias = _attention_bias(op, target, ops)
    none = no_value(rewriter, op)
    attention = contrib_op(
        "MultiHeadAttention", [query, key, value, none, none, bias if bias is not None else none, *op.past],
        [op.output.type, *(p.type for p in op.present)],
        num_heads=shapes.q_heads, scale=_scale(op), unidirectional=op.is_causal.value.data,
    )
    return [*ops, attention], list(attention.results)


def _multi_head_repeated(op: AttentionOp, shapes: _Shapes, target: LoweringTarget, rewriter: PatternRewriter) -> Lowered:
    """Grouped-query attention whose K/V heads the op is given (``[B, h, T, D]``) or returns (a cache), under
    ``ort`` where ``Attention``-23 is not exact (opset < 23, or an empty batch, query or key the model does
    not rule out): the presents are ``Concat(past, split_heads(k), axis = 2)`` as the decomposition computed
    them, each KV head is repeated ``g`` times in a row (``repeat_kv``), and MultiHeadAttention attends over
    the ``[B, Hq, T, D]`` heads (its BNSH key/value form), which runs empty batches."""
    ops: list[Operation] = []
    repeated, presents = [], []
    pasts = list(op.past) or [None, None]
    for x, past, present in zip((op.key, op.value), pasts, list(op.present) or [None, None], strict=True):
        heads = x if shapes.presplit else _heads(x, shapes, target, ops, shapes.kv_heads)
        if past is not None:
            concat = onnx_op("Concat", target, [past, heads], [present.type], axis=2)
            ops.append(concat)
            heads = concat.results[0]
            presents.append(heads)
        repeated.append(_repeat_heads(heads, shapes, target, ops))
    bias = _attention_bias(op, target, ops)
    none = no_value(rewriter, op)
    attention = contrib_op(
        "MultiHeadAttention", [op.query, repeated[0], repeated[1], none, none, bias if bias is not None else none],
        [op.output.type], num_heads=shapes.q_heads, scale=_scale(op), unidirectional=op.is_causal.value.data,
    )
    return [*ops, attention], [attention.results[0], *presents]


def _repeat_heads(x: SSAValue, shapes: _Shapes, target: LoweringTarget, ops: list[Operation]) -> SSAValue:
    """``[B, h, T, D]`` → ``[B, h·g, T, D]`` with each head repeated ``g`` times in a row: Unsqueeze, Expand,
    Reshape to ``[Shape(x)[0], h·g, Shape(x)[2], D]`` (read from ``x``: no ``-1``, which fails on an empty batch)."""
    group = shapes.q_heads // shapes.kv_heads
    elem = elem_of(x) or TensorProto.FLOAT
    batch, heads, length, size = dims_of(x) or (None, None, None, None)
    axes = constant(target, np.array([2], dtype=np.int64))
    reps = constant(target, np.array([1, 1, group, 1, 1], dtype=np.int64))
    first, rest = constant(target, np.array([0], dtype=np.int64)), constant(target, np.array([2, 3], dtype=np.int64))
    merged_heads = constant(target, np.array([shapes.q_heads], dtype=np.int64))
    unsqueeze = onnx_op("Unsqueeze", target, [x, axes.results[0]], [tensor_type(elem, (batch, heads, 1, length, size))])
    expand = onnx_op("Expand", target, [unsqueeze.results[0], reps.results[0]],
                     [tensor_type(elem, (batch, heads, group, length, size))])
    vector = lambda n: tensor_type(TensorProto.INT64, (n,))  # noqa: E731
    shape = onnx_op("Shape", target, [x], [vector(4)])
    lead = onnx_op("Gather", target, [shape.results[0], first.results[0]], [vector(1)], axis=0)
    tail = onnx_op("Gather", target, [shape.results[0], rest.results[0]], [vector(2)], axis=0)
    wanted = onnx_op("Concat", target, [lead.results[0], merged_heads.results[0], tail.results[0]], [vector(4)], axis=0)
    merge = onnx_op("Reshape", target, [expand.results[0], wanted.results[0]],
                    [tensor_type(elem, (batch, shapes.q_heads, length, size))])
    ops += [axes, reps, first, rest, merged_heads, unsqueeze, expand, shape, lead, tail, wanted, merge]
    return merge.results[0]


def _repeat_kv(x: SSAValue, shapes: _Shapes, target: LoweringTarget, ops: list[Operation]) -> SSAValue:
    """``[B, T, h·D]`` → ``[B, T, h·g·D]`` with each head repeated ``g`` times in a row."""
    assert shapes.head_size is not None
    group, size, heads = shapes.q_heads // shapes.kv_heads, shapes.head_size, shapes.kv_heads
    elem = elem_of(x) or TensorProto.FLOAT
    batch, length = (dims_of(x) or (None, None))[:2]
    split_shape = constant(target, np.array([0, 0, heads, 1, size], dtype=np.int64))
    ones = constant(target, np.array([1, 1, 1, group, 1], dtype=np.int64))
    merge_shape = constant(target, np.array([0, 0, heads * group * size], dtype=np.int64))
    split = onnx_op("Reshape", target, [x, split_shape.results[0]], [tensor_type(elem, (batch, length, heads, 1, size))])
    repeated = tensor_type(elem, (batch, length, heads, group, size))
    expand = onnx_op("Expand", target, [split.results[0], ones.results[0]], [repeated])
    merged = tensor_type(elem, (batch, length, heads * group * size))
    merge = onnx_op("Reshape", target, [expand.results[0], merge_shape.results[0]], [merged])
    ops += [split_shape, ones, merge_shape, split, expand, merge]
    return merge.results[0]


@dataclass(frozen=True)
class _Projection:
    """``query = x·W + b`` for the packed query: its input, constant weight and bias (or None)."""

    x: SSAValue
    weight: SSAValue
    bias: SSAValue | None


def _packed_projection(op: AttentionOp, shapes: _Shapes) -> _Projection | None:
    """How the packed query is computed, when ``com.microsoft::Attention`` can take over the projection:
    ``nn.linear``, ``MatMul (+ Add)`` or GPT-2's ``Reshape(Gemm(Reshape(x, [-1, K])), [B, S, N])``,
    with a constant ``[K, N]`` weight, a constant ``[N]`` bias and equal q/k/v heads. q, k and v given
    as the three outputs of one Split of such a projection (``nn-fuse-qkv`` after this fusion) count
    as packed too."""
    if shapes.q_heads != shapes.kv_heads:
        return None
    packed = op.query if shapes.packed else _split_source(op)
    projection = _projection(packed) if packed is not None else None
    if projection is None:
        return None
    x_dims, w_dims = dims_of(projection.x), dims_of(projection.weight)
    width = sum(shapes.widths())
    if x_dims is None or len(x_dims) != 3 or x_dims[:2] != (shapes.batch, shapes.length) or not isinstance(x_dims[2], int):
        return None
    if constant_of(projection.weight) is None or w_dims != (x_dims[2], width):
        return None
    if elem_of(projection.weight) != elem_of(op.query):
        return None
    if projection.bias is not None and (constant_of(projection.bias) is None or dims_of(projection.bias) != (width,)):
        return None
    return projection


def _split_source(op: AttentionOp) -> SSAValue | None:
    """The ``[B, S, 3·N]`` tensor whose Split along the last dim gives q, k, v (outputs 0, 1, 2 in order)."""
    split = op.query.owner
    if not isinstance(split, SplitFamily) or [op.query, op.key, op.value] != list(split.results):
        return None
    dims = dims_of(split.operands[0])
    axis = int_prop(split, "axis", 0)
    return split.operands[0] if dims is not None and axis in (-1, len(dims) - 1) else None


def _projection(query: SSAValue) -> _Projection | None:
    producer = query.owner
    if isinstance(producer, LinearOp):
        return _Projection(producer.input, producer.weight, None if is_absent(producer.bias) else producer.bias)
    if isinstance(producer, AddOp):
        for product, bias in (producer.operands, reversed(producer.operands)):
            if isinstance(product.owner, MatMulOp) and constant_of(bias) is not None:
                return _Projection(product.owner.operands[0], product.owner.operands[1], bias)
        return None
    if isinstance(producer, MatMulOp):
        return _Projection(producer.operands[0], producer.operands[1], None)
    if isinstance(producer, ReshapeFamily):
        return _gemm_projection(producer)
    return None


def _gemm_projection(unflatten: Operation) -> _Projection | None:
    """``Reshape(Gemm(Reshape(x, [B·S, K]), W, C), [B, S, N])`` is ``x·W + C`` for a 3-D ``x``."""
    gemm = unflatten.operands[0].owner
    if not isinstance(gemm, GemmOp) or any(int_prop(gemm, a, 0) for a in ("transA", "transB")):
        return None
    if any(_float_prop(gemm, a) != 1.0 for a in ("alpha", "beta")):
        return None
    flatten = gemm.operands[0].owner
    if not isinstance(flatten, ReshapeFamily):
        return None
    x = flatten.operands[0]
    x_dims, flat, out = dims_of(x), dims_of(flatten.results[0]), dims_of(unflatten.results[0])
    if x_dims is None or flat is None or out is None or len(x_dims) != 3 or len(flat) != 2 or len(out) != 3:
        return None
    if flat[1] != x_dims[2] or out[:2] != x_dims[:2] or None in x_dims[:2]:
        return None
    bias = gemm.operands[2]
    return _Projection(x, gemm.operands[1], None if is_absent(bias) else bias)


def _float_prop(op: Operation, name: str) -> float:
    attr = op.properties.get(name)
    return 1.0 if attr is None else float(attr.value.data) if isinstance(attr, FloatAttr) else float("nan")


def _contrib_attention(op: AttentionOp, shapes: _Shapes, projection: _Projection, target: LoweringTarget,
                       rewriter: PatternRewriter) -> Lowered:
    ops: list[Operation] = []
    bias = projection.bias
    if bias is None:
        zeros = constant(target, np.zeros(sum(shapes.widths()), dtype=np.float32))
        ops.append(zeros)
        bias = zeros.results[0]
    attention_bias = _attention_bias(op, target, ops)
    none = no_value(rewriter, op)
    attention = contrib_op(
        "Attention", [projection.x, projection.weight, bias, none, none, none if attention_bias is None else attention_bias],
        [op.output.type], num_heads=shapes.q_heads, scale=_scale(op), unidirectional=op.is_causal.value.data,
    )
    return [*ops, attention], [attention.results[0]]
