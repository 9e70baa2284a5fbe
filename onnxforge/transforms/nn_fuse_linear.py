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
the replaced names in its provenance; rank ≥ 3 (the
dynamic ``[batch, seq, K]`` of transformers) becomes ``nn.linear``, which the
QKV and attention fusions and the cost model read as one layer and which
lowers back to MatMul + Add. Projections that ``nn-fuse-attention`` or
``nn-fuse-qkv`` consumed are gone by then; the rest (FFN, output projections,
poolers) are what this pass sees.
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.ir import SSAValue

from onnxforge.dialects.nn import LinearOp
from onnxforge.dialects.onnx.builders import standard_class
from onnxforge.dialects.onnx.generated import AddOp, MatMulOp
from onnxforge.dialects.onnx.queries import constant_of, dims_of, elem_of, in_graph
from onnxforge.dialects.onnx.structure import InitializerOp
from onnxforge.ir.provenance import name_or_kind
from onnxforge.ir.tensor import TensorValue
from onnxforge.transforms.fusion import Build, Fusion, FusionPass, FusionPattern, Value, fail
from onnxforge.transforms.matching import check_bias, weight_shape

GEMM_OPSET = 7
"""Gemm broadcasts C unidirectionally without the ``broadcast`` attribute from opset 7."""


class FuseLinear(FusionPattern):
    """Add(MatMul(x, W), b) → Gemm(x, W, b) for 2-D x, nn.linear(x, W, b) for rank ≥ 3."""

    def match(self, op: AddOp, fusion: Fusion) -> None:
        if not in_graph(op):
            return
        for product, bias in ((op.operands[0], op.operands[1]), (op.operands[1], op.operands[0])):
            matmul = product.owner
            if isinstance(matmul, MatMulOp) and weight_shape(matmul.operands[1]) is not None and constant_of(bias) is not None:
                break
        else:
            return
        x, weight = matmul.operands
        if len(list(matmul.results[0].uses)) != 1:
            fail("the MatMul output has other readers than the bias Add", matmul)
        if elem_of(x) != elem_of(weight):
            fail("the input and the weight have different element types", matmul)
        dims = dims_of(x)
        if dims is None or len(dims) < 2:
            fail("the rank of the input is unknown" if dims is None else "the input is a vector (rank 1)", matmul)
        check_bias(bias, weight_shape(weight)[1], x)  # type: ignore[index]
        if len(dims) == 2:
            if fusion.opset < GEMM_OPSET:
                fail(f"Gemm broadcasts its bias only from opset {GEMM_OPSET} (model opset {fusion.opset})", matmul)
            fused = Build(standard_class("Gemm", fusion.opset), [x, weight, bias], [op.results[0].type])
        else:
            fused = Build(LinearOp, [x, weight, _vector(bias, fusion, f"{name_or_kind(matmul)}_bias")], [op.results[0].type])
        fusion.replace(matmul, fused, [matmul, op], {op.results[0]: fused.results[0]})


def _vector(bias: SSAValue, fusion: Fusion, hint: str) -> Value:
    """``bias`` as a ``[N]`` vector: itself, or a new initializer viewing the same bytes (no copy)."""
    tensor = constant_of(bias)
    if tensor is None or tensor.raw is None or len(tensor.dims) == 1:
        return bias
    owner = bias.owner
    name = owner.tensor_name.data if isinstance(owner, InitializerOp) else hint
    return fusion.initializer(TensorValue(tensor.elem, tensor.dims[-1:], raw=tensor.raw), f"{name}_vector")


@dataclass(frozen=True)
class FuseLinearPass(FusionPass):
    name = "nn-fuse-linear"
    summary = "MatMul(x, W) + b (constant W, last-dim bias) → Gemm (2-D x) or nn.linear (rank ≥ 3)"

    def patterns(self) -> list[FusionPattern]:
        return [FuseLinear()]
