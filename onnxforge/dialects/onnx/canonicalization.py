"""Canonicalization of the onnx dialect: local, cheap, lossless rewrites, attached to the ops they root on.

Each pattern states the identity it relies on and fires only on what the IR
states statically — an element type, a dim, a constant — never on a guess. Dims
come from the value's type (``onnx-infer-shapes`` writes them) or its constant;
a symbolic dim counts only where no value of the symbol could change the answer.
Every pattern is bit-exact (accuracy class 0) and convergent (a second run
changes nothing). A pattern on a family (``CastFamily``) covers every opset form
of the op; the accessors of ``queries`` read the forms that differ.

They are attached to their op classes through xDSL's
``HasCanonicalizationPatternsTrait`` (``attach``, run when the dialect is
imported), so ``onnx-canonicalize`` and plain ``xdsl-opt -p canonicalize`` find
them on the ops. Rewrites route uses through the rewriter; ops a rewrite leaves
dead are erased at once (``ir.dead``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from onnx import TensorProto as T
from xdsl.dialects.builtin import DenseArrayBase, StringAttr, i64
from xdsl.ir import Operation, SSAValue
from xdsl.pattern_rewriter import PatternRewriter, RewritePattern
from xdsl.rewriter import InsertPoint
from xdsl.traits import HasCanonicalizationPatternsTrait

from onnxforge.dialects.onnx.generated import (
    GENERATED_OPS,
    AddOp,
    AndOp,
    AveragePoolFamily,
    CastFamily,
    ConcatFamily,
    ConstantOfShapeOp,
    ConvIntegerOp,
    ConvOp,
    DivOp,
    DropoutFamily,
    ExpandOp,
    FlattenOp,
    GatherOp,
    GRUFamily,
    IdentityOp,
    LSTMFamily,
    MaxPoolFamily,
    MulOp,
    OrOp,
    PadFamily,
    ReduceMaxFamily,
    ReduceMeanFamily,
    ReduceMinFamily,
    ReduceProdFamily,
    ReduceSumFamily,
    ReshapeFamily,
    RNNFamily,
    SliceFamily,
    SplitFamily,
    SqueezeFamily,
    SubOp,
    TransposeOp,
    UnsqueezeFamily,
)
from onnxforge.dialects.onnx.queries import (
    axes_of,
    constant_of,
    dims_of,
    dropout_is_inference,
    elem_of,
    has_prop,
    int_constant,
    int_prop,
    ints_prop,
    is_absent,
    pads_of,
    reshape_shape,
    since,
    slice_params,
    small_constant,
    split_is_whole,
    str_prop,
)
from onnxforge.dialects.onnx.structure import NoValueOp
from onnxforge.ir.dead import erase_dead
from onnxforge.ir.patterns import applies_to
from onnxforge.ir.types import Dim

INT64_MAX = 2**63 - 1
MAX_CHECKED = 1 << 20
"""Constants with more elements than this are not scanned for neutral values (they are weights)."""


def _forward(op: Operation, value: SSAValue, rewriter: PatternRewriter) -> None:
    """Replace the op's first result by ``value``; its other results must be unused."""
    rewriter.replace(op, [], [value, *([None] * (len(op.results) - 1))])


def _bypass(op: Operation, index: int, value: SSAValue, rewriter: PatternRewriter) -> None:
    """Make ``op`` read ``value`` as operand ``index`` instead of the inner op's result; erase that op if it died."""
    inner = op.operands[index].owner
    rewriter.replace_uses_with_if(op.operands[index], value, lambda use: use.operation is op)
    if isinstance(inner, Operation):
        erase_dead(rewriter, [inner])


# --- identities: f(x) = x ---------------------------------------------------------------------


class EraseIdentity(RewritePattern):
    """Identity(x) = x."""

    def match_and_rewrite(self, op: IdentityOp, rewriter: PatternRewriter) -> None:
        _forward(op, op.operands[0], rewriter)


class EraseInferenceDropout(RewritePattern):
    """Dropout(x) = x when not training (no training_mode, or a constant false one) and the mask is unused."""

    def match_and_rewrite(self, op: DropoutFamily, rewriter: PatternRewriter) -> None:
        if dropout_is_inference(op) and not any(r.uses for r in op.results[1:]):
            _forward(op, op.operands[0], rewriter)


class EraseSameTypeCast(RewritePattern):
    """Cast(x, to=T) = x when x's element type is T."""

    def match_and_rewrite(self, op: CastFamily, rewriter: PatternRewriter) -> None:
        to = int_prop(op, "to")
        if to is not None and to == elem_of(op.operands[0]):
            _forward(op, op.operands[0], rewriter)


class EraseIdentityTranspose(RewritePattern):
    """Transpose(x, perm=[0, 1, …, r-1]) = x; without perm the reversal is x on rank ≤ 1."""

    def match_and_rewrite(self, op: TransposeOp, rewriter: PatternRewriter) -> None:
        x = op.operands[0]
        if has_prop(op, "perm"):
            perm = ints_prop(op, "perm")
            if perm is None or list(perm) != list(range(len(perm))):
                return
        else:
            dims = dims_of(x)
            if dims is None or len(dims) > 1:
                return
        _forward(op, x, rewriter)


class EraseSingleConcat(RewritePattern):
    """Concat(x) = x: concatenating one tensor copies it."""

    def match_and_rewrite(self, op: ConcatFamily, rewriter: PatternRewriter) -> None:
        if len(op.operands) == 1:
            _forward(op, op.operands[0], rewriter)


class DropEmptyConcatOperands(RewritePattern):
    """Concat(a, e, b) = Concat(a, b) when ``e`` is statically empty along the axis (its dim there is 0): it adds
    no element. (Phi-3's rotary ``cat(q_rot, q[..., rotary_dim:])`` with a whole-head rotation.) At least one
    operand stays, so the result's type is still carried by a value of the same rank and element type."""

    def match_and_rewrite(self, op: ConcatFamily, rewriter: PatternRewriter) -> None:
        dims = dims_of(op.results[0])
        axis = int_prop(op, "axis", 0)
        if dims is None or axis is None or not -len(dims) <= axis < len(dims):
            return
        kept = [v for v in op.operands if (dims_of(v) or (None,) * len(dims))[axis] != 0]
        if len(kept) == len(op.operands) or not kept:
            return
        if len(kept) == 1 and dims_of(kept[0]) == dims and elem_of(kept[0]) == elem_of(op.results[0]):
            _forward(op, kept[0], rewriter)
            return
        rewriter.replace_matched_op(type(op).create(operands=kept, result_types=[op.results[0].type],
                                                    properties=dict(op.properties), attributes=dict(op.attributes)))


class EraseSingleSplit(RewritePattern):
    """Split(x) into one output without split sizes = x (one equal part is the whole)."""

    def match_and_rewrite(self, op: SplitFamily, rewriter: PatternRewriter) -> None:
        if split_is_whole(op):
            _forward(op, op.operands[0], rewriter)


def reshape_keeps(dims: Sequence[Dim] | None, shape: Sequence[int], allowzero: bool) -> bool:
    """True when Reshape(x, shape) has x's dims: each entry equals x's dim, or is a copying 0, or is
    the one -1 whose value follows (the other dims are positive integers, so the division is exact)."""
    if dims is None or len(shape) != len(dims) or list(shape).count(-1) > 1:
        return False
    for index, (want, dim) in enumerate(zip(shape, dims)):
        if want == -1:
            others = [d for i, d in enumerate(dims) if i != index]
            if not all(isinstance(d, int) and d > 0 for d in others):
                return False
        elif not ((want == 0 and not allowzero) or (isinstance(dim, int) and want == dim)):
            return False
    return True


class EraseNoopReshape(RewritePattern):
    """Reshape(x, s) = x when the constant s resolves to x's own dims."""

    def match_and_rewrite(self, op: ReshapeFamily, rewriter: PatternRewriter) -> None:
        shape = reshape_shape(op)
        allowzero = int_prop(op, "allowzero", 0)
        if shape is not None and allowzero is not None and reshape_keeps(dims_of(op.operands[0]), shape, bool(allowzero)):
            _forward(op, op.operands[0], rewriter)


class EraseNoopExpand(RewritePattern):
    """Expand(x, s) = x when broadcasting x's dims with the constant s gives x's dims: s is no longer
    than x's rank and each entry (right-aligned) is 1 or x's static dim."""

    def match_and_rewrite(self, op: ExpandOp, rewriter: PatternRewriter) -> None:
        dims = dims_of(op.operands[0])
        shape = int_constant(op.operands[1])
        if dims is None or shape is None or len(shape) > len(dims):
            return
        tail = dims[len(dims) - len(shape):]
        if all(want == 1 or (isinstance(dim, int) and want == dim) for want, dim in zip(shape, tail)):
            _forward(op, op.operands[0], rewriter)


class EraseNoopSqueeze(RewritePattern):
    """Squeeze(x) without axes = x when no dim of x is (or could be) 1."""

    def match_and_rewrite(self, op: SqueezeFamily, rewriter: PatternRewriter) -> None:
        if axes_of(op) != ():
            return
        dims = dims_of(op.operands[0])
        if dims is not None and all(isinstance(d, int) and d != 1 for d in dims):
            _forward(op, op.operands[0], rewriter)


class EraseNoopUnsqueeze(RewritePattern):
    """Unsqueeze(x, axes=[]) = x: no axis is inserted."""

    def match_and_rewrite(self, op: UnsqueezeFamily, rewriter: PatternRewriter) -> None:
        if axes_of(op) == () and (has_prop(op, "axes") or (len(op.operands) > 1 and not is_absent(op.operands[1]))):
            _forward(op, op.operands[0], rewriter)


def slice_keeps(dims: Sequence[Dim] | None, starts: Sequence[Dim], ends: Sequence[Dim],
                axes: Sequence[Dim] | None, steps: Sequence[Dim] | None) -> bool:
    """True when every sliced axis is taken whole with step 1: start clamps to 0 and end to the dim.
    Bounds are ints, or symbolic expressions (``onnx-simplify-shape-chains`` reads them from shape
    facts): on a symbolic dim ``d`` only start 0 or ``-d`` (``x[-len(x):]``) and end ``d`` or INT64_MAX
    are known to."""
    if dims is None or len(starts) != len(ends):
        return False
    rank = len(dims)
    axes = list(range(len(starts))) if axes is None else list(axes)
    steps = [1] * len(starts) if steps is None else list(steps)
    if len(axes) != len(starts) or len(steps) != len(starts):
        return False
    for start, end, axis, step in zip(starts, ends, axes, steps):
        if step != 1 or type(axis) is not int or not -rank <= axis < rank:
            return False
        dim = dims[axis]
        if dim is None:
            return False
        if isinstance(dim, int) and type(start) is int and type(end) is int:
            if not (start + dim <= 0 if start < 0 else start == 0) or not (end >= dim):
                return False
        elif not (start == 0 or (not isinstance(dim, str) and start == -dim)) or not (end == INT64_MAX or end == dim):
            return False  # (a dim from an IR type is its name, a str: only shape facts give expressions)
    return True


class EraseNoopSlice(RewritePattern):
    """Slice(x, starts, ends, axes, steps) = x when every sliced axis is taken whole with step 1."""

    def match_and_rewrite(self, op: SliceFamily, rewriter: PatternRewriter) -> None:
        params = slice_params(op)
        if params is not None and slice_keeps(dims_of(op.operands[0]), *params):
            _forward(op, op.operands[0], rewriter)


class EraseNoopReduce(RewritePattern):
    """ReduceMean/Sum/Max/Min/Prod(x, axes, keepdims=1) = x when every reduced dim is statically 1: each
    output element is the one input element (a global pool over a 1×1 map)."""

    def match_and_rewrite(self, op: ReduceMeanFamily | ReduceSumFamily | ReduceMaxFamily | ReduceMinFamily
                          | ReduceProdFamily, rewriter: PatternRewriter) -> None:
        dims = dims_of(op.operands[0])
        axes = axes_of(op)
        if dims is None or not axes or int_prop(op, "keepdims", 1) != 1 or elem_of(op.operands[0]) != elem_of(op.results[0]):
            return
        rank = len(dims)
        if all(-rank <= a < rank and dims[a] == 1 for a in axes):
            _forward(op, op.operands[0], rewriter)


class EraseZeroPad(RewritePattern):
    """Pad(x, pads=0…0) = x, whatever the mode and value: nothing is added or removed."""

    def match_and_rewrite(self, op: PadFamily, rewriter: PatternRewriter) -> None:
        pads = pads_of(op)
        if pads is not None and not any(pads):
            _forward(op, op.operands[0], rewriter)


# --- neutral elements -------------------------------------------------------------------------


def _neutral(value: SSAValue, element: float, exact_only: bool) -> bool:
    """Every element of the constant ``value`` is ``element``; with ``exact_only`` a float zero must be -0.0
    (adding +0.0 turns a -0.0 into +0.0: ``onnx-fold-neutral-elements`` takes that class-1 case)."""
    tensor = constant_of(value)
    if tensor is None or tensor.strings is not None or tensor.size > MAX_CHECKED or tensor.size == 0:
        return False
    try:
        array = tensor.numpy()
    except (ValueError, TypeError):
        return False
    if not bool(np.all(array == element)):
        return False
    return not (exact_only and array.dtype.kind in "fc" and bool(np.any(~np.signbit(array))))


def keeps_shape(x: SSAValue, constant: SSAValue) -> bool:
    """The constant broadcasts into ``x`` without changing ``x``'s shape or element type."""
    x_dims, c_dims = dims_of(x), dims_of(constant)
    if x_dims is None or c_dims is None or len(c_dims) > len(x_dims):
        return False
    for c, s in zip(reversed(c_dims), reversed(x_dims)):
        if c != 1 and (s is None or c is None or c != s):
            return False
    return elem_of(x) is not None and elem_of(x) == elem_of(constant)


def neutral_operand(op: AddOp | SubOp | MulOp | DivOp | AndOp | OrOp, exact_only: bool) -> SSAValue | None:
    """The operand ``op`` returns unchanged: ``x`` of ``x + 0``, ``0 + x``, ``x - 0``, ``x·1``, ``1·x``, ``x / 1``,
    ``x and True``, ``x or False`` (a mask builder's ``new_ones & mask``)."""
    element = 0 if isinstance(op, (AddOp, SubOp, OrOp)) else 1
    a, b = op.operands
    if _neutral(b, element, exact_only and isinstance(op, AddOp)) and keeps_shape(a, b):
        return a
    if not isinstance(op, (SubOp, DivOp)) and _neutral(a, element, exact_only and isinstance(op, AddOp)) and keeps_shape(b, a):
        return b
    return None


class FoldNeutralElement(RewritePattern):
    """x − 0 = x, x · 1 = 1 · x = x, x / 1 = x, x + (−0.0) = x, x + 0 = x for integers, x ∧ True = x,
    x ∨ False = x: exactly, in IEEE arithmetic too, when the constant does not broadcast x larger and the
    types agree."""

    def match_and_rewrite(self, op: AddOp | SubOp | MulOp | DivOp | AndOp | OrOp, rewriter: PatternRewriter) -> None:
        kept = neutral_operand(op, exact_only=True)
        if kept is not None:
            _forward(op, kept, rewriter)


# --- compositions -----------------------------------------------------------------------------


def _perm(op: Operation, rank: int | None) -> list[int] | None:
    """The op's perm, with an absent perm spelled out as the reversal (needs the rank)."""
    if has_prop(op, "perm"):
        perm = ints_prop(op, "perm")
        return None if perm is None else list(perm)
    return None if rank is None else list(reversed(range(rank)))


class ComposeTransposes(RewritePattern):
    """Transpose(Transpose(x, p1), p2) = Transpose(x, j ↦ p1[p2[j]]), or x when that is the identity.

    Output dim ``j`` of ``Transpose(x, p)`` is input dim ``p[j]``, so the pair takes x's dim
    ``p1[p2[j]]``. An absent perm reverses the dims (made explicit from the other perm or the rank).
    When the inner Transpose has other users it stays, and only a cancelling pair is rewritten:
    composing would trade one transpose for another and save nothing.
    """

    def match_and_rewrite(self, op: TransposeOp, rewriter: PatternRewriter) -> None:
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
            _forward(op, x, rewriter)
            erase_dead(rewriter, [inner])
        elif op.operands[0].has_one_use():
            op.properties["perm"] = DenseArrayBase.from_list(i64, composed)
            _bypass(op, 0, x, rewriter)
            rewriter.notify_op_modified(op)


class BypassInnerReshape(RewritePattern):
    """Reshape(r(x), s) = Reshape(x, s) for r a Reshape, Flatten, Squeeze or Unsqueeze, when s alone fixes the
    output dims: a constant without copying 0s (or with ``allowzero = 1``). Those ops keep the elements in
    row-major order and change only the dims, and a -1 resolves from the element count, which r keeps."""

    def match_and_rewrite(self, op: ReshapeFamily, rewriter: PatternRewriter) -> None:
        inner = op.operands[0].owner
        if since(op) < 5 or not isinstance(inner, (ReshapeFamily, FlattenOp, SqueezeFamily, UnsqueezeFamily)):
            return
        shape = reshape_shape(op)
        if shape is None or not (int_prop(op, "allowzero", 0) == 1 or 0 not in shape):
            return
        _bypass(op, 0, inner.operands[0], rewriter)
        rewriter.notify_op_modified(op)


FLOATS = {T.FLOAT16, T.BFLOAT16, T.FLOAT, T.DOUBLE}
INTS = {T.INT8, T.INT16, T.INT32, T.INT64, T.UINT8, T.UINT16, T.UINT32, T.UINT64}
EXACT_IN: dict[int, frozenset[int]] = {
    T.BOOL: frozenset(INTS | FLOATS),
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
NUMBERS = FLOATS | INTS | {T.BOOL}


class FoldCastPair(RewritePattern):
    """Cast(Cast(x: S, T1), T2) = Cast(x, T2), or x when T2 = S, if T1 holds every S value exactly.

    Then ``Cast(x, T1)`` changes no value, and a Cast's result depends only on the value it converts.
    "Exactly" is ``EXACT_IN``: wider floats of one family, wider integers of compatible sign, bool into
    any number, integers into floats with enough significand bits. Never through a narrower or lossy
    type (f32→f16→f32, float→int→float), nor through bool, string, complex or sub-16-bit floats.
    """

    def match_and_rewrite(self, op: CastFamily, rewriter: PatternRewriter) -> None:
        inner = op.operands[0].owner
        if not isinstance(inner, CastFamily):
            return
        x = inner.operands[0]
        # saturate/round_mode only change conversions to 8-bit floats, which neither table holds
        source, middle, target = elem_of(x), int_prop(inner, "to"), int_prop(op, "to")
        if source is None or middle not in EXACT_IN.get(source, ()) or target not in NUMBERS:
            return
        if target == source:
            _forward(op, x, rewriter)
            erase_dead(rewriter, [inner])
        else:
            _bypass(op, 0, x, rewriter)
            rewriter.notify_op_modified(op)


# --- convolution padding ----------------------------------------------------------------------


def _spatial_rank(op: Operation) -> int | None:
    """From ``kernel_shape``, else from a Conv weight's rank (``[M, C/g, k1, …]``)."""
    kernel = ints_prop(op, "kernel_shape")
    if kernel is not None:
        return len(kernel)
    if isinstance(op, (ConvOp, ConvIntegerOp)):
        dims = dims_of(op.operands[1])
        return None if dims is None else len(dims) - 2
    return None


class ValidPaddingToPads(RewritePattern):
    """auto_pad=VALID ≡ auto_pad=NOTSET, pads=[0]·2·rank: ONNX defines VALID as no padding.

    Why: onnxruntime folds a preceding zero Pad into a Conv or pooling op only when ``auto_pad`` is NOTSET
    (EfficientNet-B0's TorchScript export ran 1.29× slower with its VALID convs left as they were).
    SAME_UPPER/SAME_LOWER stay: their pads depend on the input size.
    """

    def match_and_rewrite(self, op: ConvOp | ConvIntegerOp | AveragePoolFamily | MaxPoolFamily,
                          rewriter: PatternRewriter) -> None:
        if str_prop(op, "auto_pad") != "VALID":
            return
        rank = _spatial_rank(op)
        if rank is None:
            return
        op.properties["auto_pad"] = StringAttr("NOTSET")
        op.properties["pads"] = DenseArrayBase.from_list(i64, [0] * (2 * rank))
        rewriter.notify_op_modified(op)


def _zero_spatial_pads(pad: PadFamily, rank: int) -> list[int] | None:
    """A constant-mode Pad's pads (``[begin…, end…]`` over the 2 + rank dims) when it pads only spatial
    dims, non-negatively, with zero (input forms, opset 11 on); else None."""
    if since(pad) < 11 or str_prop(pad, "mode", "constant") != "constant":
        return None
    operands = pad.operands
    if len(operands) > 3 and not is_absent(operands[3]):
        return None  # axes given (opset 18+): not worth the remapping
    if len(operands) > 2 and not is_absent(operands[2]):
        value = small_constant(operands[2])
        if value is None or value.size != 1 or float(value.reshape(-1)[0]) != 0.0:
            return None
    pads = pads_of(pad)
    if pads is None or len(pads) != 2 * (rank + 2) or min(pads) < 0:
        return None
    if pads[0] or pads[1] or pads[rank + 2] or pads[rank + 3]:
        return None
    return [*pads[2 : rank + 2], *pads[rank + 4 :]]


class ZeroPadIntoConv(RewritePattern):
    """Conv(Pad(x, zeros on spatial dims), pads=p) = Conv(x, pads=p + the Pad's): a Conv with ``pads`` reads
    zeros outside its input, exactly what the Pad wrote. Pooling is left alone (MaxPool pads with −∞,
    AveragePool may exclude pads from its count)."""

    def match_and_rewrite(self, op: ConvOp, rewriter: PatternRewriter) -> None:
        pad = op.operands[0].owner
        if not isinstance(pad, PadFamily) or not pad.results[0].has_one_use():
            return
        if str_prop(op, "auto_pad", "NOTSET") != "NOTSET":
            return
        rank = _spatial_rank(op)
        extra = None if rank is None else _zero_spatial_pads(pad, rank)
        if rank is None or extra is None:
            return
        own = ints_prop(op, "pads") or (0,) * (2 * rank)
        if len(own) != 2 * rank:
            return
        op.properties["pads"] = DenseArrayBase.from_list(i64, [a + b for a, b in zip(own, extra, strict=True)])
        _bypass(op, 0, pad.operands[0], rewriter)
        rewriter.notify_op_modified(op)


# --- recurrent layers ----------------------------------------------------------------------------


_MOVES_DATA = (SliceFamily, GatherOp, ReshapeFamily, SqueezeFamily, UnsqueezeFamily, ExpandOp, TransposeOp,
               IdentityOp, FlattenOp, SplitFamily)
"""Ops whose every output element is an element of their first input: zeros in, zeros out."""


def _all_zero(value: SSAValue, depth: int = 8) -> bool:
    """A value that is zeros of its type, whatever its run-time shape: a zero constant, ConstantOfShape
    filled with zero (its default), or a slice, gather or reshape of one (a stacked LSTM's per-layer
    ``h0[i]``)."""
    tensor = constant_of(value)
    if tensor is not None:
        return tensor.strings is None and tensor.size <= MAX_CHECKED and not np.any(tensor.numpy())
    owner = value.owner
    if isinstance(owner, ConstantOfShapeOp):
        fill = owner.properties.get("value")
        return fill is None or not np.any(fill.value.numpy())  # type: ignore[attr-defined]
    if isinstance(owner, _MOVES_DATA) and depth > 0:
        return _all_zero(owner.operands[0], depth - 1)
    if isinstance(owner, ConcatFamily) and depth > 0:  # a state per direction or layer, each zeros
        return all(_all_zero(v, depth - 1) for v in owner.operands)
    return False


class DropZeroInitialState(RewritePattern):
    """RNN/GRU/LSTM(initial_h = 0, initial_c = 0) = RNN/GRU/LSTM with no initial state: the operator's default
    state is zero. TorchScript exports build ``zeros(layers, batch, hidden)`` from the batch size at run time
    (Shape→Gather→Unsqueeze→Concat→ConstantOfShape), which then dies with the operand."""

    def match_and_rewrite(self, op: RNNFamily | GRUFamily | LSTMFamily, rewriter: PatternRewriter) -> None:
        indices = (5, 6) if isinstance(op, LSTMFamily) else (5,)
        zero = [i for i in indices if i < len(op.operands) and not is_absent(op.operands[i]) and _all_zero(op.operands[i])]
        if not zero:
            return
        absent = NoValueOp()
        rewriter.insert(absent, InsertPoint.before(op))
        for index in zero:
            _bypass(op, index, absent.results[0], rewriter)


PATTERNS: tuple[RewritePattern, ...] = (
    EraseIdentity(),
    EraseInferenceDropout(),
    EraseSameTypeCast(),
    EraseIdentityTranspose(),
    EraseSingleConcat(),
    EraseSingleSplit(),
    EraseNoopReshape(),
    EraseNoopExpand(),
    EraseNoopSqueeze(),
    EraseNoopUnsqueeze(),
    EraseNoopSlice(),
    DropEmptyConcatOperands(),
    EraseZeroPad(),
    EraseNoopReduce(),
    FoldNeutralElement(),
    ComposeTransposes(),
    BypassInnerReshape(),
    FoldCastPair(),
    ValidPaddingToPads(),
    ZeroPadIntoConv(),
    DropZeroInitialState(),
)
"""Every canonicalization pattern of the dialect, in the order they are tried on an op."""


@dataclass(frozen=True)
class OnnxCanonicalization(HasCanonicalizationPatternsTrait):
    """The canonicalization patterns that root on one op class."""

    patterns: tuple[RewritePattern, ...] = ()

    def get_patterns(self, op: type[Operation]) -> tuple[RewritePattern, ...]:
        return self.patterns

    @classmethod
    def get_canonicalization_patterns(cls) -> tuple[RewritePattern, ...]:
        return ()


def attach(patterns: Sequence[RewritePattern] = PATTERNS) -> None:
    """Give every generated op class the trait listing the patterns that root on it (once per class)."""
    for op_class in GENERATED_OPS:
        if any(isinstance(trait, OnnxCanonicalization) for trait in op_class.traits):
            continue
        found = tuple(p for p in patterns if applies_to(p, op_class))
        if found:
            op_class.traits.add_trait(OnnxCanonicalization(found))


def canonicalization_patterns() -> list[RewritePattern]:
    """What ``onnx-canonicalize`` runs: the patterns ``attach`` gave the op classes, in ``PATTERNS`` order."""
    return list(PATTERNS)


attach()
