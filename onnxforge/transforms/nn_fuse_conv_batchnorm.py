"""``nn-fuse-conv-batchnorm``: an inference BatchNormalization after a Conv, ConvTranspose or Gemm is folded into its weights.

Identity: inference BatchNormalization is an affine map per channel ``c``,
``BN(y) = y·s + t`` with ``s = γ / √(var + ε)`` and ``t = β − mean·s``. A
convolution is linear in its weight and adds its bias per output channel, so
with ``y = conv(x, W) + b``::

    BN(y) = conv(x, W·s) + (b·s + t) = conv(x, W·s) + (b − mean)·s + β

where ``W·s`` scales the weights that produce output channel ``c`` by ``s[c]``:

- ``Conv``: ``W`` is ``[M, C/group, k…]``, output channel ``m`` is row ``m``.
- ``ConvTranspose``: ``W`` is ``[C, M/group, k…]``; output channel
  ``g·(M/group) + j`` is made by column ``j`` of the rows of group ``g``, so the
  scale is indexed by (group of the row, dim 1), not by dim 1 alone.
- ``Gemm``: ``Y = α·A'·B' + β_g·C`` is ``[rows, N]`` and BN's channel is dim 1,
  i.e. column ``n``: ``B'`` (``B``, or ``Bᵀ`` with ``transB``) is scaled per column
  and ``C`` becomes ``β_g·C·s + t`` (with ``β_g`` set to 1).

The folded constants are computed in float64 from the stored tensors and cast
once to the weight's element type (accuracy class 1: the cast rounds where
the runtime would have rounded two products). A Conv becomes ``nn.conv`` (with
no activation, which ``nn-fuse-conv-activation`` may add); ConvTranspose and
Gemm keep their op with new initializers.

Inference form only: ``training_mode`` 0 (opset 14+), no running-statistics
output in use, ``spatial`` 1 (opset 7). Every operand of the fold must be a
constant and the producer's output must have no other reader. A
BatchNormalization *before* a convolution (pre-activation networks) is a near
miss: with padding, the zeros the convolution pads with would have to be
BN(0) = t, which folding cannot express.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from onnx import TensorProto
from xdsl.dialects.builtin import DictionaryAttr, FloatAttr, StringAttr, f32
from xdsl.ir import Operation, SSAValue

from onnxforge.dialects.nn import ConvOp as NNConvOp
from onnxforge.dialects.onnx.generated import BatchNormalizationFamily, ConvOp, ConvTransposeOp, GemmFamily
from onnxforge.dialects.onnx.queries import (
    constant_of,
    dims_of,
    elem_of,
    float_prop,
    in_graph,
    int_prop,
    is_absent,
    since,
)
from onnxforge.dialects.onnx.structure import InitializerOp
from onnxforge.ir.provenance import name_or_kind
from onnxforge.transforms.fusion import Build, Fusion, FusionPass, FusionPattern, Value, fail

WEIGHT_ELEMS = frozenset({TensorProto.FLOAT, TensorProto.FLOAT16, TensorProto.DOUBLE})
DEFAULT_EPSILON = 1e-5
FIRST_BATCH_NORM = 7
"""Opset 7 on: opsets 1 and 6 have ``is_test``/``consumed_inputs`` and are left alone."""
FIRST_GEMM = 7
"""Gemm-1 has the ``broadcast`` attribute: left alone."""


# --- BatchNormalization as an affine map -------------------------------------------------------------


@dataclass
class Affine:
    """``BN(y) = y·scale + shift`` per channel, in float64."""

    scale: np.ndarray
    shift: np.ndarray


def batchnorm_affine(bn: BatchNormalizationFamily) -> Affine:
    """BN's per-channel affine map (fail when it is not a foldable inference BatchNormalization)."""
    if int_prop(bn, "training_mode", 0) != 0:
        fail("BatchNormalization is in training mode")
    if int_prop(bn, "spatial", 1) != 1:
        fail("BatchNormalization has spatial = 0 (statistics per element, not per channel)")
    if any(result.uses for result in bn.results[1:]):
        fail("BatchNormalization's running statistics are read (training graph)")
    tensors = [constant_of(v) for v in bn.operands[1:5]]
    if any(t is None or t.strings is not None or t.elem not in WEIGHT_ELEMS for t in tensors):
        fail("BatchNormalization scale, bias, mean or variance is not a float constant")
    gamma, beta, mean, var = (t.numpy().astype(np.float64) for t in tensors)  # type: ignore[union-attr]
    if not (gamma.ndim == 1 and gamma.shape == beta.shape == mean.shape == var.shape):
        fail("BatchNormalization parameters are not vectors of one length")
    epsilon = float_prop(bn, "epsilon", DEFAULT_EPSILON)
    if epsilon is None:
        fail("BatchNormalization's epsilon is a reference, not a value")
    scale = gamma / np.sqrt(var + epsilon)
    return Affine(scale, beta - mean * scale)


def _bias(value: SSAValue, channels: int) -> np.ndarray:
    """A convolution bias as float64 ``[channels]`` (zeros when absent)."""
    if is_absent(value):
        return np.zeros(channels)
    tensor = constant_of(value)
    if tensor is None or tensor.strings is not None:
        fail("the convolution bias is not a constant")
    if tensor.dims != (channels,):
        fail(f"the convolution bias has shape {list(tensor.dims)}, not [{channels}]")
    return tensor.numpy().astype(np.float64)


def _weight(value: SSAValue) -> np.ndarray:
    """A weight as stored (zero-copy)."""
    tensor = constant_of(value)
    if tensor is None or tensor.strings is not None:
        fail("the weight is not a constant")
    if tensor.elem not in WEIGHT_ELEMS:
        fail("the weight is not f16, f32 or f64")
    return tensor.numpy()


def _check_channels(y: SSAValue, channels: int, what: str) -> None:
    dims = dims_of(y)
    if dims is not None and (len(dims) < 2 or isinstance(dims[1], int) and dims[1] != channels):
        fail(f"{what} input {list(dims)} does not have {channels} channels in dim 1")
    if elem_of(y) not in WEIGHT_ELEMS:
        fail(f"{what} input is not f16, f32 or f64")


# --- the pattern -------------------------------------------------------------------------------------


class FoldBatchNorm(FusionPattern):
    """Conv/ConvTranspose/Gemm → BatchNormalization = the same op with the BN folded into its weights."""

    def match(self, op: BatchNormalizationFamily, fusion: Fusion) -> None:
        if not in_graph(op) or since(op) < FIRST_BATCH_NORM:
            return
        y = op.operands[0]
        producer = y.owner
        if not isinstance(producer, (ConvOp, NNConvOp, ConvTransposeOp, GemmFamily)) or (
                isinstance(producer, GemmFamily) and since(producer) < FIRST_GEMM):
            fail(_unpaired_reason(op))
        affine = batchnorm_affine(op)
        if len(list(y.uses)) != 1:
            fail(f"the {producer.name} output has other readers than the BatchNormalization")
        fused = fold_affine(producer, op, affine, fusion, "bn")
        fusion.replace(producer, fused, [producer, op], {op.results[0]: fused.results[0]})


def fold_affine(producer: Operation, consumer: Operation, affine: Affine, fusion: Fusion, suffix: str) -> Build:
    """The Conv (as ``nn.conv``), ConvTranspose or Gemm ``producer`` with the per-channel ``affine`` map that
    ``consumer`` applies to its output folded into its weight and bias (new initializers ``<w>_<suffix>``)."""
    if isinstance(producer, (ConvOp, NNConvOp)):
        return _conv(producer, consumer, affine, fusion, suffix)
    if isinstance(producer, ConvTransposeOp):
        return _conv_transpose(producer, consumer, affine, fusion, suffix)
    return _gemm(producer, consumer, affine, fusion, suffix)


def _conv(conv: Operation, bn: Operation, affine: Affine, fusion: Fusion, suffix: str) -> Build:
    if isinstance(conv, NNConvOp) and conv.activation.data:
        fail(f"a {conv.activation.data} activation sits between the conv and the {_kind(bn)}")
    x, w_value, b_value = conv.operands
    weight = _weight(w_value)
    channels = affine.scale.shape[0]
    if weight.ndim < 3 or weight.shape[0] != channels:
        fail(f"Conv weight {list(weight.shape)} does not have {channels} output channels")
    bias = _bias(b_value, channels)
    _check_channels(conv_output(bn), channels, _kind(bn))
    folded = weight.astype(np.float64)
    folded *= affine.scale.reshape(-1, *[1] * (weight.ndim - 1))
    w, b = _weights(conv, w_value, folded, bias * affine.scale + affine.shift, weight.dtype, fusion, suffix)
    attrs = conv.conv_attrs if isinstance(conv, NNConvOp) else DictionaryAttr(dict(conv.properties))
    return Build(NNConvOp, [x, w, b], [bn.results[0].type], {"conv_attrs": attrs, "activation": StringAttr("")})


def _conv_transpose(conv: Operation, bn: Operation, affine: Affine, fusion: Fusion, suffix: str) -> Build:
    x, w_value, b_value = conv.operands
    weight = _weight(w_value)
    group = int_prop(conv, "group", 1)
    channels = affine.scale.shape[0]
    if group is None or group < 1 or weight.ndim < 3 or weight.shape[0] % group or weight.shape[1] * group != channels:
        fail(f"ConvTranspose weight {list(weight.shape)} with group {group} does not have {channels} output channels")
    bias = _bias(b_value, channels)
    _check_channels(conv_output(bn), channels, _kind(bn))
    # [C_in, M/g, k…] viewed as [g, C_in/g, M/g, k…]: output channel g·(M/g) + j scales [g, :, j].
    grouped = weight.reshape(group, weight.shape[0] // group, weight.shape[1], *weight.shape[2:])
    folded = grouped.astype(np.float64)
    folded *= affine.scale.reshape(group, 1, weight.shape[1], *[1] * (weight.ndim - 2))
    w, b = _weights(conv, w_value, folded.reshape(weight.shape), bias * affine.scale + affine.shift, weight.dtype,
                    fusion, suffix)
    return Build(type(conv), [x, w, b], [bn.results[0].type], dict(conv.properties))


def _gemm(gemm: Operation, bn: Operation, affine: Affine, fusion: Fusion, suffix: str) -> Build:
    a, b_value, c_value = gemm.operands
    weight = _weight(b_value)
    channels = affine.scale.shape[0]
    trans_b = int_prop(gemm, "transB", 0)
    if weight.ndim != 2 or trans_b not in (0, 1) or weight.shape[0 if trans_b else 1] != channels:
        fail(f"Gemm B {list(weight.shape)} (transB = {trans_b}) does not have {channels} columns")
    beta = float_prop(gemm, "beta", 1.0)
    if is_absent(c_value):
        bias = np.zeros(channels)
    else:
        c = constant_of(c_value)
        if c is None or c.strings is not None or beta is None:
            fail("Gemm C is not a constant")
        bias = c.numpy().astype(np.float64) * beta
    _check_channels(conv_output(bn), channels, _kind(bn))
    folded = weight.astype(np.float64)
    folded *= affine.scale.reshape((-1, 1) if trans_b else (1, -1))
    w, b = _weights(gemm, b_value, folded, bias * affine.scale + affine.shift, weight.dtype, fusion, suffix)
    return Build(type(gemm), [a, w, b], [bn.results[0].type], {**gemm.properties, "beta": FloatAttr(1.0, f32)})


def _weights(op: Operation, weight: SSAValue, folded: np.ndarray, bias: np.ndarray, dtype: np.dtype,
             fusion: Fusion, suffix: str) -> tuple[Value, Value]:
    """New initializers holding the folded weight and bias (cast once to the weight's element type)."""
    owner = weight.owner
    hint = owner.tensor_name.data if isinstance(owner, InitializerOp) else name_or_kind(op)
    return (fusion.initializer(folded.astype(dtype), f"{hint}_{suffix}"),
            fusion.initializer(bias.astype(dtype), f"{hint}_{suffix}_bias"))


def conv_output(consumer: Operation) -> SSAValue:
    """The operand of ``consumer`` that the conv/Gemm produced (BN: its input; Add/Mul/…: the non-constant one)."""
    return next((v for v in consumer.operands if constant_of(v) is None), consumer.operands[0])


def _kind(op: Operation) -> str:
    return getattr(getattr(op, "SIGNATURE", None), "op_type", op.name)


def _unpaired_reason(bn: Operation) -> str:
    if any(isinstance(use.operation, (ConvOp, NNConvOp)) for use in bn.results[0].uses):
        return ("BatchNormalization before a Conv (pre-activation order): not folded (with padding the conv "
                "would have to pad with BN(0), which folded weights cannot express)")
    return "BatchNormalization does not follow a Conv, ConvTranspose or Gemm"


@dataclass(frozen=True)
class FuseConvBatchNormPass(FusionPass):
    name = "nn-fuse-conv-batchnorm"
    summary = "Conv/ConvTranspose/Gemm → BatchNormalization (inference) → nn.conv / the same op with folded weights"

    def patterns(self) -> list[FusionPattern]:
        return [FoldBatchNorm()]
