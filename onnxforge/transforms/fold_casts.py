"""``onnx-fold-casts``: a Cast of a Cast through a wider type becomes one Cast (or none).

Identity: if the intermediate type T1 represents every value of x's type S
exactly, ``Cast(x, T1)`` changes no value, and a Cast's result depends only
on the value it converts, so ``Cast(Cast(x, T1), T2) = Cast(x, T2)``, which is
``x`` itself when T2 = S. "Exactly" is the table below: wider floats of the
same family (f16/bf16 → f32 → f64), wider integers of compatible sign, bool
into any number, and integers into floats with enough significand bits
(8-bit into f16/bf16, 16-bit into f32, 32-bit into f64). Never through a
narrower or lossy type (f32→f16→f32, float→int→float, int64→int32→int64) and
never through bool, string, complex or sub-16-bit floats.

x's element type must be known (its tensor type, or it is a constant);
otherwise the pair is left alone.
"""

from __future__ import annotations

from dataclasses import dataclass

from onnx import TensorProto as T
from xdsl.ir import Operation
from xdsl.pattern_rewriter import PatternRewriter

from onnxforge.dialects.onnx.generated import CastOp, CastV6Op, CastV19Op
from onnxforge.passmanager import Accuracy, OpPattern, PatternPass, register
from onnxforge.transforms._common import elem_of, int_prop

CAST_OPS = (CastOp, CastV19Op, CastV6Op)

_FLOATS = {T.FLOAT16, T.BFLOAT16, T.FLOAT, T.DOUBLE}
_INTS = {T.INT8, T.INT16, T.INT32, T.INT64, T.UINT8, T.UINT16, T.UINT32, T.UINT64}
EXACT_IN: dict[int, frozenset[int]] = {
    T.BOOL: frozenset(_INTS | _FLOATS),
    T.INT8: frozenset({T.INT16, T.INT32, T.INT64, T.FLOAT16, T.BFLOAT16, T.FLOAT, T.DOUBLE}),
    T.UINT8: frozenset({T.UINT16, T.UINT32, T.UINT64, T.INT16, T.INT32, T.INT64, T.FLOAT16, T.BFLOAT16, T.FLOAT, T.DOUBLE}),
    T.INT16: frozenset({T.INT32, T.INT64, T.FLOAT, T.DOUBLE}),
    T.UINT16: frozenset({T.UINT32, T.UINT64, T.INT32, T.INT64, T.FLOAT, T.DOUBLE}),
    T.INT32: frozenset({T.INT64, T.DOUBLE}),
    T.UINT32: frozenset({T.UINT64, T.INT64, T.DOUBLE}),
    T.FLOAT16: frozenset({T.FLOAT, T.DOUBLE}),
    T.BFLOAT16: frozenset({T.FLOAT, T.DOUBLE}),
    T.FLOAT: frozenset({T.DOUBLE}),
}
"""S → the types that represent every value of S exactly (and to which it converts exactly)."""

_NUMBERS = _FLOATS | _INTS | {T.BOOL}


class FoldCastPair(OpPattern):
    """Cast(Cast(x: S, T1), T2) = Cast(x, T2), or x when T2 = S, if T1 holds every S value exactly."""

    roots = CAST_OPS

    def match_and_rewrite(self, op: Operation, rewriter: PatternRewriter) -> None:
        inner = op.operands[0].owner
        if not isinstance(inner, CAST_OPS):
            return
        x = inner.operands[0]
        source, middle, target = elem_of(x), int_prop(inner, "to"), int_prop(op, "to")
        if source is None or middle not in EXACT_IN.get(source, ()) or target not in _NUMBERS:
            return
        if target == source:
            rewriter.replace(op, [], [x])
        else:
            op.operands[0] = x
            rewriter.notify_op_modified(op)
        if not inner.results[0].uses:
            rewriter.erase(inner)


@register
@dataclass(frozen=True)
class FoldCasts(PatternPass):
    name = "onnx-fold-casts"
    summary = "Cast(Cast(x, T1), T2) → Cast(x, T2) or x when T1 holds x's values exactly"
    accuracy = Accuracy.LOSSLESS

    def patterns(self) -> list[OpPattern]:
        return [FoldCastPair()]
