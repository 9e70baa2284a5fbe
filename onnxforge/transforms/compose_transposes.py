"""``onnx-compose-transposes``: a Transpose of a Transpose becomes one Transpose (or none).

Identity: ``Transpose(x, p)`` has output dim ``j`` = input dim ``p[j]``, so
``Transpose(Transpose(x, p1), p2)`` has output dim ``j`` = x's dim
``p1[p2[j]]``, i.e. ``Transpose(x, q)`` with ``q[j] = p1[p2[j]]``; when ``q``
is the identity the pair is ``x``. Element values are moved, never computed,
so the result is bit-identical.

An absent perm reverses the dims; it is made explicit from the other perm's
length or a known rank, else the pattern does not fire. When the inner
Transpose has other users it stays, and the rewrite fires only if the pair
cancels (``q`` identity): composing would otherwise trade one transpose for
another and save nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.dialects.builtin import DenseArrayBase, i64
from xdsl.ir import Operation
from xdsl.pattern_rewriter import PatternRewriter

from onnxforge.dialects.onnx.generated import TransposeOp
from onnxforge.passmanager import Accuracy, OpPattern, PatternPass, register
from onnxforge.transforms._common import dims_of, has_prop, ints_prop


def _perm(op: Operation, rank: int | None) -> list[int] | None:
    """The op's perm, with an absent perm spelled out as the reversal (needs the rank)."""
    if has_prop(op, "perm"):
        perm = ints_prop(op, "perm")
        return None if perm is None else list(perm)
    return None if rank is None else list(reversed(range(rank)))


class ComposeTransposes(OpPattern):
    """Transpose(Transpose(x, p1), p2) = Transpose(x, j ↦ p1[p2[j]]), or x when that is the identity."""

    roots = (TransposeOp,)

    def match_and_rewrite(self, op: Operation, rewriter: PatternRewriter) -> None:
        inner = op.operands[0].owner
        if not isinstance(inner, TransposeOp):
            return
        x = inner.operands[0]
        known = [len(p) for p in (ints_prop(op, "perm"), ints_prop(inner, "perm")) if p is not None]
        dims = dims_of(x)
        rank = known[0] if known else (len(dims) if dims is not None else None)
        p1, p2 = _perm(inner, rank), _perm(op, rank)
        if p1 is None or p2 is None or not (sorted(p1) == sorted(p2) == list(range(len(p1)))):
            return
        composed = [p1[j] for j in p2]
        if composed == list(range(len(composed))):
            rewriter.replace(op, [], [x])
        elif op.operands[0].has_one_use():
            op.operands[0] = x
            op.properties["perm"] = DenseArrayBase.from_list(i64, composed)
            rewriter.notify_op_modified(op)
        else:
            return
        if not inner.results[0].uses:
            rewriter.erase(inner)


@register
@dataclass(frozen=True)
class ComposeTransposesPass(PatternPass):
    name = "onnx-compose-transposes"
    summary = "Transpose(Transpose(x, p1), p2) → Transpose(x, p1∘p2), or x"
    accuracy = Accuracy.LOSSLESS

    def patterns(self) -> list[OpPattern]:
        return [ComposeTransposes()]
