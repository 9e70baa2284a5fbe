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

A candidate that fails a check, or whose op the target cannot lower, is a near miss.
"""

from __future__ import annotations

from dataclasses import dataclass

from onnx import TensorProto
from xdsl.dialects.builtin import FloatAttr, IntegerAttr, NameLoc, NoneAttr, StringAttr, f32, i64
from xdsl.ir import Operation, SSAValue
from xdsl.pattern_rewriter import PatternRewriter
from xdsl.rewriter import InsertPoint

from onnxforge.dialects.nn import AttentionOp, RotaryEmbeddingOp
from onnxforge.dialects.onnx.generated import SoftmaxOp
from onnxforge.dialects.onnx.structure import InitializerOp, NoValueOp
from onnxforge.ir.builders import standard_op
from onnxforge.ir.types import tensor_type
from onnxforge.lowering import unsupported
from onnxforge.passmanager import Accuracy, OpPattern, PatternPass, register
from onnxforge.passmanager.rewriting import source_name
from onnxforge.transforms._attention_match import Heads, Match, Mismatch, match_attention
from onnxforge.transforms._common import dims_of, elem_of
from onnxforge.transforms._fusion import fuse, lowering_target, model_of, near_miss

PASS_NAME = "nn-fuse-attention"


class FuseAttention(OpPattern):
    """softmax(split(q)·split(k)ᵀ·c + mask)·split(v), heads merged → nn.attention(q, k, v, mask, scale = c)."""

    roots = (SoftmaxOp,)

    def match_and_rewrite(self, op: Operation, rewriter: PatternRewriter) -> None:
        model = model_of(op)
        opset = model.opsets().get("", 0) if model is not None else 0
        try:
            match = match_attention(op, opset)
        except Mismatch as err:
            near_miss(self, PASS_NAME, op, str(err))
            return
        self._rewrite(op, match, rewriter)

    def _rewrite(self, softmax: Operation, match: Match, rewriter: PatternRewriter) -> None:
        absent = NoValueOp()
        extra: list[Operation] = [absent]
        none = absent.results[0]
        query, key, value = (self._rotated(h, extra) for h in (match.query, match.key, match.value))
        if match.packed is not None:
            query, key, value = match.packed.operands[0], none, none
        for rotary in extra[1:]:
            if reason := unsupported(rotary, lowering_target(softmax)):
                near_miss(self, PASS_NAME, softmax, f"the rotary embedding moved to 3-D: {reason}")
                return
        q = match.query
        elem = elem_of(q.x3)
        assert elem is not None
        fused = AttentionOp.create(
            operands=[query, key, value, match.mask if match.mask is not None else none],
            result_types=[tensor_type(elem, (q.batch, q.length, q.heads * q.head_size))],
            properties={
                "q_num_heads": IntegerAttr(q.heads, i64),
                "kv_num_heads": IntegerAttr(match.key.heads, i64),
                "scale": FloatAttr(match.scale, f32),
                "is_causal": IntegerAttr(int(match.is_causal), i64),
            },
        )
        feeders = {o.owner for op in match.ops for o in op.operands if isinstance(o.owner, Operation)}
        zero = match.nan_guard.operands[1] if match.nan_guard is not None else None
        if not fuse(rewriter, self, PASS_NAME, match.context, fused, match.ops, [match.output], extra_ops=extra):
            return
        if zero is not None:
            _guard_nan(rewriter, fused, zero)
        _erase_dead(rewriter, feeders - set(match.ops))

    @staticmethod
    def _rotated(heads: Heads, extra: list[Operation]) -> SSAValue:
        """``heads.x3``, rotated in its 3-D form when the 4-D head split was."""
        rotary = heads.rotary
        if rotary is None:
            return heads.x3
        moved = RotaryEmbeddingOp.create(
            operands=[heads.x3, rotary.cos, rotary.sin, rotary.position_ids],
            result_types=[heads.x3.type],
            properties={
                "num_heads": IntegerAttr(heads.heads, i64),
                "rotary_dim": rotary.rotary_dim,
                "interleaved": rotary.interleaved,
            },
        )
        moved.location = NameLoc(StringAttr(f"{source_name(rotary)}/3d"), NoneAttr())  # the 4-D one may stay
        extra.append(moved)
        return moved.results[0]


def _guard_nan(rewriter: PatternRewriter, fused: Operation, zero: SSAValue) -> None:
    """``y → Where(IsNaN(y), 0, y)`` after the fused op: SDPA's softmax guard, moved to the output."""
    model = model_of(fused)
    opset = model.opsets().get("", 0) if model is not None else 0
    y = fused.results[0]
    isnan = standard_op("IsNaN", opset, [y], [tensor_type(TensorProto.BOOL, dims_of(y))])
    where = standard_op("Where", opset, [isnan.results[0], zero, y], [y.type])
    for new, suffix in ((isnan, "IsNaN"), (where, "Where")):
        new.location = NameLoc(StringAttr(f"{source_name(fused)}/{suffix}"), NoneAttr())
    rewriter.insert([isnan, where], InsertPoint.after(fused))
    y.replace_uses_with_if(where.results[0], lambda use: use.operation not in (isnan, where))


def _erase_dead(rewriter: PatternRewriter, candidates: set[Operation]) -> None:
    """Erase the ops that fed only the replaced block, such as SDPA's ``Shape → Slice → Concat`` computing
    the kᵀ Reshape's target from k itself (it would keep k's rotary and repeat alive), and their feeders."""
    pending = list(candidates)
    while pending:
        op = pending.pop()
        if op.parent is None or isinstance(op, (InitializerOp, NoValueOp)) or op.regions or any(r.uses for r in op.results):
            continue
        pending += [o.owner for o in op.operands if isinstance(o.owner, Operation)]
        rewriter.erase(op)


@register
@dataclass(frozen=True)
class FuseAttentionPass(PatternPass):
    name = PASS_NAME
    summary = "multi-head attention blocks (BERT, GPT-2, ViT, Whisper, Llama GQA + rotary, SDPA) → nn.attention"
    accuracy = Accuracy.FLOAT_BOUNDED

    def patterns(self) -> list[OpPattern]:
        return [FuseAttention()]
