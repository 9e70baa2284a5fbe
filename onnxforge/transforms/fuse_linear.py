"""``nn-fuse-linear``: ``MatMul(x, W) + b`` with constant ``W`` and bias becomes ``Gemm`` (2-D ``x``) or ``nn.linear``.

Matched from the Add, operands in either order::

    y = Add(MatMul(x, W), b)      W constant [K, N]; b constant [N] or [1, …, 1, N]

Identity: ``x @ W + b`` broadcasts ``b`` over every row of ``x @ W`` (``[…, N]``)
exactly when ``b`` is ``[N]`` or ``[1, …, 1, N]`` with no more dims than
``x``: then ``Gemm(x, W, b)`` (α = β = 1, no transposes) computes it for a
2-D ``x``, and ``nn.linear(x, W, b)`` (``b`` viewed as ``[N]``) for any rank.
A bias with another dim ≠ 1 (per row, per batch) or ``N = 1`` broadcasting
out, or more dims than ``x`` (the sum would gain dims), is a near miss; so are
an ``x`` of unknown or rank 1, a MatMul read by other ops, and mixed element
types. Gemm and MatMul + Add differ only in summation order (accuracy class 1).

The 2-D form is an ONNX ``Gemm`` directly, with the MatMul's node name and
the replaced names in its ``onnxforge.fused_from`` metadata; rank ≥ 3 (the
dynamic ``[batch, seq, K]`` of transformers) becomes ``nn.linear``, which the
QKV and attention fusions and the cost model read as one layer and which
lowers back to MatMul + Add. Projections that ``nn-fuse-attention`` or
``nn-fuse-qkv`` consumed are gone by then; the rest (FFN, output projections,
poolers) are what this pass sees.
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.dialects.builtin import DictionaryAttr, ModuleOp
from xdsl.ir import Block, Operation, SSAValue
from xdsl.pattern_rewriter import PatternRewriter
from xdsl.rewriter import InsertPoint

from onnxforge.dialects.nn import LinearOp
from onnxforge.dialects.onnx.generated import AddOp, MatMulOp
from onnxforge.dialects.onnx.structure import METADATA_ATTR
from onnxforge.ir.builders import ConstantBuilder, standard_op
from onnxforge.ir.tensor import TensorValue
from onnxforge.passmanager import Accuracy, ForgePass, OpPattern, RunState, register
from onnxforge.passmanager.rewriting import apply_patterns, source_name
from onnxforge.transforms._common import constant_of, dims_of, elem_of
from onnxforge.transforms._fusion import (
    DETACHED_READER,
    detached_reader,
    drop_dead_constants,
    erase_unused,
    fuse,
    in_graph,
    initializer_hint,
    model_opset,
    near_miss,
    note_fused_from,
)
from onnxforge.transforms._matching import bias_reason, weight_shape

PASS_NAME = "nn-fuse-linear"

GEMM_OPSET = 7
"""Gemm broadcasts C unidirectionally without the ``broadcast`` attribute from opset 7."""


def vector_bias(builder: ConstantBuilder, block: Block, bias: SSAValue, hint: str) -> SSAValue:
    """``bias`` as a ``[N]`` vector: itself, or a new initializer viewing the same bytes (no copy)."""
    tensor = constant_of(bias)
    assert tensor is not None and tensor.raw is not None
    if len(tensor.dims) == 1:
        return bias
    view = TensorValue(tensor.elem, tensor.dims[-1:], raw=tensor.raw)
    return builder.initializer(block, view, f"{initializer_hint(bias, hint)}_vector")


# --- the pattern -------------------------------------------------------------------------------------


class FuseLinear(OpPattern):
    """Add(MatMul(x, W), b) → Gemm(x, W, b) for 2-D x, nn.linear(x, W, b) for rank ≥ 3."""

    roots = (AddOp,)

    def __init__(self, builder: ConstantBuilder) -> None:
        self.builder = builder

    def match_and_rewrite(self, add: Operation, rewriter: PatternRewriter) -> None:
        if not in_graph(add):
            return
        for product, bias in ((add.operands[0], add.operands[1]), (add.operands[1], add.operands[0])):
            matmul = product.owner
            if isinstance(matmul, MatMulOp) and weight_shape(matmul.operands[1]) is not None and constant_of(bias) is not None:
                break
        else:
            return
        x, weight = matmul.operands
        reason = self._reason(matmul, add, x, weight, bias)
        if reason is not None:
            near_miss(self, PASS_NAME, matmul, reason)
            return
        rank = len(dims_of(x))  # type: ignore[arg-type]  # _reason checked it is known
        if rank == 2:
            self._gemm(matmul, add, bias, rewriter)
        else:
            self._linear(matmul, add, bias, rewriter)

    @staticmethod
    def _reason(matmul: Operation, add: Operation, x: SSAValue, weight: SSAValue, bias: SSAValue) -> str | None:
        if detached_reader([matmul.results[0], add.results[0]]):
            return DETACHED_READER
        if len(list(matmul.results[0].uses)) != 1:
            return "the MatMul output has other readers than the bias Add"
        if elem_of(x) != elem_of(weight):
            return "the input and the weight have different element types"
        dims = dims_of(x)
        if dims is None:
            return "the rank of the input is unknown"
        if len(dims) < 2:
            return "the input is a vector (rank 1)"
        shape = weight_shape(weight)
        assert shape is not None
        return bias_reason(bias, shape[1], x)

    def _gemm(self, matmul: Operation, add: Operation, bias: SSAValue, rewriter: PatternRewriter) -> None:
        opset = model_opset(matmul)
        if opset < GEMM_OPSET:
            near_miss(self, PASS_NAME, matmul, f"Gemm broadcasts its bias only from opset {GEMM_OPSET} (model opset {opset})")
            return
        gemm = standard_op("Gemm", opset, [matmul.operands[0], matmul.operands[1], bias], [add.results[0].type])
        gemm.location = matmul.location
        if isinstance(metadata := matmul.attributes.get(METADATA_ATTR), DictionaryAttr):
            gemm.attributes[METADATA_ATTR] = metadata
        note_fused_from(gemm, [matmul, add])
        rewriter.insert(gemm, InsertPoint.before(matmul))
        rewriter.replace_all_uses_with(add.results[0], gemm.results[0])
        erase_unused(rewriter, [add, matmul])

    def _linear(self, matmul: Operation, add: Operation, bias: SSAValue, rewriter: PatternRewriter) -> None:
        x, weight = matmul.operands
        fused = LinearOp.create(operands=[x, weight, bias], result_types=[add.results[0].type])
        if not fuse(rewriter, self, PASS_NAME, matmul, fused, [matmul, add], [add.results[0]]):
            return
        block = fused.parent
        assert isinstance(block, Block)
        fused.operands[2] = vector_bias(self.builder, block, bias, f"{source_name(matmul)}_bias")
        drop_dead_constants(rewriter, [bias])


@register
@dataclass(frozen=True)
class FuseLinearPass(ForgePass):
    name = PASS_NAME
    summary = "MatMul(x, W) + b (constant W, last-dim bias) → Gemm (2-D x) or nn.linear (rank ≥ 3)"
    accuracy = Accuracy.FLOAT_BOUNDED

    def run(self, module: ModuleOp, state: RunState) -> None:
        if apply_patterns(module, [FuseLinear(ConstantBuilder(module))], state, self.name):
            state.changed = True
