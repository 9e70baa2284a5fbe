"""``nn-fuse-conv-affine``: a per-channel Add, Sub, Mul or Div by a constant after a Conv, ConvTranspose or
Gemm is folded into its weights and bias.

Exporters that keep a layer's bias, scale or normalisation as separate elementwise ops (Paddle's Conv
followed by a bias Add, Keras' scale layers, a frozen BatchNorm written as Mul + Add) leave one extra
node per layer that onnxslim folds and ``nn-fuse-conv-batchnorm`` does not see.

Identity: with ``y = conv(x, W) + b`` (the same for ConvTranspose and Gemm) and a constant ``c`` that
varies along the output-channel axis only (dim 1; broadcast over every other dim), each op is an affine
map per channel ``y·s + t`` (``y + c``: s = 1, t = c; ``y − c``: t = −c; ``c − y``: s = −1, t = c;
``y·c``: s = c; ``y / c``: s = 1/c), and ``conv(x, W)·s + b·s + t = conv(x, W·s) + (b·s + t)``, folded
as ``nn-fuse-conv-batchnorm`` folds a BatchNormalization (``fold_affine``): float64 from the stored
tensors, cast once to the weight's type (accuracy class 1). ``c`` must not broadcast the output to a
larger shape, and the producer's output must have no other reader. A Mul by a per-input-channel constant
*before* a Conv folds into its weights too (``FoldInputScale``). The pass folds BatchNormalizations
too (``nn-fuse-conv-batchnorm``'s pattern), so chains mixing both (Paddle's Conv → bias Add → BN) end as
one conv whatever their order.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from xdsl.dialects.builtin import DictionaryAttr, StringAttr
from xdsl.ir import Operation, SSAValue

from onnxforge.dialects.nn import ConvOp as NNConvOp
from onnxforge.dialects.onnx.generated import AddOp, ConvOp, ConvTransposeOp, DivOp, GemmFamily, MulOp, SubOp
from onnxforge.dialects.onnx.queries import constant_of, dims_of, in_graph, int_prop, since
from onnxforge.dialects.onnx.structure import InitializerOp
from onnxforge.transforms.fusion import Build, Fusion, FusionPass, FusionPattern, fail
from onnxforge.transforms.nn_fuse_conv_batchnorm import FIRST_GEMM, WEIGHT_ELEMS, Affine, FoldBatchNorm, fold_affine

PRODUCERS = (ConvOp, NNConvOp, ConvTransposeOp, GemmFamily)


def _per_channel(value: SSAValue, rank: int) -> np.ndarray | None:
    """A constant as float64 ``[channels]`` (or ``[1]``) when it varies along dim 1 of a rank-``rank`` output
    only; None otherwise."""
    tensor = constant_of(value)
    if tensor is None or tensor.strings is not None or tensor.elem not in WEIGHT_ELEMS:
        return None
    dims = tuple(tensor.dims)
    if len(dims) > rank:
        return None
    aligned = (1,) * (rank - len(dims)) + dims
    if any(d != 1 for i, d in enumerate(aligned) if i != 1):
        return None
    return tensor.numpy().astype(np.float64).reshape(-1)


def _affine(op: Operation, y: SSAValue, rank: int) -> Affine:
    """The per-channel affine map ``op`` applies to the producer's output ``y``."""
    first, second = op.operands
    constant = second if first is y else first
    c = _per_channel(constant, rank)
    if c is None:
        fail(f"the other operand of the {type(op).__name__[:-2]} is not a float constant varying along the channels only")
    if not np.all(np.isfinite(c)):
        fail("the constant has a NaN or an infinity")
    ones = np.ones_like(c)
    if isinstance(op, AddOp):
        return Affine(ones, c)
    if isinstance(op, SubOp):
        return Affine(ones, -c) if first is y else Affine(-ones, c)
    if isinstance(op, MulOp):
        return Affine(c, np.zeros_like(c))
    if first is not y:
        fail("the conv output is the divisor")
    if np.any(c == 0):
        fail("division by a zero channel")
    return Affine(1.0 / c, np.zeros_like(c))


class FoldChannelAffine(FusionPattern):
    """Conv/ConvTranspose/Gemm → Add/Sub/Mul/Div by a per-channel constant = the same op with new weights."""

    def match(self, op: AddOp | SubOp | MulOp | DivOp, fusion: Fusion) -> None:
        if not in_graph(op) or len(op.operands) != 2:
            return
        y = next((v for v in op.operands if isinstance(v.owner, PRODUCERS)), None)
        if y is None or op.operands[0] is op.operands[1]:
            return
        producer = y.owner
        if isinstance(producer, GemmFamily) and since(producer) < FIRST_GEMM:
            fail("Gemm-1 (broadcast attribute) is left alone")
        dims = dims_of(y)
        if dims is None or len(dims) < 2:
            fail("the rank of the conv output is unknown")
        affine = _affine(op, y, len(dims))
        channels = _channels(producer)
        if channels is None:
            fail("the number of output channels is unknown")
        if affine.scale.shape[0] == 1:  # one value for every channel
            affine = Affine(np.full(channels, affine.scale[0]), np.full(channels, affine.shift[0]))
        if affine.scale.shape[0] != channels:
            fail(f"the constant has {affine.scale.shape[0]} values for {channels} channels")
        if len(list(y.uses)) != 1:
            fail(f"the {producer.name} output has other readers than the {type(op).__name__[:-2]}")
        fused = fold_affine(producer, op, affine, fusion, "affine")
        fusion.replace(producer, fused, [producer, op], {op.results[0]: fused.results[0]})


class FoldInputScale(FusionPattern):
    """Conv(x · c) with ``c`` per input channel = Conv(x) with the weights of input channel ``i`` scaled by
    ``c[i]``: the convolution is linear in each input channel, and the zeros it pads with stay zeros when
    scaled. (An Add before a conv does not fold: padding would have to pad with the bias.)"""

    def match(self, op: ConvOp | NNConvOp, fusion: Fusion) -> None:
        if not in_graph(op) or not isinstance(op.operands[0].owner, MulOp):
            return
        mul = op.operands[0].owner
        x, constant = (mul.operands[0], mul.operands[1]) if constant_of(mul.operands[0]) is None else (mul.operands[1], mul.operands[0])
        dims = dims_of(x)
        if dims is None or len(dims) < 3 or constant_of(x) is not None:
            fail("the scaled input's rank is unknown")
        scale = _per_channel(constant, len(dims))
        weight = constant_of(op.operands[1])
        if scale is None or weight is None or weight.strings is not None or weight.elem not in WEIGHT_ELEMS:
            fail("the scale is not a float constant per input channel, or the weight is not a float constant")
        if not np.all(np.isfinite(scale)):
            fail("the scale has a NaN or an infinity")
        if len(list(mul.results[0].uses)) != 1:
            fail("the scaled input has other readers than the conv")
        attrs = op.conv_attrs.data if isinstance(op, NNConvOp) else dict(op.properties)
        group_attr = attrs.get("group")
        group = group_attr.value.data if group_attr is not None else 1  # type: ignore[attr-defined]
        w = weight.numpy()
        channels = w.shape[1] * group
        if scale.shape[0] == 1:
            scale = np.full(channels, scale[0])
        if scale.shape[0] != channels or w.shape[0] % group:
            fail(f"the scale has {scale.shape[0]} values for {channels} input channels")
        # W [M, C/g, k…] viewed as [g, M/g, C/g, k…]: input channel g·(C/g) + j is column j of group g's rows
        folded = w.astype(np.float64).reshape(group, w.shape[0] // group, w.shape[1], *w.shape[2:])
        folded *= scale.reshape(group, 1, w.shape[1], *[1] * (w.ndim - 2))
        hint = op.operands[1].owner.tensor_name.data if isinstance(op.operands[1].owner, InitializerOp) else "conv"
        new_weight = fusion.initializer(folded.reshape(w.shape).astype(w.dtype), f"{hint}_scaled")
        operands = [x, new_weight, *op.operands[2:]]
        if isinstance(op, NNConvOp):
            built = Build(NNConvOp, operands, [op.results[0].type], {"conv_attrs": op.conv_attrs, "activation": op.activation})
        else:
            built = Build(NNConvOp, operands if len(operands) == 3 else [*operands, fusion.absent()],
                          [op.results[0].type], {"conv_attrs": DictionaryAttr(dict(op.properties)), "activation": StringAttr("")})
        fusion.replace(op, built, [mul, op], {op.results[0]: built.results[0]})


def _channels(producer: Operation) -> int | None:
    """Output channels of a conv (weight dim 0; ConvTranspose: dim 1 · group) or a Gemm (its output's dim 1)."""
    dims = dims_of(producer.results[0])
    if dims is not None and len(dims) >= 2 and isinstance(dims[1], int):
        return dims[1]
    weight = constant_of(producer.operands[1])
    if weight is None or isinstance(producer, GemmFamily):
        return None
    if isinstance(producer, ConvTransposeOp):
        return weight.dims[1] * (int_prop(producer, "group", 1) or 1)
    return weight.dims[0]


@dataclass(frozen=True)
class FuseConvAffinePass(FusionPass):
    name = "nn-fuse-conv-affine"
    summary = "Conv/ConvTranspose/Gemm → Add/Sub/Mul/Div by a per-channel constant → the same op with folded weights"

    def patterns(self) -> list[FusionPattern]:
        # BatchNormalization too: a chain mixing both (Paddle's Conv → bias Add → BN) folds to one conv
        return [FoldChannelAffine(), FoldBatchNorm(), FoldInputScale()]
