"""``onnx-eliminate-identities``: ops that provably return their input unchanged are replaced by it.

Identity: ``f(x) = x`` for every ``x``, so the result may stand for the input
everywhere (uses inside subgraphs included; a graph output keeps its name
because the exporter writes output names from the graph, not the producer).
Each pattern fires only on what the IR states statically — an element type,
a dim, a constant — never on a guess:

- ``Identity(x)``; inference-mode ``Dropout(x)`` whose mask is unused;
- ``Cast(x, to=T)`` where x's element type is T;
- ``Transpose(x, perm)`` with perm the identity (or no perm on rank ≤ 1);
- ``Concat(x)`` of one input; ``Split(x)`` into one output without sizes;
- ``Reshape(x, s)`` whose constant ``s`` resolves to x's dims;
  ``Expand(x, s)`` whose constant ``s`` broadcasts to x's dims;
  ``Squeeze(x)`` (no axes) when no dim of x is 1; ``Unsqueeze(x, [])``;
  ``Slice`` taking every axis whole with step 1; ``Pad`` with all-zero pads.

Dims come from the value's ``TensorType`` (or its constant); symbolic dims
count only where no value of the symbol could change the answer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from xdsl.ir import Operation, SSAValue
from xdsl.pattern_rewriter import PatternRewriter

from onnxforge.dialects.onnx.generated import (
    CastOp,
    CastV6Op,
    CastV19Op,
    ConcatOp,
    ConcatV1Op,
    DropoutOp,
    DropoutV1Op,
    DropoutV6Op,
    DropoutV7Op,
    ExpandOp,
    IdentityOp,
    PadOp,
    PadV2Op,
    PadV11Op,
    ReshapeOp,
    ReshapeV5Op,
    SliceOp,
    SliceV1Op,
    SplitOp,
    SplitV2Op,
    SplitV13Op,
    SqueezeOp,
    SqueezeV1Op,
    TransposeOp,
    UnsqueezeOp,
    UnsqueezeV1Op,
)
from onnxforge.ir.types import Dim
from onnxforge.passmanager import Accuracy, OpPattern, PatternPass, register
from onnxforge.transforms._common import (
    dims_of,
    dropout_is_inference,
    elem_of,
    has_prop,
    int_constant,
    int_prop,
    ints_prop,
    is_absent,
)

INT64_MAX = 2**63 - 1


def _forward(op: Operation, value: SSAValue, rewriter: PatternRewriter) -> None:
    """Replace the op's first result by ``value``; its other results must be unused."""
    rewriter.replace(op, [], [value, *([None] * (len(op.results) - 1))])


class EraseIdentity(OpPattern):
    """Identity(x) = x."""

    roots = (IdentityOp,)

    def match_and_rewrite(self, op: Operation, rewriter: PatternRewriter) -> None:
        _forward(op, op.operands[0], rewriter)


class EraseInferenceDropout(OpPattern):
    """Dropout(x) = x when not training (no training_mode, or a constant false one) and the mask is unused."""

    roots = (DropoutOp, DropoutV7Op, DropoutV6Op, DropoutV1Op)

    def match_and_rewrite(self, op: Operation, rewriter: PatternRewriter) -> None:
        if dropout_is_inference(op) and not any(r.uses for r in op.results[1:]):
            _forward(op, op.operands[0], rewriter)


class EraseSameTypeCast(OpPattern):
    """Cast(x, to=T) = x when x's element type is T."""

    roots = (CastOp, CastV19Op, CastV6Op)

    def match_and_rewrite(self, op: Operation, rewriter: PatternRewriter) -> None:
        to = int_prop(op, "to")
        if to is not None and to == elem_of(op.operands[0]):
            _forward(op, op.operands[0], rewriter)


class EraseIdentityTranspose(OpPattern):
    """Transpose(x, perm=[0, 1, …, r-1]) = x; without perm the reversal is x on rank ≤ 1."""

    roots = (TransposeOp,)

    def match_and_rewrite(self, op: Operation, rewriter: PatternRewriter) -> None:
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


class EraseSingleConcat(OpPattern):
    """Concat(x) = x: concatenating one tensor copies it."""

    roots = (ConcatOp, ConcatV1Op)

    def match_and_rewrite(self, op: Operation, rewriter: PatternRewriter) -> None:
        if len(op.operands) == 1:
            _forward(op, op.operands[0], rewriter)


class EraseSingleSplit(OpPattern):
    """Split(x) into one output without split sizes = x (one equal part is the whole)."""

    roots = (SplitOp, SplitV13Op, SplitV2Op)

    def match_and_rewrite(self, op: Operation, rewriter: PatternRewriter) -> None:
        if len(op.results) != 1 or has_prop(op, "split") or int_prop(op, "num_outputs", 1) != 1:
            return
        if len(op.operands) > 1 and not is_absent(op.operands[1]):
            return
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


class EraseNoopReshape(OpPattern):
    """Reshape(x, s) = x when the constant s resolves to x's own dims."""

    roots = (ReshapeOp, ReshapeV5Op)

    def match_and_rewrite(self, op: Operation, rewriter: PatternRewriter) -> None:
        shape = int_constant(op.operands[1])
        allowzero = int_prop(op, "allowzero", 0)
        if shape is not None and allowzero is not None and reshape_keeps(dims_of(op.operands[0]), shape, bool(allowzero)):
            _forward(op, op.operands[0], rewriter)


class EraseNoopExpand(OpPattern):
    """Expand(x, s) = x when broadcasting x's dims with the constant s gives x's dims: s is no longer
    than x's rank and each entry (right-aligned) is 1 or x's static dim."""

    roots = (ExpandOp,)

    def match_and_rewrite(self, op: Operation, rewriter: PatternRewriter) -> None:
        dims = dims_of(op.operands[0])
        shape = int_constant(op.operands[1])
        if dims is None or shape is None or len(shape) > len(dims):
            return
        tail = dims[len(dims) - len(shape):]
        if all(want == 1 or (isinstance(dim, int) and want == dim) for want, dim in zip(shape, tail)):
            _forward(op, op.operands[0], rewriter)


class EraseNoopSqueeze(OpPattern):
    """Squeeze(x) without axes = x when no dim of x is (or could be) 1."""

    roots = (SqueezeOp, SqueezeV1Op)

    def match_and_rewrite(self, op: Operation, rewriter: PatternRewriter) -> None:
        if isinstance(op, SqueezeV1Op):
            if has_prop(op, "axes") and ints_prop(op, "axes") != ():
                return
        elif not is_absent(op.operands[1]) and int_constant(op.operands[1]) != []:
            return
        dims = dims_of(op.operands[0])
        if dims is not None and all(isinstance(d, int) and d != 1 for d in dims):
            _forward(op, op.operands[0], rewriter)


class EraseNoopUnsqueeze(OpPattern):
    """Unsqueeze(x, axes=[]) = x: no axis is inserted."""

    roots = (UnsqueezeOp, UnsqueezeV1Op)

    def match_and_rewrite(self, op: Operation, rewriter: PatternRewriter) -> None:
        axes = ints_prop(op, "axes") if isinstance(op, UnsqueezeV1Op) else int_constant(op.operands[1])
        if axes is not None and len(axes) == 0:
            _forward(op, op.operands[0], rewriter)


def slice_keeps(dims: Sequence[Dim] | None, starts: Sequence[int], ends: Sequence[int],
                axes: Sequence[int] | None, steps: Sequence[int] | None) -> bool:
    """True when every sliced axis is taken whole with step 1: start clamps to 0 and end to the dim
    (on a symbolic dim only start 0 and end INT64_MAX are known to)."""
    if dims is None or len(starts) != len(ends):
        return False
    rank = len(dims)
    axes = list(range(len(starts))) if axes is None else list(axes)
    steps = [1] * len(starts) if steps is None else list(steps)
    if len(axes) != len(starts) or len(steps) != len(starts):
        return False
    for start, end, axis, step in zip(starts, ends, axes, steps):
        if step != 1 or not -rank <= axis < rank:
            return False
        dim = dims[axis]
        if isinstance(dim, int):
            if not (start + dim <= 0 if start < 0 else start == 0) or not (end >= dim):
                return False
        elif start != 0 or end != INT64_MAX:
            return False
    return True


class EraseNoopSlice(OpPattern):
    """Slice(x, starts, ends, axes, steps) = x when every sliced axis is taken whole with step 1."""

    roots = (SliceOp, SliceV1Op)

    def match_and_rewrite(self, op: Operation, rewriter: PatternRewriter) -> None:
        x = op.operands[0]
        if isinstance(op, SliceV1Op):
            starts, ends = ints_prop(op, "starts"), ints_prop(op, "ends")
            axes, steps = ints_prop(op, "axes"), None
            if has_prop(op, "axes") and axes is None:
                return
        else:
            starts, ends = int_constant(op.operands[1]), int_constant(op.operands[2])
            axes = None if is_absent(op.operands[3]) else int_constant(op.operands[3])
            steps = None if is_absent(op.operands[4]) else int_constant(op.operands[4])
            if (axes is None and not is_absent(op.operands[3])) or (steps is None and not is_absent(op.operands[4])):
                return
        if starts is not None and ends is not None and slice_keeps(dims_of(x), starts, ends, axes, steps):
            _forward(op, x, rewriter)


class EraseZeroPad(OpPattern):
    """Pad(x, pads=0…0) = x, whatever the mode and value: nothing is added or removed."""

    roots = (PadOp, PadV11Op, PadV2Op)

    def match_and_rewrite(self, op: Operation, rewriter: PatternRewriter) -> None:
        pads = ints_prop(op, "pads") if isinstance(op, PadV2Op) else int_constant(op.operands[1])
        if pads is not None and not any(pads):
            _forward(op, op.operands[0], rewriter)


@register
@dataclass(frozen=True)
class EliminateIdentities(PatternPass):
    name = "onnx-eliminate-identities"
    summary = "replace ops that provably return their input (Identity, inference Dropout, no-op Cast/Transpose/Reshape/…) by it"
    accuracy = Accuracy.LOSSLESS

    def patterns(self) -> list[OpPattern]:
        return [
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
            EraseZeroPad(),
        ]
