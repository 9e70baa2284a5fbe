"""``onnx-cancel-reshape-pairs``: a Reshape, pointwise ops, and a Reshape back to the first shape → the
pointwise ops on the original tensor.

Exporters wrap a 2-D matmul in views: GPT-2's ``Conv1D`` computes ``addmm(b, x.view(-1, k), W)`` then
``.view(batch, seq, n)``, so the MLP's GELU between two of them sits between a Reshape to 3-D and a
Reshape back to 2-D. onnxsim removes the pair; each costs a node and a copy in some runtimes.

Identity: a pointwise op computes each output element from the elements at the same position of its
inputs, so for a reshape ``R`` (row-major order is kept) ``f(R(x)) = R(f(x))``. With ``R₂ ∘ f ∘ R₁``
where ``R₂`` restores ``x``'s shape, the result is ``f(x)``. A constant operand must broadcast the same
way in both shapes: one element, or a vector along the last axis when both shapes end with that axis
(row-major reshapes that keep the last dim keep each element's last index). Every value between the
two reshapes must be read only inside the region (a value read elsewhere needs its reshaped form), and
its shape is the reshaped one (no broadcast makes it larger). Lossless: the same operations on the
same numbers (accuracy class 0).
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.ir import Operation, SSAValue
from xdsl.pattern_rewriter import PatternRewriter, RewritePattern

from onnxforge.dialects.onnx.base import OnnxOp
from onnxforge.dialects.onnx.generated import ReshapeFamily
from onnxforge.dialects.onnx.queries import constant_of, dims_of, in_graph, op_type
from onnxforge.dialects.onnx.structure import ReturnOp
from onnxforge.ir.types import TensorType, tensor_type
from onnxforge.ir.values import set_type
from onnxforge.passmanager import Accuracy, PatternPass

POINTWISE = frozenset({
    "Abs", "Acos", "Acosh", "Asin", "Asinh", "Atan", "Atanh", "Ceil", "Cos", "Cosh", "Elu", "Erf", "Exp", "Floor",
    "Gelu", "HardSigmoid", "HardSwish", "LeakyRelu", "Log", "Mish", "Neg", "Reciprocal", "Relu", "Round", "Selu",
    "Shrink", "Sigmoid", "Sign", "Sin", "Sinh", "Softplus", "Softsign", "Sqrt", "Tan", "Tanh", "ThresholdedRelu",
    "Celu", "Not", "BitwiseNot", "IsNaN", "IsInf", "Cast", "Clip", "Swish",
    "Add", "Sub", "Mul", "Div", "Pow", "Max", "Min", "Mod", "Equal", "Less", "LessOrEqual", "Greater",
    "GreaterOrEqual", "And", "Or", "Xor", "BitwiseAnd", "BitwiseOr", "BitwiseXor", "BitShift", "PRelu", "Where",
})
"""Ops computing each output element from the same position of their (broadcast) inputs."""
MAX_REGION = 64
"""Pointwise ops followed back from one Reshape (GELU in basic ops is 8)."""


def _region(closing: Operation) -> tuple[Operation, list[Operation]] | None:
    """The opening Reshape and the pointwise ops between it and ``closing``, when they form a region whose
    only inputs are the opening Reshape's result and constants, in program order; None otherwise."""
    region: dict[Operation, None] = {}
    opening: Operation | None = None
    pending = [closing.operands[0]]
    while pending:
        value = pending.pop()
        owner = value.owner
        if not isinstance(owner, OnnxOp):
            return None
        if isinstance(owner, ReshapeFamily):
            if opening is not None and owner is not opening:
                return None
            opening = owner
            continue
        if owner in region:
            continue
        if op_type(owner) not in POINTWISE or owner.regions or len(region) >= MAX_REGION:
            return None
        region[owner] = None
        pending.extend(v for v in owner.operands if constant_of(v) is None)
    if opening is None or not region:
        return None
    block = closing.parent_block()
    if block is None or opening.parent_block() is not block:
        return None
    return opening, sorted(region, key=lambda op: block.get_operation_index(op))  # type: ignore[arg-type]


def _constant_fits(value: SSAValue, rank: int, last: object) -> bool:
    """A constant broadcasts alike against both shapes: one element, or a vector along a shared last axis."""
    tensor = constant_of(value)
    if tensor is None:
        return True
    dims = tuple(tensor.dims)
    if len(dims) > rank:
        return False
    if all(d == 1 for d in dims):
        return True
    return all(d == 1 for d in dims[:-1]) and isinstance(last, int) and dims[-1] == last


class CancelReshapePair(RewritePattern):
    """Reshape(x) → pointwise … → Reshape back to x's shape = the pointwise ops on x."""

    def match_and_rewrite(self, closing: ReshapeFamily, rewriter: PatternRewriter) -> None:
        if not in_graph(closing):
            return
        found = _region(closing)
        if found is None:
            return
        opening, region = found
        x = opening.operands[0]
        original, reshaped, restored = dims_of(x), dims_of(opening.results[0]), dims_of(closing.results[0])
        if original is None or reshaped is None or restored != original or any(d is None for d in original):
            return
        members = set(region) | {closing}
        if any(use.operation not in members for use in opening.results[0].uses):
            return
        for op in region:
            for result in op.results:
                if dims_of(result) != reshaped or any(
                        use.operation not in members or isinstance(use.operation, ReturnOp) for use in result.uses):
                    return
            if not all(_constant_fits(v, len(original), original[-1] if original and reshaped and reshaped[-1] == original[-1]
                                      else None) for v in op.operands):
                return
        for op in region:
            for result in op.results:
                assert isinstance(result.type, TensorType)
                set_type(result, tensor_type(result.type.elem, original))
        rewriter.replace_all_uses_with(opening.results[0], x)
        rewriter.replace_all_uses_with(closing.results[0], closing.operands[0])
        rewriter.erase_op(closing)
        rewriter.erase_op(opening)


@dataclass(frozen=True)
class CancelReshapePairsPass(PatternPass):
    name = "onnx-cancel-reshape-pairs"
    summary = "Reshape → pointwise ops → Reshape back to the first shape = the pointwise ops (lossless)"
    accuracy = Accuracy.LOSSLESS

    def patterns(self) -> list[RewritePattern]:
        return [CancelReshapePair()]
