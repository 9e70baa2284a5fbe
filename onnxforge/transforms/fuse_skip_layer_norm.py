"""``nn-fuse-skip-layer-norm``: a residual Add feeding a LayerNorm over the last dim becomes ``nn.skip_layer_norm``.

Matched from the ``nn.layer_norm`` (so ``nn-fuse-layer-norm`` runs first)::

    s = Add(a, b)                                 (s may have other users: the next residual reads it)
    a = Add(h, c)                                 (optional, under ort: c a 1-D constant over the last dim)
    y = nn.layer_norm(s, γ, β, axis = last dim, ε)

becomes ``y, s = nn.skip_layer_norm(input, skip, γ, β, skip_bias, ε)``, whose second result
replaces every other use of ``s``.

Identity: ``nn.skip_layer_norm`` is defined as ``s = input + skip (+ skip_bias)``,
``y = layer_norm(s)`` over the last dim, so with ``input, skip = a, b`` (Add is commutative) both
results are the matched values. Absorbing the bias computes ``h + b + c`` where the graph had
``(h + c) + b``: float rounding only (accuracy class 1).

It is only worth doing where the target has one op for it: onnxruntime's
``SkipLayerNormalization`` (``--target=ort``); elsewhere the lowering says so and nothing fuses.
Its shape rules (2-D or 3-D input of the sum's shape, skip of the same shape or ``[S, H]`` /
``[1, S, H]``, 1-D γ / β / bias of the hidden size) are checked by the lowering's
``unsupported``, so the fusion and the lowering cannot disagree. The fused op takes the
LayerNorm's place, or the Add's when something reads the sum before the LayerNorm (a Shape,
in graphs that skipped cleanup) and γ / β are defined before the Add.
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.ir import Block, Operation, SSAValue
from xdsl.pattern_rewriter import PatternRewriter

from onnxforge.dialects.nn import LayerNormOp, SkipLayerNormOp
from onnxforge.dialects.onnx.generated import AddOp
from onnxforge.dialects.onnx.structure import NoValueOp
from onnxforge.ir.types import NONE
from onnxforge.passmanager import Accuracy, OpPattern, PatternPass, register
from onnxforge.transforms._common import dims_of
from onnxforge.transforms._fusion import fuse, lowering_target, near_miss
from onnxforge.transforms._matching import bias_add, only_used_by, producer

PASS_NAME = "nn-fuse-skip-layer-norm"


def _read_before(value: SSAValue, op: Operation) -> bool:
    """Some op other than ``op`` reads ``value`` before ``op`` (in ``op``'s block, nested uses by their ancestor)."""
    for use in value.uses:
        user: Operation | None = use.operation
        while user is not None and user.parent is not op.parent:
            user = user.parent_op()
        if user is None or (user is not op and not op.is_before_in_block(user)):
            return True
    return False


def _available_at(value: SSAValue, op: Operation) -> bool:
    """``value`` is defined before ``op`` runs: in ``op``'s block before it, or in an enclosing block."""
    owner = value.owner
    ancestor: Operation | None = op
    while ancestor is not None:
        if isinstance(owner, Block):
            if owner is ancestor.parent:
                return True
        elif owner.parent is ancestor.parent:
            return owner.is_before_in_block(ancestor)
        ancestor = ancestor.parent_op()
    return False


class FuseSkipLayerNorm(OpPattern):
    """layer_norm(a + b) over the last dim → nn.skip_layer_norm(a, b) (with a's constant bias under ort)."""

    roots = (LayerNormOp,)

    def match_and_rewrite(self, op: Operation, rewriter: PatternRewriter) -> None:
        assert isinstance(op, LayerNormOp)
        s = op.input
        add = producer(s, AddOp)
        if add is None or add.parent is not op.parent:
            return
        dims = dims_of(s)
        axis = op.axis.value.data  # type: ignore[attr-defined]
        if dims is None or axis not in (-1, len(dims) - 1):
            near_miss(self, PASS_NAME, op, "the LayerNorm is not over the last dim only (or the rank is unknown)")
            return
        anchor: Operation = op  # where the fused op goes: every operand defined before it, every reader of s after it
        if _read_before(s, op):
            if not (_available_at(op.scale, add) and _available_at(op.bias, add)):
                near_miss(self, PASS_NAME, op, "the sum is read before the LayerNorm, whose γ / β are defined after the Add")
                return
            anchor = add
        replaced: list[Operation] = [op, add]
        extra: list[Operation] = []
        input_, skip = add.operands
        skip_bias: SSAValue | None = None
        if lowering_target(op).allows_contrib():
            for a, b in ((input_, skip), (skip, input_)):
                found = bias_add(a)
                if found is not None and only_used_by(a, [add]):
                    input_, skip_bias, bias_op = found
                    skip = b
                    replaced.append(bias_op)
                    break
        if dims_of(input_) != dims and dims_of(skip) == dims and skip_bias is None:
            input_, skip = skip, input_  # the full-shaped addend is the input, the other one may broadcast
        if skip_bias is None:
            absent = NoValueOp.create(result_types=[NONE])
            extra.append(absent)
            skip_bias = absent.results[0]
        fused = SkipLayerNormOp.create(
            operands=[input_, skip, op.scale, op.bias, skip_bias],
            result_types=[op.output.type, s.type],
            properties={"epsilon": op.epsilon},
        )
        fuse(rewriter, self, PASS_NAME, anchor, fused, replaced, [op.output, s], extra_ops=extra)


@register
@dataclass(frozen=True)
class FuseSkipLayerNormPass(PatternPass):
    name = PASS_NAME
    summary = "Add(residual) → nn.layer_norm over the last dim → nn.skip_layer_norm (onnxruntime's SkipLayerNormalization)"
    accuracy = Accuracy.FLOAT_BOUNDED

    def patterns(self) -> list[OpPattern]:
        return [FuseSkipLayerNorm()]
