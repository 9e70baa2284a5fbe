"""The ``nn`` dialect: the fused operations that fusion passes raise ONNX subgraphs into.

Each op is one mathematical function with its formula in the docstring, the
ONNX subgraphs that fusions replace with it, and how ``nn-lower`` writes it
back (standard ONNX, onnxruntime contrib ops, a portable decomposition, or
what TensorRT's ONNX parser reads).
Operand conventions follow the onnx dialect: an absent optional operand is an
``onnx.novalue`` value, so every op has a fixed arity and prints generically.
Every op is ``Pure`` and verifies what its formula needs (operand ranks and
element types where the types say, property values always). The constants that
define the ops' semantics (GELU's, the half-precision types whose statistics are
computed in f32, Clip's default bounds) live here, next to the formulas.

A fused op's location says where it came from: ``loc(fused["anchor", …])`` with
the node names of everything it replaced (``onnxforge.ir.provenance``).
"""

from __future__ import annotations

import math

from onnx import TensorProto
from xdsl.dialects.builtin import ArrayAttr, DictionaryAttr, FloatAttr, IntegerAttr, StringAttr, f32, f64
from xdsl.ir import Attribute, Dialect, SSAValue
from xdsl.irdl import (
    IRDLOperation,
    irdl_op_definition,
    operand_def,
    opt_prop_def,
    prop_def,
    result_def,
    traits_def,
    var_operand_def,
    var_result_def,
)
from xdsl.traits import Pure
from xdsl.utils.exceptions import VerifyException

from onnxforge.ir.types import NoneType, TensorType

SQRT_2 = math.sqrt(2.0)
SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
CUBIC = 0.044715
"""The constants of GELU's erf form and of its tanh approximation."""
FLOAT_ELEMS = frozenset({TensorProto.FLOAT, TensorProto.FLOAT16, TensorProto.BFLOAT16, TensorProto.DOUBLE})
"""The float element types (what the fused ops, RMSNormalization and Gemm accept)."""
HALF_ELEMS = frozenset({TensorProto.FLOAT16, TensorProto.BFLOAT16})
"""Input types whose normalisation statistics are computed in f32 (``stash_type = 1``)."""
FLOAT32_MAX = float(math.ldexp(1.0 - 2.0**-24, 128))
"""Clip's bound when the model gives none (ONNX: numeric_limits<float>::lowest() / max())."""
APPROXIMATIONS = ("none", "tanh")
ACTIVATIONS: dict[str, tuple[str, ...]] = {
    "": (), "Relu": (), "Tanh": (), "Sigmoid": (), "HardSwish": (), "Swish": (),
    "LeakyRelu": ("alpha",), "HardSigmoid": ("alpha", "beta"), "Clip": ("min", "max"),
}
"""``nn.conv`` activations (none, or the ONNX op applied to the convolution's output) → the names of
their ``activation_params``, in order."""


def float_params(values: list[float], wide: bool = False) -> ArrayAttr[FloatAttr]:
    """``activation_params`` as the IR holds them: f32 like ONNX float attributes, f64 (``wide``) for
    the Clip bounds of a double-precision model, so they stay exact."""
    return ArrayAttr([FloatAttr(float(v), f64 if wide else f32) for v in values])


# --- verification helpers ----------------------------------------------------------------------


def _rank(value: SSAValue) -> int | None:
    return value.type.rank if isinstance(value.type, TensorType) else None


def _elem(value: SSAValue) -> int:
    return value.type.elem if isinstance(value.type, TensorType) else 0


def _absent(value: SSAValue) -> bool:
    return isinstance(value.type, NoneType)


def _require(condition: bool, op: IRDLOperation, message: str) -> None:
    if not condition:
        raise VerifyException(f"{op.name}: {message}")


def _int(attr: Attribute) -> int:
    return attr.value.data if isinstance(attr, IntegerAttr) else 0


def _same_float_type(op: IRDLOperation, *values: SSAValue) -> None:
    """Every present value with a known element type has one float element type."""
    elems = {_elem(v) for v in values if not _absent(v) and _elem(v)}
    _require(len(elems) <= 1, op, "operands and result must share one element type")
    _require(elems <= FLOAT_ELEMS, op, "operands must be float tensors")


def _present(op: IRDLOperation, *names: str) -> None:
    """The required operands are there (only optional ones may be ``onnx.novalue``)."""
    for name in names:
        _require(not _absent(getattr(op, name)), op, f"the {name} is required")


def _epsilon(op: IRDLOperation, epsilon: FloatAttr) -> None:
    value = epsilon.value.data
    _require(math.isfinite(value) and value >= 0, op, f"epsilon must be finite and not negative, not {value:g}")


def _axis_in_rank(op: IRDLOperation, axis: int, value: SSAValue) -> None:
    rank = _rank(value)
    _require(rank is None or -rank <= axis < rank, op, f"axis {axis} is outside the input's rank {rank}")


class NNOp(IRDLOperation):
    """Base of ``nn`` ops (lets passes ask ``isinstance(op, NNOp)``)."""

    @property
    def onnx_type(self) -> str:
        """The key of per-op registries (cost counting, forensics): the IR name, ``nn.attention``."""
        return self.name


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
    traits = traits_def(Pure())

    def verify_(self) -> None:
        _present(self, "input", "weight")
        rank, weight = _rank(self.input), _rank(self.weight)
        _require(rank is None or rank >= 2, self, f"the input must have rank ≥ 2, not {rank}")
        _require(weight is None or weight == 2, self, f"the weight must be 2-D [K, N], not rank {weight}")
        _require(_absent(self.bias) or _rank(self.bias) in (None, 1), self, "the bias must be 1-D [N] or absent")
        _same_float_type(self, self.input, self.weight, self.bias, self.output)


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
    traits = traits_def(Pure())

    def verify_(self) -> None:
        _present(self, "input")
        _require(not _absent(self.scale), self, "the scale is required (a γ of ones when the graph had none)")
        _axis_in_rank(self, _int(self.axis), self.input)
        _epsilon(self, self.epsilon)
        _same_float_type(self, self.input, self.scale, self.bias, self.output)


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
    traits = traits_def(Pure())

    def verify_(self) -> None:
        _present(self, "input", "scale")
        _axis_in_rank(self, _int(self.axis), self.input)
        _epsilon(self, self.epsilon)
        _same_float_type(self, self.input, self.scale, self.output)


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
    traits = traits_def(Pure())

    def verify_(self) -> None:
        _present(self, "input")
        _require(self.approximate.data in APPROXIMATIONS, self,
                 f"approximate must be one of {', '.join(APPROXIMATIONS)}, not {self.approximate.data!r}")
        _require(_absent(self.bias) or _rank(self.bias) in (None, 1), self, "the bias must be 1-D or absent")
        _same_float_type(self, self.input, self.bias, self.output)


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
    traits = traits_def(Pure())

    def verify_(self) -> None:
        _present(self, "input", "skip")
        _require(not _absent(self.scale), self, "the scale is required (a γ of ones when the graph had none)")
        _epsilon(self, self.epsilon)
        for name in ("scale", "bias", "skip_bias"):
            value = getattr(self, name)
            _require(_absent(value) or _rank(value) in (None, 1), self, f"{name} must be 1-D or absent")
        _same_float_type(self, self.input, self.skip, self.scale, self.bias, self.skip_bias, self.output)


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
    traits = traits_def(Pure())

    def verify_(self) -> None:
        _present(self, "input", "cos", "sin")
        rank = _rank(self.input)
        _require(rank in (None, 3, 4), self, f"the input must be [B, S, H·D] or [B, H, S, D], not rank {rank}")
        _require(_int(self.num_heads) >= 0 and _int(self.rotary_dim) >= 0, self, "num_heads and rotary_dim must not be negative")
        _require(_int(self.rotary_dim) % 2 == 0, self, "rotary_dim must be even (dims rotate in pairs)")
        _require(_int(self.interleaved) in (0, 1), self, "interleaved must be 0 or 1")
        _require(rank != 3 or _int(self.num_heads) > 0, self, "a 3-D input needs num_heads")
        _same_float_type(self, self.input, self.cos, self.sin, self.output)


@irdl_op_definition
class AttentionOp(NNOp):
    """Scaled dot-product attention over heads: ``softmax(Q·Kᵀ·scale + mask) · V``, heads merged.

    ``query`` is ``[B, S, q_num_heads·D]``; ``key``/``value`` ``[B, T, kv_num_heads·D]``
    (GQA when ``kv_num_heads < q_num_heads``: each KV head serves
    ``q_num_heads/kv_num_heads`` query heads). When ``key`` and ``value`` are absent,
    ``query`` is packed ``[B, S, (q + 2·kv)·D]``. ``mask`` is absent, additive (float,
    broadcastable to ``[B, q_num_heads, S, T]``) or boolean (True = attend);
    ``is_causal`` adds the upper-triangle mask. Output ``[B, S, q_num_heads·D]``.

    With a KV cache (a decoder's later steps) ``past`` is ``(past_key, past_value)``, each
    ``[B, kv_num_heads, P, D]``, and the op has two more results ``present_key``/``present_value``
    ``[B, kv_num_heads, P + T, D]``: the past with the new step's heads appended along the
    sequence (``Concat(past, split_heads(key), axis = 2)``), which is what the attention reads
    (``T`` above becomes ``P + T``). ``key``/``value`` may also be heads already split,
    ``[B, kv_num_heads, T, D]``: the cross-attention K/V that an encoder–decoder's later steps take
    as inputs (computed once from the encoder states). Both are forms of ONNX ``Attention``-23 and
    onnxruntime's ``MultiHeadAttention``; with a cache ``is_causal`` is not used (its alignment
    differs between the two), the graph's own mask is.
    Replaces: the Reshape/Transpose/MatMul/Div-or-Mul/Add(mask)/Softmax/MatMul/
    Transpose/Reshape blocks of BERT-family, GPT-2, ViT, Whisper and Llama exports,
    and the dynamo exporter's SDPA decomposition (with its ``Where(IsNaN)`` guards).
    Lowers to: ``Attention`` (opset ≥ 23); ``com.microsoft::Attention`` / ``MultiHeadAttention`` (or
    ``Attention``-23 for grouped-query heads at opset ≥ 23) under ``ort``.
    """

    name = "nn.attention"
    query = operand_def()
    key = operand_def()
    value = operand_def()
    mask = operand_def()
    past = var_operand_def()
    output = result_def()
    present = var_result_def()
    q_num_heads = prop_def(IntegerAttr)
    kv_num_heads = prop_def(IntegerAttr)
    scale = prop_def(FloatAttr)
    is_causal = prop_def(IntegerAttr)
    nonempty = opt_prop_def(IntegerAttr)
    """1 when the model proves the batch, query length and key length ``>= 1`` (the fusion decides it while
    the decomposition's Reshapes are there to prove it; lowerings to ops that reject empty inputs read it)."""
    traits = traits_def(Pure())

    def verify_(self) -> None:
        _present(self, "query")
        q_heads, kv_heads = _int(self.q_num_heads), _int(self.kv_num_heads)
        _require(q_heads > 0 and kv_heads > 0, self, "q_num_heads and kv_num_heads must be positive")
        _require(q_heads % kv_heads == 0, self, f"q_num_heads {q_heads} must be a multiple of kv_num_heads {kv_heads}")
        _require(_int(self.is_causal) in (0, 1), self, "is_causal must be 0 or 1")
        _require(_absent(self.key) == _absent(self.value), self, "key and value are both present or both absent (packed)")
        _require(_rank(self.query) in (None, 3), self, "query must be 3-D [B, S, heads·D]")
        for name in ("key", "value"):
            value = getattr(self, name)
            _require(_absent(value) or _rank(value) in (None, 3, 4), self,
                     f"{name} must be 3-D [B, T, heads·D] or 4-D [B, heads, T, D]")
        _require(_absent(self.key) or _rank(self.key) == _rank(self.value), self, "key and value must have one rank")
        _same_float_type(self, self.query, self.key, self.value, self.output)
        _require(len(self.past) in (0, 2) and len(self.present) == len(self.past), self,
                 "past is (past_key, past_value) with results present_key, present_value, or neither")
        if self.past:
            _require(not _absent(self.key) and _rank(self.key) in (None, 3), self,
                     "a KV cache appends the new 3-D key and value (not a packed query, not split heads)")
            _require(_int(self.is_causal) == 0, self, "with a KV cache the mask is explicit (is_causal = 0)")
            for value in (*self.past, *self.present):
                _require(_rank(value) in (None, 4), self, "past and present are 4-D [B, kv_num_heads, length, D]")
            _same_float_type(self, self.query, *self.past, *self.present)


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
    traits = traits_def(Pure())

    def verify_(self) -> None:
        _present(self, "input", "weight")
        activation = self.activation.data
        _require(activation in ACTIVATIONS, self, f"unknown activation {activation!r}")
        params = self.activation_params.data if isinstance(self.activation_params, ArrayAttr) else ()
        names = ACTIVATIONS.get(activation, ())
        _require(len(params) == len(names), self,
                 f"activation {activation or 'none'} takes {len(names)} parameter(s) ({', '.join(names) or 'none'}), not {len(params)}")
        _require(all(isinstance(p, FloatAttr) for p in params), self, "activation_params must be floats")
        rank, weight = _rank(self.input), _rank(self.weight)
        _require(rank is None or rank >= 3, self, f"the input must be [N, C, spatial…], not rank {rank}")
        _require(weight is None or rank is None or weight == rank, self, "the weight must have the input's rank")
        _require(_absent(self.bias) or _rank(self.bias) in (None, 1), self, "the bias must be 1-D or absent")
        _same_float_type(self, self.input, self.weight, self.bias, self.output)


NN_OPS = (LinearOp, LayerNormOp, RMSNormOp, GeluOp, SkipLayerNormOp, RotaryEmbeddingOp, AttentionOp, ConvOp)

NN = Dialect("nn", list(NN_OPS), [])
