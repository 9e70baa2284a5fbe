"""``nn-fuse-attention``: exported multi-head attention blocks become one ``nn.attention``.

Matched from the Softmax (the chain and its variants are in ``_attention_match``)::

    q4 = split_heads(q)·c_q     kᵀ = split_heads(k)ᵀ·c_k     v4 = repeat_kv(split_heads(v))
    p  = Softmax(q4 @ kᵀ · c + mask, axis = -1)       [Where(IsNaN(p), 0, p)]
    y  = merge_heads(p @ v4)

Identity: for ``x = [B, T, H·D]``, ``split_heads(x)`` is head ``h`` of ``x`` as ``[B, H, T, D]``, so
the block is ``softmax(Q·Kᵀ·scale + mask)·V`` per head, heads merged back, with
``scale = c_q·c_k·c`` — ``nn.attention(q, k, v, mask, scale)`` with ``q_num_heads = H`` and
``kv_num_heads = H/g`` when ``repeat_kv`` repeats each KV head ``g`` times (grouped-query
attention: query head ``i`` reads KV head ``⌊i/g⌋``). Moving the constant factors onto the scores
reorders float rounding only (accuracy class 1). The mask is the graph's own value, added as the
graph adds it (an all-zero mask is dropped; SDPA's triangular ``is_causal`` mask over ``S = T``
becomes ``is_causal = 1``).

Rotary: when q or k is a 4-D ``nn.rotary_embedding`` of a head split (``nn-fuse-rotary-embedding``
runs first), the rotation moves before the split, as the 3-D form with ``num_heads`` — the same
function, since it rotates each head vector on its own — so the fused op reads 3-D q and k.
When q, k and v are the three outputs of one Split (GPT-2's packed projection, or
``nn-fuse-qkv``'s), the fused op reads the packed ``[B, S, (Hq + 2·Hkv)·D]`` tensor itself.

SDPA's ``Where(IsNaN(p), 0, p)``: dropped when the softmax cannot produce NaN (no mask, or a mask of
finite constants); otherwise a row of ``p`` is NaN exactly when its scores are masked entirely by
``-inf``, which makes that head's slice of ``y`` NaN (or 0, from a kernel that zeroes such rows),
so the guard moves to the output as ``Where(IsNaN(y), 0, y)`` and ``y`` is the graph's 0 there.

With a KV cache, k and v are ``Concat(past, split_heads(x))``: the fused op takes the new step's
3-D k and v and the two pasts, and its ``present_key``/``present_value`` results replace the
concatenations (the model's ``present.*`` outputs), computed as the graph computes them.

A candidate that fails a check, or whose op the target cannot lower, is a near miss.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from onnx import TensorProto
from xdsl.dialects.builtin import FloatAttr, IntegerAttr, f32, i64
from xdsl.ir import Attribute, Operation, SSAValue
from xdsl.rewriter import InsertPoint

from onnxforge.dialects.nn import AttentionOp, RotaryEmbeddingOp
from onnxforge.dialects.onnx.builders import standard_class, standard_op
from onnxforge.dialects.onnx.generated import AddOp, SoftmaxOp
from onnxforge.dialects.onnx.queries import constant_of, dims_of, elem_of
from onnxforge.ir.provenance import name_or_kind, record_replacement
from onnxforge.ir.types import tensor_type
from onnxforge.passmanager import Mismatch
from onnxforge.transforms._attention_match import Heads, Match, match_attention
from onnxforge.transforms.fusion import Build, Fusion, FusionPass, FusionPattern, Value, fail
from onnxforge.transforms.lowering.attention import proves_nonempty
from onnxforge.transforms.lowering.base import constant
from onnxforge.transforms.nn_fuse_qkv import projection_of


class FuseAttention(FusionPattern):
    """softmax(split(q)·split(k)ᵀ·c + mask)·split(v), heads merged → nn.attention(q, k, v, mask, scale = c)."""

    def match(self, op: SoftmaxOp, fusion: Fusion) -> None:
        match = match_attention(op, fusion.opset)
        builds: list[Build] = []
        if match.query.part is not None:
            _unpack_parts(match, builds, fusion)
        query, key, value = (_rotated(h, builds, fusion) for h in (match.query, match.key, match.value))
        if match.packed is not None:
            query, key, value = match.packed.operands[0], fusion.absent, fusion.absent
        q = match.query
        merged = (q.batch, q.length, q.heads * q.head_size)
        caches = [h.cache for h in (match.key, match.value) if h.cache is not None]
        fused = Build(
            AttentionOp,
            [query, key, value, match.mask if match.mask is not None else fusion.absent,
             *(cache.operands[0] for cache in caches)],
            [tensor_type(elem_of(q.x3) or TensorProto.FLOAT, merged), *(cache.results[0].type for cache in caches)],
            {"q_num_heads": IntegerAttr(q.heads, i64), "kv_num_heads": IntegerAttr(match.key.heads, i64),
             "scale": FloatAttr(match.scale, f32), "is_causal": IntegerAttr(int(match.is_causal), i64)},
        )
        if caches or match.key.presplit:  # which lowering is exact depends on it; only now can it be proven
            fused.properties["nonempty"] = IntegerAttr(int(proves_nonempty(fused)), i64)
        output: Value = fused.output
        builds.append(fused)
        if match.nan_guard is not None:  # y → Where(IsNaN(y), 0, y): SDPA's softmax guard, moved to the output
            name = name_or_kind(match.context)
            isnan = Build(standard_class("IsNaN", fusion.opset), [output], [tensor_type(TensorProto.BOOL, merged)],
                          name=f"{name}/IsNaN")
            where = Build(standard_class("Where", fusion.opset), [isnan.results[0], match.nan_guard.operands[1], output],
                          [fused.output.type], name=f"{name}/Where")
            builds += [isnan, where]
            output = where.results[0]
        presents = {cache.results[0]: present for cache, present in zip(caches, fused.results[1:], strict=True)}
        if match.shape_reads:  # only now, with every check passed: the rewrite below is kept either way
            for build in builds:
                fusion.check(build)
            for shape in match.shape_reads:
                _present_shape(shape, match.key if shape.operands[0].owner is match.key.cache else match.value, fusion)
        fusion.replace(match.context, builds, match.ops, {match.output: output, **presents})


def _three_d(heads: Heads, builds: list[Build], fusion: Fusion) -> Value:
    """``heads.x3`` as ``[B, T, H·D]``: itself, or merged from ``[B, T, H, D]`` (``Heads.merge``) by a Reshape
    that copies B and T (``0``) and so runs at any size, 0 included."""
    if not heads.merge:
        return heads.x3
    dims = dims_of(heads.x3) or (None, None)
    merge = Build(standard_class("Reshape", fusion.opset),
                  [heads.x3, fusion.initializer(np.array([0, 0, heads.heads * heads.head_size], np.int64), "merge_heads")],
                  [tensor_type(elem_of(heads.x3) or TensorProto.FLOAT, (dims[0], dims[1], heads.heads * heads.head_size))],
                  name=f"{name_or_kind(heads.ops[0])}/merge")
    builds.append(merge)
    return merge.results[0]


def _rotated(heads: Heads, builds: list[Build], fusion: Fusion) -> Value:
    """``heads.x3`` in its 3-D form, rotated there when the 4-D head split was (the 4-D op may stay for other
    readers)."""
    x3 = _three_d(heads, builds, fusion)
    rotary = heads.rotary
    if rotary is None:
        return x3
    moved = Build(RotaryEmbeddingOp, [x3, rotary.cos, rotary.sin, rotary.position_ids], [x3.type],
                  {"num_heads": IntegerAttr(heads.heads, i64), "rotary_dim": rotary.rotary_dim,
                   "interleaved": rotary.interleaved}, name=f"{name_or_kind(rotary)}/3d")
    try:
        fusion.check(moved)
    except Mismatch as reason:
        fail(f"the rotary embedding moved to 3-D: {reason}")
    builds.append(moved)
    return moved.output


def _unpack_parts(match: Match, builds: list[Build], fusion: Fusion) -> None:
    """q, k, v as the three parts of every head of one projection ``x·W (+ b)`` laid out ``[B, S, H, 3·D]``
    (GPT-NeoX): the same projection with ``W``'s columns (and ``b``'s entries) permuted from ``(h, j, d)`` to
    ``(j, h, d)`` computes ``[q | k | v]``, each ``[B, S, H·D]`` — the same products, reordered (exact) —
    and a Split gives the three 3-D values the fused op reads."""
    packed = match.query.x3
    producer = packed.owner
    matmul = producer.operands[0].owner if isinstance(producer, AddOp) else producer
    projection = projection_of(matmul) if isinstance(matmul, Operation) else None
    if projection is None or projection.output != packed:
        fail("the per-head q/k/v parts come from something other than one projection x·W (+ b) with constant W")
    if len(list(packed.uses)) != 1:
        fail("the packed q/k/v projection is read elsewhere too")
    heads, size = match.query.heads, match.query.head_size
    order = np.arange(3 * heads * size).reshape(heads, 3, size).transpose(1, 0, 2).reshape(-1)
    name = name_or_kind(projection.ops[0])
    weight = constant_of(projection.weight).numpy()[:, order]  # type: ignore[union-attr]
    product = Build(standard_class("MatMul", fusion.opset), [projection.x, fusion.initializer(weight, f"{name}_qkv")],
                    [packed.type], name=f"{name}/qkv")
    builds.append(product)
    out: Value = product.results[0]
    if projection.bias is not None:
        bias = constant_of(projection.bias).numpy().reshape(-1)[order]  # type: ignore[union-attr]
        add = Build(standard_class("Add", fusion.opset), [out, fusion.initializer(bias, f"{name}_qkv_bias")],
                    [packed.type], name=f"{name}/qkv_bias")
        builds.append(add)
        out = add.results[0]
    dims = dims_of(packed) or (None, None, None)
    part_type = tensor_type(elem_of(packed) or TensorProto.FLOAT, (dims[0], dims[1], heads * size))
    split = fusion.split(out, -1, [heads * size] * 3, [part_type] * 3, f"{name}/qkv")
    builds.append(split)
    for heads_of, part in zip((match.query, match.key, match.value), split.results, strict=True):
        heads_of.x3 = part  # type: ignore[assignment]
    match.ops += projection.ops


def _present_shape(shape: Operation, heads: Heads, fusion: Fusion) -> None:
    """``Shape(present)`` computed without the present: ``[B, H, P + T, D]`` from ``Shape(past)`` and the new
    step's ``T`` (``Shape(x3)[1]``), in place of the op (a mask built from the present's length, as T5's
    position bias is, would otherwise make the fused op read its own result). Exact: Concat adds the lengths
    along its axis and keeps the other dims."""
    opset, rewriter = fusion.opset, fusion.rewriter
    vector = lambda n: tensor_type(TensorProto.INT64, (n,))  # noqa: E731
    made: list[Operation] = []

    def op(kind: str, operands: list[SSAValue], width: int, **props: Attribute) -> SSAValue:
        made.append(standard_op(kind, opset, operands, [vector(width)], props))
        return made[-1].results[0]

    def const(values: list[int]) -> SSAValue:
        made.append(constant(fusion.target, np.array(values, dtype=np.int64)))
        return made[-1].results[0]

    past = op("Shape", [heads.past], 4)  # type: ignore[list-item]
    new = op("Shape", [heads.x3], len(dims_of(heads.x3) or (0, 0, 0)))  # [B, T, H·D], or [B, T, H, D] (``merge``)
    axis = IntegerAttr(0, i64)
    lead = op("Gather", [past, const([0, 1])], 2, axis=axis)
    total = op("Add", [op("Gather", [past, const([2])], 1, axis=axis), op("Gather", [new, const([1])], 1, axis=axis)], 1)
    result = op("Concat", [lead, total, op("Gather", [past, const([3])], 1, axis=axis)], 4, axis=axis)
    for new_op in made:
        rewriter.insert(new_op, InsertPoint.before(shape))
    record_replacement(made, [shape], shape, main=made[-1])  # named after the Shape op, in its module
    rewriter.replace_all_uses_with(shape.results[0], result)
    rewriter.erase_op(shape)  # dead now, and it reads the present the fused op will define after it


@dataclass(frozen=True)
class FuseAttentionPass(FusionPass):
    name = "nn-fuse-attention"
    summary = "multi-head attention blocks (BERT, GPT-2, ViT, Whisper, Llama GQA + rotary, SDPA) → nn.attention"

    def patterns(self) -> list[FusionPattern]:
        return [FuseAttention()]
