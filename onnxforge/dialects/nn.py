"""The ``nn`` dialect: the fused operations that fusion passes raise ONNX subgraphs into.

Each op is one mathematical function with its formula in the docstring, the
ONNX subgraphs that fusions replace with it, and how ``nn-lower`` writes it
back (standard ONNX, onnxruntime contrib ops, or a portable decomposition).
Operand conventions follow the onnx dialect: an absent optional operand is an
``onnx.novalue`` value, so every op has a fixed arity and prints generically.
Fused ops keep provenance: their location names the node that anchored the
match and ``nn.sources`` lists the ONNX node names of everything replaced.
"""

from __future__ import annotations

from xdsl.dialects.builtin import ArrayAttr, DictionaryAttr, FloatAttr, IntegerAttr, StringAttr
from xdsl.ir import Dialect
from xdsl.irdl import IRDLOperation, irdl_op_definition, operand_def, opt_prop_def, prop_def, result_def

SOURCES_ATTR = "nn.sources"
"""Discardable attribute on fused ops: ArrayAttr of the ONNX node names they replace."""


class NNOp(IRDLOperation):
    """Base of ``nn`` ops (lets passes ask ``isinstance(op, NNOp)``)."""


@irdl_op_definition
class LinearOp(NNOp):
    """``y = x @ weight + bias`` for ``x`` of any rank ≥ 2 (``weight`` is ``[K, N]``, ``bias`` ``[N]`` or absent).

    Replaces: MatMul + Add with a constant 1-D bias (3-D and higher rank, dynamic
    shapes; the 2-D case becomes Gemm directly).
    Lowers to: MatMul + Add on every target (the op exists so that later fusions
    — QKV, attention, bias-GELU — and the cost model see one linear layer).
    """

    name = "nn.linear"
    input = operand_def()
    weight = operand_def()
    bias = operand_def()
    output = result_def()


@irdl_op_definition
class LayerNormOp(NNOp):
    """``y = (x - mean(x)) / sqrt(var(x) + epsilon) * scale + bias`` over the dims from ``axis`` on.

    Replaces: ReduceMean → Sub → Pow/Mul → ReduceMean → Add(eps) → Sqrt → Div →
    Mul(γ) → Add(β), in the axes-attribute form (opset < 18) and the axes-input
    form (≥ 18), with γ = 1 / β = 0 possibly folded away (bias absent).
    Lowers to: ``LayerNormalization`` (opset ≥ 17); ``com.microsoft`` has no better
    op; ``portable`` decomposes it back into the ReduceMean chain.
    """

    name = "nn.layer_norm"
    input = operand_def()
    scale = operand_def()
    bias = operand_def()
    output = result_def()
    axis = prop_def(IntegerAttr)
    epsilon = prop_def(FloatAttr)


@irdl_op_definition
class RMSNormOp(NNOp):
    """``y = x / sqrt(mean(x²) + epsilon) * scale`` over the dims from ``axis`` on.

    Replaces: Pow(2)/Mul(x, x) → ReduceMean → Add(eps) → Sqrt → Reciprocal/Div →
    Mul → Mul(γ), with optional Casts to f32 around the statistics (Llama exports).
    Lowers to: ``RMSNormalization`` (opset ≥ 23), ``com.microsoft::SimplifiedLayerNormalization``
    under ``ort``.
    """

    name = "nn.rms_norm"
    input = operand_def()
    scale = operand_def()
    output = result_def()
    axis = prop_def(IntegerAttr)
    epsilon = prop_def(FloatAttr)


@irdl_op_definition
class GeluOp(NNOp):
    """``y = gelu(x + bias)``; ``approximate`` is ``"none"`` (``0.5·x·(1 + erf(x/√2))``) or
    ``"tanh"`` (``0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))``); ``bias`` may be absent.

    Replaces: the erf form (Div(√2)/Mul(1/√2) → Erf → Add(1) → Mul → Mul(0.5)) and
    the tanh form (Pow(3)/Mul(x,x,x) → Mul(0.044715) → Add → Mul(√(2/π)) → Tanh →
    Add(1) → Mul → Mul(0.5)) in their operand orders.
    Lowers to: ``Gelu`` (opset ≥ 20); ``com.microsoft::Gelu`` / ``BiasGelu`` / ``FastGelu``
    under ``ort``; the decomposition under ``portable``.
    """

    name = "nn.gelu"
    input = operand_def()
    bias = operand_def()
    output = result_def()
    approximate = prop_def(StringAttr)


@irdl_op_definition
class SkipLayerNormOp(NNOp):
    """``s = input + skip (+ skip_bias)``; ``y = layer_norm(s, scale, bias, epsilon)`` over the last dim.

    Results: ``y`` and ``s`` (the sum, used by the next residual connection, may be
    unused). Replaces: Add(residual) → ``nn.layer_norm``.
    Lowers to: ``com.microsoft::SkipLayerNormalization`` under ``ort``; other targets
    have no single op for it, so the fusion does not fire there.
    """

    name = "nn.skip_layer_norm"
    input = operand_def()
    skip = operand_def()
    scale = operand_def()
    bias = operand_def()
    skip_bias = operand_def()
    output = result_def()
    sum = result_def()
    epsilon = prop_def(FloatAttr)


@irdl_op_definition
class RotaryEmbeddingOp(NNOp):
    """Rotary position embedding of ``input`` (``[B, S, H·D]`` with ``num_heads``, or ``[B, H, S, D]``).

    For each head vector ``x`` of the first ``rotary_dim`` dims (all when 0) at
    position ``p``: with ``c = cos[p]``, ``s = sin[p]`` (``[S, rotary_dim/2]`` per
    batch or shared), the non-interleaved form is
    ``x1, x2 = halves(x); y = concat(x1·c − x2·s, x2·c + x1·s)``; the interleaved
    form pairs even/odd dims. ``cos``/``sin`` are ``[B, S, rotary_dim/2]`` (or with
    ``position_ids`` present, caches ``[max_pos, rotary_dim/2]``).
    Replaces: HF ``apply_rotary_pos_emb`` (x·cos + rotate_half(x)·sin with Slice/Neg/Concat).
    Lowers to: ``RotaryEmbedding`` (opset ≥ 23), ``com.microsoft::RotaryEmbedding`` under ``ort``.
    """

    name = "nn.rotary_embedding"
    input = operand_def()
    cos = operand_def()
    sin = operand_def()
    position_ids = operand_def()
    output = result_def()
    num_heads = prop_def(IntegerAttr)
    rotary_dim = prop_def(IntegerAttr)
    interleaved = prop_def(IntegerAttr)


@irdl_op_definition
class AttentionOp(NNOp):
    """Scaled dot-product attention over heads: ``softmax(Q·Kᵀ·scale + mask) · V``, heads merged.

    ``query`` is ``[B, S, q_num_heads·D]``; ``key``/``value`` ``[B, T, kv_num_heads·D]``
    (GQA when ``kv_num_heads < q_num_heads``: each KV head serves
    ``q_num_heads/kv_num_heads`` query heads). When ``key`` and ``value`` are absent,
    ``query`` is packed ``[B, S, (q + 2·kv)·D]``. ``mask`` is absent, additive (float,
    broadcastable to ``[B, q_num_heads, S, T]``) or boolean (True = attend);
    ``is_causal`` adds the upper-triangle mask. Output ``[B, S, q_num_heads·D]``.
    Replaces: the Reshape/Transpose/MatMul/Div-or-Mul/Add(mask)/Softmax/MatMul/
    Transpose/Reshape blocks of BERT-family, GPT-2, ViT, Whisper and Llama exports,
    and the dynamo exporter's SDPA decomposition (with its ``Where(IsNaN)`` guards).
    Lowers to: ``Attention`` (opset ≥ 23); ``com.microsoft::MultiHeadAttention`` /
    ``GroupQueryAttention`` under ``ort``.
    """

    name = "nn.attention"
    query = operand_def()
    key = operand_def()
    value = operand_def()
    mask = operand_def()
    output = result_def()
    q_num_heads = prop_def(IntegerAttr)
    kv_num_heads = prop_def(IntegerAttr)
    scale = prop_def(FloatAttr)
    is_causal = prop_def(IntegerAttr)


@irdl_op_definition
class ConvOp(NNOp):
    """``y = activation(conv(x, weight) + bias)`` with BatchNorm already folded into weight/bias.

    ``conv_attrs`` holds the ONNX Conv attributes unchanged (pads, strides,
    dilations, group, kernel_shape, auto_pad); ``activation`` is ``""`` or the
    ONNX name of the activation (``Relu``, ``Clip``, ``Sigmoid``, ``HardSigmoid``,
    ``LeakyRelu``, ``Tanh``, ``HardSwish``, ``Swish``) with ``activation_params`` its
    attributes (Clip's min/max as constants are read into ``[min, max]``).
    Replaces: Conv → BatchNormalization → activation, and Conv → activation.
    Lowers to: Conv + activation on every target (onnxruntime fuses them at session
    time into its NCHWc kernels, which a pre-fused ``FusedConv`` would prevent).
    """

    name = "nn.conv"
    input = operand_def()
    weight = operand_def()
    bias = operand_def()
    output = result_def()
    conv_attrs = prop_def(DictionaryAttr)
    activation = prop_def(StringAttr)
    activation_params = opt_prop_def(ArrayAttr)


NN_OPS = (LinearOp, LayerNormOp, RMSNormOp, GeluOp, SkipLayerNormOp, RotaryEmbeddingOp, AttentionOp, ConvOp)

NN = Dialect("nn", list(NN_OPS), [])
