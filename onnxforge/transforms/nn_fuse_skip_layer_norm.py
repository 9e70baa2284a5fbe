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
``SkipLayerNormalization`` (``target=ort``); elsewhere the lowering's ``check`` says so and
nothing fuses. Its shape rules (2-D or 3-D input of the sum's shape, skip of the same shape or
``[S, H]`` / ``[1, S, H]``, 1-D γ / β / bias of the hidden size) are checked there too, so the
fusion and the lowering cannot disagree. The fused op takes the LayerNorm's place, or the Add's
when something reads the sum before the LayerNorm (a Shape, in graphs that skipped cleanup) and
γ / β are defined before the Add.
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.ir import Operation

from onnxforge.dialects.nn import LayerNormOp, SkipLayerNormOp
from onnxforge.dialects.onnx.generated import AddOp
from onnxforge.dialects.onnx.queries import dims_of
from onnxforge.ir.order import defined_before, read_before
from onnxforge.transforms.fusion import Build, Fusion, FusionPass, FusionPattern, fail
from onnxforge.transforms.matching import bias_add, only_used_by, producer


class FuseSkipLayerNorm(FusionPattern):
    """layer_norm(a + b) over the last dim → nn.skip_layer_norm(a, b) (with a's constant bias under ort)."""

    def match(self, op: LayerNormOp, fusion: Fusion) -> None:
        s = op.input
        add = producer(s, AddOp)
        if add is None or add.parent is not op.parent:
            return
        dims = dims_of(s)
        if dims is None or op.axis.value.data not in (-1, len(dims) - 1):
            fail("the LayerNorm is not over the last dim only (or the rank is unknown)")
        anchor: Operation = op  # where the fused op goes: every operand defined before it, every reader of s after it
        if read_before(s, op):
            if not (defined_before(op.scale, add) and defined_before(op.bias, add)):
                fail("the sum is read before the LayerNorm, whose γ / β are defined after the Add")
            anchor = add
        replaced: list[Operation] = [op, add]
        input_, skip = add.operands
        skip_bias = fusion.absent
        for a, b in ((input_, skip), (skip, input_)) if fusion.target.allows_contrib() else ():
            if (found := bias_add(a)) is not None and only_used_by(a, [add]):
                (input_, skip_bias, bias_op), skip = found, b
                replaced.append(bias_op)
                break
        if dims_of(input_) != dims and dims_of(skip) == dims and skip_bias is fusion.absent:
            input_, skip = skip, input_  # the full-shaped addend is the input, the other one may broadcast
        fused = Build(SkipLayerNormOp, [input_, skip, op.scale, op.bias, skip_bias], [op.output.type, s.type],
                      {"epsilon": op.epsilon})
        fusion.replace(anchor, fused, replaced, {op.output: fused.output, s: fused.sum})


@dataclass(frozen=True)
class FuseSkipLayerNormPass(FusionPass):
    name = "nn-fuse-skip-layer-norm"
    summary = "Add(residual) → nn.layer_norm over the last dim → nn.skip_layer_norm (onnxruntime's SkipLayerNormalization)"

    def patterns(self) -> list[FusionPattern]:
        return [FuseSkipLayerNorm()]
