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
from xdsl.dialects.builtin import DictionaryAttr, FloatAttr, ModuleOp, StringAttr, f32
from xdsl.ir import Block, Operation, SSAValue
from xdsl.pattern_rewriter import PatternRewriter

from onnxforge.dialects.nn import ConvOp as NNConvOp
from onnxforge.dialects.onnx.generated import (
    BatchNormalizationOp,
    BatchNormalizationV7Op,
    BatchNormalizationV9Op,
    ConvOp,
    ConvTransposeOp,
    GemmOp,
    GemmV7Op,
)
from onnxforge.ir.builders import ConstantBuilder
from onnxforge.passmanager import Accuracy, ForgePass, OpPattern, RunState, register
from onnxforge.passmanager.rewriting import apply_patterns, source_name
from onnxforge.transforms._common import constant_of, dims_of, elem_of, int_prop, is_absent
from onnxforge.transforms._fusion import (
    DETACHED_READER,
    detached_reader,
    drop_dead_constants,
    fuse,
    in_graph,
    initializer_hint,
    near_miss,
    note_fused_from,
)

PASS_NAME = "nn-fuse-conv-batchnorm"

BATCH_NORM_OPS = (BatchNormalizationOp, BatchNormalizationV9Op, BatchNormalizationV7Op)
"""Opset 7 on (opset 1 and 6 have ``is_test``/``consumed_inputs`` and are left alone)."""
WEIGHT_ELEMS = frozenset({TensorProto.FLOAT, TensorProto.FLOAT16, TensorProto.DOUBLE})
DEFAULT_EPSILON = 1e-5


# --- BatchNormalization as an affine map -------------------------------------------------------------


@dataclass
class Affine:
    """``BN(y) = y·scale + shift`` per channel, in float64."""

    scale: np.ndarray
    shift: np.ndarray
    params: list[SSAValue]
    """BN's constant operands (erased when the fold leaves them unread)."""


def batchnorm_affine(bn: Operation) -> Affine | str:
    """BN's per-channel affine map, or why it is not a foldable inference BatchNormalization."""
    if isinstance(bn, BatchNormalizationOp) and int_prop(bn, "training_mode", 0) != 0:
        return "BatchNormalization is in training mode"
    if isinstance(bn, BatchNormalizationV7Op) and int_prop(bn, "spatial", 1) != 1:
        return "BatchNormalization has spatial = 0 (statistics per element, not per channel)"
    if any(result.uses for result in bn.results[1:]):
        return "BatchNormalization's running statistics are read (training graph)"
    params = list(bn.operands[1:5])
    tensors = [constant_of(v) for v in params]
    if any(t is None or t.strings is not None or t.elem not in WEIGHT_ELEMS for t in tensors):
        return "BatchNormalization scale, bias, mean or variance is not a float constant"
    gamma, beta, mean, var = (t.numpy().astype(np.float64) for t in tensors)  # type: ignore[union-attr]
    if not (gamma.ndim == 1 and gamma.shape == beta.shape == mean.shape == var.shape):
        return "BatchNormalization parameters are not vectors of one length"
    epsilon = bn.properties.get("epsilon")
    eps = epsilon.value.data if isinstance(epsilon, FloatAttr) else DEFAULT_EPSILON
    scale = gamma / np.sqrt(var + eps)
    return Affine(scale, beta - mean * scale, params)


def _bias(value: SSAValue, channels: int) -> np.ndarray | str:
    """A convolution bias as float64 ``[channels]`` (zeros when absent), or why it cannot be folded."""
    if is_absent(value):
        return np.zeros(channels)
    tensor = constant_of(value)
    if tensor is None or tensor.strings is not None:
        return "the convolution bias is not a constant"
    if tensor.dims != (channels,):
        return f"the convolution bias has shape {list(tensor.dims)}, not [{channels}]"
    return tensor.numpy().astype(np.float64)


def _weight(value: SSAValue) -> np.ndarray | str:
    """A weight as stored (zero-copy), or why it cannot be folded."""
    tensor = constant_of(value)
    if tensor is None or tensor.strings is not None:
        return "the weight is not a constant"
    if tensor.elem not in WEIGHT_ELEMS:
        return "the weight is not f16, f32 or f64"
    return tensor.numpy()


# --- the pattern -------------------------------------------------------------------------------------


class FoldBatchNorm(OpPattern):
    """Conv/ConvTranspose/Gemm → BatchNormalization = the same op with the BN folded into its weights."""

    roots = BATCH_NORM_OPS

    def __init__(self, builder: ConstantBuilder) -> None:
        self.builder = builder

    def match_and_rewrite(self, op: Operation, rewriter: PatternRewriter) -> None:
        if not in_graph(op):
            return
        y = op.operands[0]
        producer = y.owner
        if not isinstance(producer, Operation) or not isinstance(producer, (ConvOp, NNConvOp, ConvTransposeOp, GemmOp, GemmV7Op)):
            near_miss(self, PASS_NAME, op, _unpaired_reason(op))
            return
        affine = batchnorm_affine(op)
        if isinstance(affine, str):
            near_miss(self, PASS_NAME, op, affine)
            return
        if detached_reader([y, op.results[0]]):
            near_miss(self, PASS_NAME, op, DETACHED_READER)
            return
        if len(list(y.uses)) != 1:
            near_miss(self, PASS_NAME, op, f"the {producer.name} output has other readers than the BatchNormalization")
            return
        if isinstance(producer, (ConvOp, NNConvOp)):
            reason = self._conv(producer, op, affine, rewriter)
        elif isinstance(producer, ConvTransposeOp):
            reason = self._conv_transpose(producer, op, affine, rewriter)
        else:
            reason = self._gemm(producer, op, affine, rewriter)
        if reason is not None:
            near_miss(self, PASS_NAME, op, reason)

    def _conv(self, conv: Operation, bn: Operation, affine: Affine, rewriter: PatternRewriter) -> str | None:
        if isinstance(conv, NNConvOp) and conv.activation.data:
            return f"a {conv.activation.data} activation sits between the conv and the BatchNormalization"
        x, w_value, b_value = conv.operands
        weight = _weight(w_value)
        if isinstance(weight, str):
            return weight
        channels = affine.scale.shape[0]
        if weight.ndim < 3 or weight.shape[0] != channels:
            return f"Conv weight {list(weight.shape)} does not have {channels} output channels"
        bias = _bias(b_value, channels)
        if isinstance(bias, str):
            return bias
        if reason := _channel_mismatch(bn, channels):
            return reason
        attrs = conv.conv_attrs if isinstance(conv, NNConvOp) else DictionaryAttr(dict(conv.properties))
        fused = NNConvOp.create(
            operands=[x, w_value, b_value],
            result_types=[bn.results[0].type],
            properties={"conv_attrs": attrs, "activation": StringAttr("")},
        )
        if not fuse(rewriter, self, PASS_NAME, conv, fused, [conv, bn], [bn.results[0]]):
            return None
        folded = weight.astype(np.float64)
        folded *= affine.scale.reshape(-1, *[1] * (weight.ndim - 1))
        self._set_weights(fused, folded, bias * affine.scale + affine.shift, weight.dtype, source_name(conv))
        drop_dead_constants(rewriter, [w_value, b_value, *affine.params])
        return None

    def _conv_transpose(self, conv: Operation, bn: Operation, affine: Affine, rewriter: PatternRewriter) -> str | None:
        _, w_value, b_value = conv.operands
        weight = _weight(w_value)
        if isinstance(weight, str):
            return weight
        group = int_prop(conv, "group", 1)
        channels = affine.scale.shape[0]
        if group is None or group < 1 or weight.ndim < 3 or weight.shape[0] % group or weight.shape[1] * group != channels:
            return f"ConvTranspose weight {list(weight.shape)} with group {group} does not have {channels} output channels"
        bias = _bias(b_value, channels)
        if isinstance(bias, str):
            return bias
        if reason := _channel_mismatch(bn, channels):
            return reason
        # [C_in, M/g, k…] viewed as [g, C_in/g, M/g, k…]: output channel g·(M/g) + j scales [g, :, j].
        grouped = weight.reshape(group, weight.shape[0] // group, weight.shape[1], *weight.shape[2:])
        scale = affine.scale.reshape(group, 1, weight.shape[1], *[1] * (weight.ndim - 2))
        folded = grouped.astype(np.float64)
        folded *= scale
        bias = bias * affine.scale + affine.shift
        self._set_weights(conv, folded.reshape(weight.shape), bias, weight.dtype, source_name(conv))
        self._absorb(conv, bn, rewriter)
        drop_dead_constants(rewriter, [w_value, b_value, *affine.params])
        return None

    def _gemm(self, gemm: Operation, bn: Operation, affine: Affine, rewriter: PatternRewriter) -> str | None:
        _, b_value, c_value = gemm.operands
        weight = _weight(b_value)
        if isinstance(weight, str):
            return weight
        channels = affine.scale.shape[0]
        trans_b = int_prop(gemm, "transB", 0)
        column_axis = 0 if trans_b else 1
        if weight.ndim != 2 or trans_b not in (0, 1) or weight.shape[column_axis] != channels:
            return f"Gemm B {list(weight.shape)} (transB = {trans_b}) does not have {channels} columns"
        beta_attr = gemm.properties.get("beta")
        beta = beta_attr.value.data if isinstance(beta_attr, FloatAttr) else 1.0
        if is_absent(c_value):
            bias = np.zeros(channels)
        else:
            c = constant_of(c_value)
            if c is None or c.strings is not None:
                return "Gemm C is not a constant"
            bias = c.numpy().astype(np.float64) * beta
        if reason := _channel_mismatch(bn, channels):
            return reason
        scale = affine.scale.reshape((-1, 1) if trans_b else (1, -1))
        folded = weight.astype(np.float64)
        folded *= scale
        self._set_weights(gemm, folded, bias * affine.scale + affine.shift, weight.dtype, source_name(gemm))
        gemm.properties["beta"] = FloatAttr(1.0, f32)
        self._absorb(gemm, bn, rewriter)
        drop_dead_constants(rewriter, [b_value, c_value, *affine.params])
        return None

    def _set_weights(self, op: Operation, weight: np.ndarray, bias: np.ndarray, dtype: np.dtype, name: str) -> None:
        """Point operands 1 and 2 of ``op`` at new initializers holding the folded weight and bias."""
        block = op.parent
        assert isinstance(block, Block)
        hint = initializer_hint(op.operands[1], name)
        op.operands[1] = self.builder.initializer(block, weight.astype(dtype), f"{hint}_bn")
        op.operands[2] = self.builder.initializer(block, bias.astype(dtype), f"{hint}_bn_bias")

    @staticmethod
    def _absorb(op: Operation, bn: Operation, rewriter: PatternRewriter) -> None:
        """``op`` (rewritten in place) now computes BN's output: route BN's readers to it."""
        note_fused_from(op, [op, bn])
        rewriter.notify_op_modified(op)
        rewriter.replace_all_uses_with(bn.results[0], op.results[0])
        rewriter.erase(bn)


def _channel_mismatch(bn: Operation, channels: int) -> str | None:
    dims = dims_of(bn.operands[0])
    if dims is not None and (len(dims) < 2 or isinstance(dims[1], int) and dims[1] != channels):
        return f"BatchNormalization input {list(dims)} does not have {channels} channels in dim 1"
    if elem_of(bn.operands[0]) not in WEIGHT_ELEMS:
        return "BatchNormalization input is not f16, f32 or f64"
    return None


def _unpaired_reason(bn: Operation) -> str:
    if any(isinstance(use.operation, (ConvOp, NNConvOp)) for use in bn.results[0].uses):
        return ("BatchNormalization before a Conv (pre-activation order): not folded (with padding the conv "
                "would have to pad with BN(0), which folded weights cannot express)")
    return "BatchNormalization does not follow a Conv, ConvTranspose or Gemm"


@register
@dataclass(frozen=True)
class FuseConvBatchNorm(ForgePass):
    name = PASS_NAME
    summary = "Conv/ConvTranspose/Gemm → BatchNormalization (inference) → nn.conv / the same op with folded weights"
    accuracy = Accuracy.FLOAT_BOUNDED

    def run(self, module: ModuleOp, state: RunState) -> None:
        if apply_patterns(module, [FoldBatchNorm(ConstantBuilder(module))], state, self.name):
            state.changed = True
