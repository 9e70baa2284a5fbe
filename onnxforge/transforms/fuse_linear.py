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

from onnx import TensorProto
from xdsl.dialects.builtin import DictionaryAttr, ModuleOp
from xdsl.ir import Block, Operation, SSAValue
from xdsl.pattern_rewriter import PatternRewriter
from xdsl.rewriter import InsertPoint

from onnxforge.dialects.nn import LinearOp
from onnxforge.dialects.onnx.generated import AddOp, MatMulOp
from onnxforge.dialects.onnx.structure import METADATA_ATTR
from onnxforge.ir.builders import ConstantBuilder, standard_op
from onnxforge.ir.tensor import TensorValue
from onnxforge.lowering import linear as _linear_lowering  # noqa: F401  (registers the nn.linear lowering fuse() asks)
from onnxforge.passmanager import Accuracy, ForgePass, OpPattern, RunState, register
from onnxforge.passmanager.rewriting import apply_patterns, source_name
from onnxforge.transforms._common import constant_of, dims_of, elem_of, is_absent
from onnxforge.transforms._fusion import erase_unused, fuse, model_of, near_miss
from onnxforge.transforms.fuse_conv_batchnorm import (
    DETACHED_READER,
    detached_reader,
    drop_dead_constants,
    in_graph,
    initializer_hint,
    note_fused_from,
)

PASS_NAME = "nn-fuse-linear"

FLOAT_ELEMS = frozenset({TensorProto.FLOAT, TensorProto.FLOAT16, TensorProto.BFLOAT16, TensorProto.DOUBLE})
GEMM_OPSET = 7
"""Gemm broadcasts C unidirectionally without the ``broadcast`` attribute from opset 7."""


# --- projections: x @ W (+ b) with constant W (shared with nn-fuse-qkv) ------------------------------


def weight_shape(value: SSAValue) -> tuple[int, int] | None:
    """``(K, N)`` of a constant 2-D float weight, else None."""
    tensor = constant_of(value)
    if tensor is None or tensor.strings is not None or len(tensor.dims) != 2 or tensor.elem not in FLOAT_ELEMS:
        return None
    return tensor.dims  # type: ignore[return-value]


def bias_reason(bias: SSAValue, n: int, x: SSAValue) -> str | None:
    """Why constant ``bias`` is not added along the last dim of a ``[…, N]`` product of ``x`` (None when it is)."""
    tensor = constant_of(bias)
    if tensor is None or tensor.strings is not None:
        return "the bias is not a constant"
    dims = tensor.dims
    if not dims or dims[-1] != n or any(d != 1 for d in dims[:-1]):
        return f"bias of shape {list(dims)} is not broadcast along the last dim only (wanted [{n}] or [1, …, {n}])"
    x_dims = dims_of(x)
    if x_dims is not None and len(dims) > len(x_dims):
        return f"bias of shape {list(dims)} has more dims than the input (rank {len(x_dims)})"
    if tensor.elem != elem_of(bias) or tensor.elem != elem_of(x):
        return "the bias and the input have different element types"
    return None


@dataclass
class Projection:
    """``output = x @ weight (+ bias)`` found in the graph; ``ops`` are the matched ops (MatMul [+ Add], or nn.linear)."""

    x: SSAValue
    weight: SSAValue
    bias: SSAValue | None
    output: SSAValue
    ops: list[Operation]

    @property
    def width(self) -> int:
        shape = weight_shape(self.weight)
        assert shape is not None
        return shape[1]


def bias_add(matmul: Operation) -> tuple[Operation, SSAValue] | None:
    """The ``Add(matmul, b)`` that is the MatMul's only reader, with ``b``, when ``b`` is a constant."""
    uses = list(matmul.results[0].uses)
    if len(uses) != 1 or not isinstance(add := uses[0].operation, AddOp):
        return None
    a, b = add.operands
    bias = b if a == matmul.results[0] else a
    return (add, bias) if bias != matmul.results[0] and constant_of(bias) is not None else None


def projection_of(op: Operation) -> Projection | None:
    """The projection ``op`` computes: ``nn.linear`` with a constant weight, or ``MatMul(x, W)`` with a
    constant 2-D ``W`` and the bias Add that follows it when it is a last-dim bias."""
    if isinstance(op, LinearOp):
        bias = None if is_absent(op.bias) else op.bias
        if weight_shape(op.weight) is None or (bias is not None and constant_of(bias) is None):
            return None
        return Projection(op.input, op.weight, bias, op.output, [op])
    if not isinstance(op, MatMulOp) or (shape := weight_shape(op.operands[1])) is None:
        return None
    x = op.operands[0]
    if elem_of(x) != elem_of(op.operands[1]):
        return None
    found = bias_add(op)
    if found is not None and bias_reason(found[1], shape[1], x) is None:
        add, bias = found
        return Projection(x, op.operands[1], bias, add.results[0], [op, add])
    return Projection(x, op.operands[1], None, op.results[0], [op])


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
            fused.erase()
            return
        block = fused.parent
        assert isinstance(block, Block)
        fused.operands[2] = vector_bias(self.builder, block, bias, f"{source_name(matmul)}_bias")
        drop_dead_constants(rewriter, [bias])


def model_opset(op: Operation) -> int:
    """The default-domain opset of the model holding ``op`` (what new ONNX ops are written for)."""
    model = model_of(op)
    opsets = model.opsets() if model is not None else {}
    return opsets.get("", opsets.get("ai.onnx", 0))


@register
@dataclass(frozen=True)
class FuseLinearPass(ForgePass):
    name = PASS_NAME
    summary = "MatMul(x, W) + b (constant W, last-dim bias) → Gemm (2-D x) or nn.linear (rank ≥ 3)"
    accuracy = Accuracy.FLOAT_BOUNDED

    def run(self, module: ModuleOp, state: RunState) -> None:
        if apply_patterns(module, [FuseLinear(ConstantBuilder(module))], state, self.name):
            state.changed = True
