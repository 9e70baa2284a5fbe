"""FLOPs, multiply-accumulates and bytes of one op, and its op class.

Conventions (docs/cost-model.md): a multiply-accumulate is 2 FLOPs; ``macs``
counts only the multiply-accumulates of contractions (Conv/ConvTranspose
with groups and dilation, MatMul/Gemm/Einsum/linear, both attention
products), which is the unit of published model sizes (torchvision's
"GFLOPS" column: ResNet-50 4.09 G at 224²). Elementwise ops cost a small
per-element count (``ELEMENTWISE_FLOPS``: 1 for arithmetic, 4 for a
transcendental, more for composites); they are memory-bound on every target,
so these only need to be the right order of magnitude.

Bytes: by default an op reads each operand whole and writes each result
whole. Ops that touch part of an operand say so per operand (``Count.reads``):
a Gather reads the rows it gathers, not the embedding table; a Slice reads the
slice. Which results are really written (used by another kernel) is decided
when ops are grouped into kernels.

Each rule is keyed by the op's type, the dialect's one spelling for every
registry (``queries.op_type``): its ONNX op type (default domain),
``domain.OpType`` for other domains (``com.microsoft.FusedConv``) or the
``nn`` op name (``nn.linear``). An op without a rule is counted as an
elementwise op over its outputs and marked ``approximate``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from xdsl.dialects.builtin import DenseArrayBase, DictionaryAttr, IntegerAttr, StringAttr
from xdsl.ir import Operation

from onnxforge.cost.sizes import Shape, Sizes
from onnxforge.dialects.onnx.queries import op_type
from onnxforge.dialects.onnx.structure import NoValueOp
from onnxforge.ir.types import NoneType


@dataclass
class Count:
    """What one op computes and reads."""

    op_class: str
    flops: float = 0.0
    macs: float = 0.0
    reads: list[float | None] | None = None
    """Bytes read per operand (None for an operand: read whole); None: every operand whole."""
    approximate: bool = False
    """Counted by the generic fallback (no rule for this op)."""
    unknown_shape: bool = False
    """A shape the count needs is unknown: FLOPs are missing from the total."""


class OpView:
    """An op with concrete operand/result shapes and its attributes, for the counting rules."""

    def __init__(self, op: Operation, sizes: Sizes) -> None:
        self.op = op
        self.sizes = sizes
        self.unknown = False

    def present(self, index: int) -> bool:
        if index >= len(self.op.operands):
            return False
        value = self.op.operands[index]
        return not (isinstance(value.owner, NoValueOp) or isinstance(value.type, NoneType))

    def shape_in(self, index: int) -> Shape | None:
        if not self.present(index):
            return None
        shape = self.sizes.shape(self.op.operands[index])
        if shape is None:
            self.unknown = True
        return shape

    def shape_out(self, index: int = 0) -> Shape | None:
        if index >= len(self.op.results):
            return None
        shape = self.sizes.shape(self.op.results[index])
        if shape is None:
            self.unknown = True
        return shape

    def numel_in(self, index: int) -> int:
        shape = self.shape_in(index)
        return 0 if shape is None else math.prod(shape)

    def numel_out(self, index: int = 0) -> int:
        shape = self.shape_out(index)
        return 0 if shape is None else math.prod(shape)

    def bytes_in(self, index: int) -> int:
        return 0 if not self.present(index) else (self.sizes.nbytes(self.op.operands[index]) or 0)

    def bytes_out(self, index: int = 0) -> int:
        return 0 if index >= len(self.op.results) else (self.sizes.nbytes(self.op.results[index]) or 0)

    def _attr(self, name: str):  # type: ignore[no-untyped-def]
        """A property; or, for ``nn.conv`` and contrib ops, an entry of ``conv_attrs`` / ``attrs``."""
        attr = self.op.properties.get(name)
        if attr is not None:
            return attr
        for holder in ("conv_attrs", "attrs"):
            table = self.op.properties.get(holder)
            if isinstance(table, DictionaryAttr) and name in table.data:
                return table.data[name]
        return None

    def attr_int(self, name: str, default: int) -> int:
        attr = self._attr(name)
        return attr.value.data if isinstance(attr, IntegerAttr) else default

    def attr_ints(self, name: str) -> tuple[int, ...] | None:
        attr = self._attr(name)
        return tuple(int(v) for v in attr.iter_values()) if isinstance(attr, DenseArrayBase) else None

    def attr_str(self, name: str, default: str = "") -> str:
        attr = self._attr(name)
        return attr.data if isinstance(attr, StringAttr) else default


Rule = Callable[[OpView], Count]
RULES: dict[str, Rule] = {}
OP_CLASS: dict[str, str] = {}
"""Op kind → class, for every kind with a rule."""


def counts(op_class: str, *kinds: str) -> Callable[[Rule], Rule]:
    def register(rule: Rule) -> Rule:
        for kind in kinds:
            RULES[kind] = rule
            OP_CLASS[kind] = op_class
        return rule

    return register


def count(op: Operation, sizes: Sizes) -> Count:
    """The count of one op (an elementwise estimate over its outputs when no rule knows it)."""
    kind = op_type(op)
    view = OpView(op, sizes)
    rule = RULES.get(kind)
    if rule is None:
        flops = sum(view.numel_out(i) for i in range(len(op.results)))
        result = Count("elementwise", float(flops), approximate=True)
    else:
        result = rule(view)
    result.unknown_shape = view.unknown
    return result


# --- contractions ----------------------------------------------------------------------------


def _conv(v: OpView, x: int, w: int, bias: int | None, transpose: bool, op_class: str = "conv") -> Count:
    xs, ws, ys = v.shape_in(x), v.shape_in(w), v.shape_out(0)
    if xs is None or ws is None or ys is None or len(ws) < 2:
        return Count(op_class)
    # Conv: weight [M, C/g, k...]: each output element takes C/g · prod(k) MACs (dilation changes
    # which inputs, not how many). ConvTranspose: weight [C, M/g, k...]: each input element scatters
    # into M/g · prod(k) outputs.
    per = math.prod(ws[1:])
    macs = float(math.prod(xs if transpose else ys) * per)
    flops = 2 * macs + (math.prod(ys) if bias is not None and v.present(bias) else 0)
    return Count(op_class, flops, macs)


@counts("conv", "Conv", "ConvInteger")
def _conv_rule(v: OpView) -> Count:
    return _conv(v, 0, 1, 2 if op_type(v.op) == "Conv" else None, transpose=False)


@counts("conv", "ConvTranspose")
def _conv_transpose(v: OpView) -> Count:
    return _conv(v, 0, 1, 2, transpose=True)


@counts("conv", "QLinearConv")
def _qlinear_conv(v: OpView) -> Count:
    return _conv(v, 0, 3, 8, transpose=False)


@counts("conv", "nn.conv", "com.microsoft.FusedConv", "com.microsoft.NhwcFusedConv")
def _fused_conv(v: OpView) -> Count:
    result = _conv(v, 0, 1, 2, transpose=False)
    activation = v.attr_str("activation")
    if activation:
        result.flops += v.numel_out(0) * ELEMENTWISE_FLOPS.get(activation, 1)
    if op_type(v.op) != "nn.conv" and v.present(3):
        result.flops += v.numel_out(0)  # FusedConv's Z: the residual sum
    return result


def _matmul(v: OpView, a: int, b: int, trans_a: bool = False) -> Count:
    as_, ys = v.shape_in(a), v.shape_out(0)
    if as_ is None or ys is None or not as_:
        return Count("matmul")
    k = as_[0] if len(as_) == 1 else (as_[-2] if trans_a else as_[-1])
    macs = float(math.prod(ys) * k)
    return Count("matmul", 2 * macs, macs)


@counts("matmul", "MatMul", "MatMulInteger")
def _matmul_rule(v: OpView) -> Count:
    return _matmul(v, 0, 1)


@counts("matmul", "QLinearMatMul")
def _qlinear_matmul(v: OpView) -> Count:
    return _matmul(v, 0, 3)


@counts("matmul", "com.microsoft.FusedMatMul")
def _fused_matmul(v: OpView) -> Count:
    return _matmul(v, 0, 1, trans_a=bool(v.attr_int("transA", 0)))


@counts("matmul", "Gemm", "com.microsoft.FusedGemm")
def _gemm(v: OpView) -> Count:
    as_, ys = v.shape_in(0), v.shape_out(0)
    if as_ is None or ys is None or len(as_) != 2:
        return Count("matmul")
    k = as_[0] if v.attr_int("transA", 0) else as_[1]
    macs = float(math.prod(ys) * k)
    return Count("matmul", 2 * macs + (math.prod(ys) if v.present(2) else 0), macs)


@counts("matmul", "nn.linear")
def _linear(v: OpView) -> Count:
    result = _matmul(v, 0, 1)
    if v.present(2):
        result.flops += v.numel_out(0)
    return result


@counts("matmul", "Einsum")
def _einsum(v: OpView) -> Count:
    """MACs = output elements × the product of the sizes of the summed-over letters."""
    equation = v.attr_str("equation").replace(" ", "")
    lhs, _, rhs = equation.partition("->")
    terms = lhs.split(",")
    sizes: dict[str, int] = {}
    for index, term in enumerate(terms):
        shape = v.shape_in(index)
        letters = term.replace("...", "")
        if shape is None:
            return Count("matmul")
        offset = len(shape) - len(letters) if "..." in term else 0
        for position, letter in enumerate(letters):
            at = position + (offset if "..." in term and term.index("...") <= term.index(letter) else 0)
            if at < len(shape):
                sizes[letter] = max(sizes.get(letter, 1), shape[at])
    if not rhs and "->" not in equation:
        rhs = "".join(sorted(c for c in set(lhs) if c.isalpha() and lhs.count(c) == 1))
    summed = [c for c in sizes if c not in rhs]
    macs = float(v.numel_out(0) * math.prod(sizes[c] for c in summed)) if summed else float(v.numel_out(0))
    return Count("matmul", 2 * macs, macs)


# --- attention -------------------------------------------------------------------------------

SOFTMAX_FLOPS = 5
"""Per score: scale, mask add, max, exp, normalise."""


def attention_count(batch: int, q_heads: int, q_len: int, kv_len: int, qk_dim: int, v_dim: int) -> Count:
    """Both products of scaled dot-product attention (``Q·Kᵀ`` and ``P·V``) plus the softmax."""
    scores = batch * q_heads * q_len * kv_len
    macs = float(scores * (qk_dim + v_dim))
    return Count("attention", 2 * macs + SOFTMAX_FLOPS * scores, macs)


def _split_heads(shape: Shape | None, heads: int) -> tuple[int, int, int, int] | None:
    """(batch, heads, length, head dim) of a ``[B, H, L, D]`` or ``[B, L, H·D]`` tensor."""
    if shape is None:
        return None
    if len(shape) == 4:
        return shape[0], shape[1], shape[2], shape[3]
    if len(shape) == 3 and heads > 0 and shape[2] % heads == 0:
        return shape[0], heads, shape[1], shape[2] // heads
    return None


@counts("attention", "Attention")
def _onnx_attention(v: OpView) -> Count:
    q = _split_heads(v.shape_in(0), v.attr_int("q_num_heads", 0))
    k = _split_heads(v.shape_in(1), v.attr_int("kv_num_heads", 0))
    val = _split_heads(v.shape_in(2), v.attr_int("kv_num_heads", 0))
    if q is None or k is None or val is None:
        return Count("attention")
    past = v.shape_in(4)
    kv_len = k[2] + (past[2] if past is not None and len(past) == 4 else 0)
    return attention_count(q[0], q[1], q[2], kv_len, q[3], val[3])


@counts("attention", "nn.attention")
def _nn_attention(v: OpView) -> Count:
    q_heads, kv_heads = v.attr_int("q_num_heads", 0), v.attr_int("kv_num_heads", 0)
    qs = v.shape_in(0)
    if qs is None or len(qs) != 3 or q_heads <= 0:
        return Count("attention")
    if not v.present(1):  # packed [B, S, (q + 2kv)·D]
        head_dim = qs[2] // (q_heads + 2 * kv_heads) if q_heads + 2 * kv_heads > 0 else 0
        return attention_count(qs[0], q_heads, qs[1], qs[1], head_dim, head_dim)
    ks, vs = v.shape_in(1), v.shape_in(2)
    if ks is None or vs is None or kv_heads <= 0 or len(ks) != len(vs):
        return Count("attention")
    if len(ks) == 4:  # heads already split: [B, kv_heads, T, D]
        return attention_count(qs[0], q_heads, qs[1], ks[2], qs[2] // q_heads, vs[3])
    past = v.shape_in(4) if v.present(4) else None  # a KV cache: the attention reads past + new keys
    kv_len = ks[1] + (past[2] if past is not None and len(past) == 4 else 0)
    return attention_count(qs[0], q_heads, qs[1], kv_len, qs[2] // q_heads, vs[2] // kv_heads)


@counts("attention", "com.microsoft.MultiHeadAttention")
def _mha(v: OpView) -> Count:
    heads = v.attr_int("num_heads", 0)
    qs = v.shape_in(0)
    if qs is None or heads <= 0:
        return Count("attention")
    if len(qs) == 5:  # packed QKV [B, S, H, 3, D]
        return attention_count(qs[0], heads, qs[1], qs[1], qs[4], qs[4])
    q = _split_heads(qs, heads)
    k = _split_heads(v.shape_in(1), heads) if v.present(1) else q
    val = _split_heads(v.shape_in(2), heads) if v.present(2) else k
    if q is None or k is None or val is None:
        return Count("attention")
    return attention_count(q[0], heads, q[2], k[2], q[3], val[3])


@counts("attention", "com.microsoft.GroupQueryAttention")
def _gqa(v: OpView) -> Count:
    heads, kv_heads = v.attr_int("num_heads", 0), v.attr_int("kv_num_heads", 0)
    qs = v.shape_in(0)
    if qs is None or len(qs) != 3 or heads <= 0:
        return Count("attention")
    head_dim = qs[2] // (heads + 2 * kv_heads) if not v.present(1) else qs[2] // heads
    past = v.shape_in(3)
    kv_len = qs[1] + (past[2] if past is not None and len(past) == 4 else 0)
    return attention_count(qs[0], heads, qs[1], kv_len, head_dim, head_dim)


@counts("attention", "com.microsoft.Attention")
def _contrib_attention(v: OpView) -> Count:
    """BERT's fused op: the QKV projection (weights ``[D_in, 3·D]``) and the attention."""
    heads = v.attr_int("num_heads", 0)
    xs, ws = v.shape_in(0), v.shape_in(1)
    if xs is None or ws is None or len(xs) != 3 or heads <= 0:
        return Count("attention")
    projection = float(xs[0] * xs[1] * xs[2] * ws[1])
    hidden = ws[1] // 3
    result = attention_count(xs[0], heads, xs[1], xs[1], hidden // heads, hidden // heads)
    result.macs += projection
    result.flops += 2 * projection
    return result


# --- normalisation, elementwise, pooling, reductions ---------------------------------------------

ELEMENTWISE_FLOPS: dict[str, float] = {
    **dict.fromkeys(
        ["Exp", "Log", "Tanh", "Sigmoid", "Erf", "Sin", "Cos", "Tan", "Asin", "Acos", "Atan", "Sinh", "Cosh",
         "Asinh", "Acosh", "Atanh", "Pow", "Softplus", "Softsign", "Elu", "Selu", "Celu", "Swish"], 4.0),
    **dict.fromkeys(["HardSigmoid", "HardSwish", "LeakyRelu", "PRelu", "Clip", "ThresholdedRelu", "Shrink"], 2.0),
    **dict.fromkeys(["Mish", "Gelu", "nn.gelu", "com.microsoft.Gelu", "com.microsoft.BiasGelu",
                     "com.microsoft.FastGelu", "com.microsoft.QuickGelu"], 8.0),
    **dict.fromkeys(["Cast", "CastLike", "Where", "Not", "Identity"], 0.0),
}
"""FLOPs per output element of elementwise ops (1 when not listed)."""
VARIADIC = frozenset({"Sum", "Max", "Min", "Mean"})


def _elementwise(v: OpView) -> Count:
    kind = op_type(v.op)
    per = ELEMENTWISE_FLOPS.get(kind, 1.0)
    if kind in VARIADIC:
        per *= max(1, len(v.op.operands) - 1)
    if kind in ("nn.gelu", "com.microsoft.BiasGelu", "com.microsoft.FastGelu") and v.present(1):
        per += 1  # the fused bias add
    return Count("elementwise", per * v.numel_out(0))


ELEMENTWISE_KINDS = [
    "Add", "Sub", "Mul", "Div", "Neg", "Abs", "Relu", "Sqrt", "Reciprocal", "Floor", "Ceil", "Round", "Sign",
    "Mod", "BitShift", "BitwiseAnd", "BitwiseOr", "BitwiseXor", "BitwiseNot", "And", "Or", "Xor", "Not",
    "Equal", "Less", "LessOrEqual", "Greater", "GreaterOrEqual", "IsNaN", "IsInf", "Where", "Sum", "Max", "Min",
    "Mean", "Gelu", "Mish", "Erf", "Exp", "Log", "Tanh", "Sigmoid", "Sin", "Cos", "Tan", "Asin", "Acos", "Atan",
    "Sinh", "Cosh", "Asinh", "Acosh", "Atanh", "Pow", "Softplus", "Softsign", "Elu", "Selu", "Celu",
    "HardSigmoid", "HardSwish", "LeakyRelu", "PRelu", "Clip", "ThresholdedRelu", "Shrink", "Swish",
    "QuantizeLinear", "DequantizeLinear", "DynamicQuantizeLinear", "nn.gelu", "com.microsoft.Gelu",
    "com.microsoft.BiasGelu", "com.microsoft.FastGelu", "com.microsoft.QuickGelu", "com.microsoft.BiasAdd",
]
counts("elementwise", *ELEMENTWISE_KINDS)(_elementwise)


@counts("elementwise", "nn.rotary_embedding", "RotaryEmbedding", "com.microsoft.RotaryEmbedding")
def _rotary(v: OpView) -> Count:
    """Three FLOPs per rotated element (two products and a sum); cos/sin read only for the positions used."""
    out = v.numel_out(0)
    table = min(v.bytes_in(1), v.bytes_out(0) // 2)
    return Count("elementwise", 3.0 * out, reads=[None, table, table])


NORM_FLOPS = {
    "LayerNormalization": 8, "nn.layer_norm": 8, "com.microsoft.LayerNormalization": 8,
    "RMSNormalization": 5, "nn.rms_norm": 5, "com.microsoft.SimplifiedLayerNormalization": 5,
    "SimplifiedLayerNormalization": 5,
    "nn.skip_layer_norm": 10, "com.microsoft.SkipLayerNormalization": 10,
    "com.microsoft.SkipSimplifiedLayerNormalization": 7,
    "BatchNormalization": 2, "InstanceNormalization": 8, "GroupNormalization": 8,
    "MeanVarianceNormalization": 6, "LpNormalization": 3,
}
"""FLOPs per element: statistics, normalise, scale and shift (BatchNorm at inference: one multiply-add)."""


@counts("normalization", *NORM_FLOPS)
def _normalization(v: OpView) -> Count:
    return Count("normalization", float(NORM_FLOPS[op_type(v.op)] * v.numel_out(0)))


@counts("pooling", "MaxPool", "AveragePool", "LpPool")
def _pool(v: OpView) -> Count:
    """Each output reads its window, clipped to the (padded) input: HF's EfficientNet pools a 7×7 map
    with a 1280×1280 ``ceil_mode`` kernel, which reads 49 values per output, not 1.6 M."""
    kernel = v.attr_ints("kernel_shape") or ()
    shape = v.shape_in(0)
    if shape is not None and len(shape) == len(kernel) + 2:
        pads = v.attr_ints("pads") or (0,) * (2 * len(kernel))
        kernel = tuple(min(k, shape[2 + i] + pads[i] + pads[i + len(kernel)]) for i, k in enumerate(kernel))
    return Count("pooling", float(v.numel_out(0) * math.prod(kernel)))


@counts("pooling", "GlobalAveragePool", "GlobalMaxPool", "GlobalLpPool")
def _global_pool(v: OpView) -> Count:
    return Count("pooling", float(v.numel_in(0)))


@counts("pooling", "MaxRoiPool", "RoiAlign", "MaxUnpool")
def _roi_pool(v: OpView) -> Count:
    return Count("pooling", 4.0 * v.numel_out(0))


@counts("reduction", "ReduceSum", "ReduceMean", "ReduceMax", "ReduceMin", "ReduceProd", "ReduceL1", "ReduceL2",
        "ReduceLogSum", "ReduceLogSumExp", "ReduceSumSquare", "ArgMax", "ArgMin", "CumSum")
def _reduce(v: OpView) -> Count:
    return Count("reduction", float(v.numel_in(0)))


@counts("reduction", "Softmax", "LogSoftmax", "Hardmax", "com.microsoft.BiasSoftmax")
def _softmax(v: OpView) -> Count:
    return Count("reduction", float(SOFTMAX_FLOPS * v.numel_in(0)))


@counts("reduction", "TopK")
def _topk(v: OpView) -> Count:
    """A partial sort: log2(k) comparisons per input element."""
    out = v.shape_out(0)
    k = out[v.attr_int("axis", -1)] if out else 2
    return Count("reduction", float(v.numel_in(0) * math.log2(max(2, k))))


# --- data movement -------------------------------------------------------------------------------


@counts("data_movement", "Transpose", "Concat", "Split", "Pad", "Tile", "Expand", "DepthToSpace", "SpaceToDepth",
        "Cast", "CastLike", "ReverseSequence", "Compress", "Trilu", "ScatterND", "ScatterElements", "Scatter",
        "OneHot", "NonZero", "Unique", "Reshape", "Squeeze", "Unsqueeze", "Flatten", "Identity", "Dropout",
        "Shape", "Size", "CenterCropPad", "Col2Im", "SplitToSequence", "ConcatFromSequence")
def _move(v: OpView) -> Count:
    return Count("data_movement")


@counts("data_movement", "Gather", "GatherElements", "GatherND")
def _gather(v: OpView) -> Count:
    """A gather reads the indices and the elements it copies, not the whole table."""
    return Count("data_movement", reads=[float(min(v.bytes_in(0), v.bytes_out(0))), None])


@counts("data_movement", "Slice")
def _slice(v: OpView) -> Count:
    return Count("data_movement", reads=[float(min(v.bytes_in(0), v.bytes_out(0)))])


@counts("data_movement", "ConstantOfShape", "Range", "EyeLike", "RandomNormal", "RandomUniform",
        "RandomNormalLike", "RandomUniformLike", "Bernoulli", "Multinomial")
def _fill(v: OpView) -> Count:
    """Generators write their output and read nothing of substance."""
    return Count("data_movement", reads=[0.0] * len(v.op.operands))


@counts("data_movement", "Resize", "Upsample")
def _resize(v: OpView) -> Count:
    mode = v.attr_str("mode", "nearest")
    per = {"nearest": 0.0, "linear": 4.0, "bilinear": 4.0, "cubic": 16.0}.get(mode, 4.0)
    return Count("data_movement", per * v.numel_out(0))
