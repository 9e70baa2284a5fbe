"""What TensorRT's ONNX parser reads: the ``--target=tensorrt`` support data, and a check of a model against it.

Source: onnx-tensorrt's published operator matrix, ``docs/operators.md`` at the TensorRT 10.15 GA
release (github.com/onnx/onnx-tensorrt, 2026-02-02: "TensorRT 10.15 supports operators in the
inclusive range of opset 9 to opset 24"), and its ``docs/Changelog.md`` for when ops arrived
(LayerNormalization 8.6; Attention 10.14; RMSNormalization, RotaryEmbedding and TensorScatter
10.15). 10.0 read opsets 9 to 20; TensorRT 11.5 reads opset 25 (its release notes). No TensorRT
runs here: a model that passes ``unsupported_ops`` passes the published matrix, not a parser.

The parser reads only the default ONNX domain (and plugins or model-local functions, which we
never write): no ``com.microsoft`` contrib op. What the target writes for fused ops:

* ``LayerNormalization`` (opset ≥ 17): parsed natively, and NVIDIA recommends it over the
  decomposition for fp16 accuracy (NVIDIA/TensorRT#2781). Below opset 17 the pattern stays
  decomposed; TensorRT's builder matches it.
* ``Gelu`` (opset ≥ 20): in the matrix (an activation layer); the dynamo exports already hold it.
  Below 20 the Erf/Tanh pattern stays decomposed and the builder fuses it.
* Conv + BatchNorm folded, Conv followed by its activation as a separate op (the builder fuses
  Conv + activation itself; it parses no ``FusedConv``); MatMul + Add; MatMul + Split.
* Attention, RMSNorm and rotary embeddings stay decomposed (``LEFT_TO_BUILDER``): the builder fuses
  the decomposed multi-head attention and normalisations itself, the standard ops need a recent
  parser (10.14 / 10.15; NVIDIA/TensorRT#4639 asked for RMSNormalization in 2025-11), and its
  Attention takes only 4-D ``Q``/``K``/``V`` with the head counts in their shapes, where our
  lowering writes the 3-D form.
"""

from __future__ import annotations

from collections.abc import Iterator

import onnx

from onnxforge.errors import ForgeError

TENSORRT_VERSION = "10.15"
MIN_OPSET = 9
MAX_OPSET = 24
"""The default-domain opsets TensorRT 10.15's parser reads (inclusive)."""

DEFAULT_DOMAINS = frozenset({"", "ai.onnx"})

SUPPORTED: frozenset[str] = frozenset("""
Abs Acos Acosh Add And ArgMax ArgMin Asin Asinh Atan Atanh Attention AveragePool BatchNormalization
BlackmanWindow Cast CastLike Ceil Celu Clip Concat Constant ConstantOfShape Conv ConvTranspose Cos Cosh
CumSum DeformConv DepthToSpace DequantizeLinear Div Dropout Einsum Elu Equal Erf Exp Expand EyeLike
Flatten Floor Gather GatherElements GatherND Gelu Gemm GlobalAveragePool GlobalLpPool GlobalMaxPool
Greater GreaterOrEqual GridSample GroupNormalization GRU HammingWindow HannWindow HardSigmoid HardSwish
Hardmax Identity If ImageScaler InstanceNormalization IsInf IsNaN LayerNormalization LeakyRelu Less
LessOrEqual Log LogSoftmax Loop LRN LSTM LpNormalization LpPool MatMul Max MaxPool Mean
MeanVarianceNormalization Min Mish Mod Mul Neg NonMaxSuppression NonZero Not OneHot Or Pad
ParametricSoftplus Pow PRelu QuantizeLinear RandomNormal RandomNormalLike RandomUniform
RandomUniformLike Range Reciprocal ReduceL1 ReduceL2 ReduceLogSum ReduceLogSumExp ReduceMax ReduceMean
ReduceMin ReduceProd ReduceSum ReduceSumSquare Relu Reshape Resize ReverseSequence RMSNormalization RNN
RoiAlign RotaryEmbedding Round STFT ScaledTanh Scan Scatter ScatterElements ScatterND Selu Shape Shrink
Sigmoid Sign Sin Sinh Size Slice Softmax Softplus Softsign SpaceToDepth Split Sqrt Squeeze Sub Sum Tan
Tanh TensorScatter ThresholdedRelu Tile TopK Transpose Trilu Unsqueeze Upsample Where Xor
""".split())
"""Operators the matrix marks ``Y``. Everything else (rows marked ``N`` — Compress, DFT, the sequence
and string ops, the Bitwise ops, QLinear*, Unique, … — and every op the matrix does not list, e.g.
opset 24's Swish) does not parse."""

ADDED_IN: dict[str, str] = {
    "LayerNormalization": "8.6",
    "Attention": "10.14",
    "RMSNormalization": "10.15",
    "RotaryEmbedding": "10.15",
    "TensorScatter": "10.15",
}
"""The TensorRT release whose parser first read these ops (onnx-tensorrt's changelog)."""

LEFT_TO_BUILDER: dict[str, str] = {
    "Attention": "TensorRT's builder fuses the decomposed multi-head attention itself; its parser reads "
                 "Attention only from 10.14, with 4-D Q/K/V, where the lowering writes the 3-D form",
    "RMSNormalization": "TensorRT's builder fuses the decomposed RMSNorm itself; its parser reads RMSNormalization "
                        "only from 10.15 (NVIDIA/TensorRT#4639)",
    "RotaryEmbedding": "TensorRT's builder runs the decomposed rotary embedding; its parser reads RotaryEmbedding "
                       "only from 10.15",
}
"""Ops in the matrix that ``--target=tensorrt`` still does not write for a fused ``nn`` op, and why."""

SINGLE_OUTPUT: dict[str, str] = {
    "LayerNormalization": "only the first output Y is supported",
    "MaxPool": "the Indices output is unsupported",
    "Attention": "only one output is supported",
}
"""Restrictions of the matrix on optional outputs: such a node parses only with its first output used."""

CONSTANT_INPUTS: dict[str, tuple[int, str]] = {
    **{op: (1, "axes") for op in ("ReduceL1", "ReduceL2", "ReduceLogSum", "ReduceLogSumExp", "ReduceMax", "ReduceMean",
                                  "ReduceMin", "ReduceProd", "ReduceSum", "ReduceSumSquare")},
    "CumSum": (1, "axis"),
}
"""Inputs the matrix requires to be an initializer ("a build-time constant"): op → (input index, name). A
``Constant`` node's output counts too (the parser imports it as weights)."""


def writes(op_type: str) -> str | None:
    """Why ``--target=tensorrt`` does not write ``op_type`` for a fused op, or None when it does."""
    if op_type not in SUPPORTED:
        return f"TensorRT {TENSORRT_VERSION}'s ONNX parser does not read {op_type}"
    return LEFT_TO_BUILDER.get(op_type)


def opset_problem(opset: int) -> str | None:
    """Why default-domain ``opset`` does not parse, or None when the parser reads it."""
    if MIN_OPSET <= opset <= MAX_OPSET:
        return None
    return f"opset {opset} is outside the opsets {MIN_OPSET} to {MAX_OPSET} that TensorRT {TENSORRT_VERSION}'s ONNX parser reads"


def require_opset(opset: int, where: str = "--target=tensorrt", requested: bool = False) -> None:
    """Raise a one-line ``ForgeError`` unless the parser reads default-domain ``opset``: the model's (with what to
    do about it), or one the user ``requested`` (``--target-opset``)."""
    problem = opset_problem(opset)
    if problem is None:
        return
    if requested:
        raise ForgeError(f"{where}: {problem}")
    if opset == 0:
        raise ForgeError(f"{where}: the model has no default-domain (ai.onnx) opset, only other domains "
                         f"(e.g. ai.onnx.ml), which TensorRT {TENSORRT_VERSION}'s ONNX parser does not read")
    remedy = (f"export it at opset {MAX_OPSET} or below; --target-opset only raises an opset" if opset > MAX_OPSET
              else f"convert it: --target-opset={MIN_OPSET}")
    raise ForgeError(f"{where}: the model's {problem} ({remedy})")


def unsupported_ops(model: onnx.ModelProto) -> list[str]:
    """Everything in ``model`` that TensorRT's parser would reject by the published matrix, one line each.

    Checked: the default-domain opset; every node's domain and op type, in the graph, in subgraphs
    (If/Loop/Scan bodies) and in model-local functions (a call to one is fine; its body is checked);
    ``Constant`` payloads the parser cannot read; optional outputs the matrix excludes; inputs that must
    be initializers (``CONSTANT_INPUTS``); Attention's inputs (4-D where the model records their rank, no
    KV cache). Not checked: element types, and the restrictions that need values (e.g. Squeeze axes
    "resolvable to a constant", TopK's K below 3840).
    """
    found: list[str] = []
    opset = next((o.version for o in model.opset_import if o.domain in DEFAULT_DOMAINS), None)
    if opset is None:
        found.append("the model imports no default-domain opset")
    elif (problem := opset_problem(opset)) is not None:
        found.append(f"the model's {problem}")
    functions = {(f.domain, f.name) for f in model.functions}
    graphs = [model.graph, *model.functions]
    constants = {t.name for t in model.graph.initializer}
    constants |= {out for g in graphs for n in _nodes(g.node) if n.op_type == "Constant" for out in n.output}
    ranks = {v.name: len(v.type.tensor_type.shape.dim)
             for v in (*model.graph.input, *model.graph.value_info, *model.graph.output)
             if v.type.HasField("tensor_type") and v.type.tensor_type.HasField("shape")}
    for node in (n for g in graphs for n in _nodes(g.node)):
        where = f"{node.op_type} {node.name!r}" if node.name else node.op_type
        if node.domain not in DEFAULT_DOMAINS:
            if (node.domain, node.op_type) not in functions:
                found.append(f"{node.domain}::{where}: not an ONNX-domain op (the parser reads no contrib ops)")
            continue
        if node.op_type not in SUPPORTED:
            found.append(f"{where}: not in TensorRT {TENSORRT_VERSION}'s operator matrix")
        elif node.op_type == "Constant" and any(a.name in ("sparse_value", "value_string", "value_strings")
                                                for a in node.attribute):
            found.append(f"{where}: sparse and string constants are unsupported")
        elif node.op_type in SINGLE_OUTPUT and any(node.output[1:]):
            found.append(f"{where}: {SINGLE_OUTPUT[node.op_type]}")
        elif node.op_type in CONSTANT_INPUTS:
            index, name = CONSTANT_INPUTS[node.op_type]
            if len(node.input) > index and node.input[index] and node.input[index] not in constants:
                found.append(f"{where}: {name} must be an initializer")
        if node.op_type == "Attention":
            if any(node.input[4:]):
                found.append(f"{where}: past_key, past_value and nonpad_kv_seqlen are unsupported")
            if any(name and ranks.get(name, 4) != 4 for name in node.input[:4]):
                found.append(f"{where}: Q, K, V and attn_mask must be 4-D")
    return found


def _nodes(nodes: Iterator[onnx.NodeProto] | list[onnx.NodeProto]) -> Iterator[onnx.NodeProto]:
    """Every node of a node list, and of the subgraphs in their attributes, depth first."""
    for node in nodes:
        yield node
        for attr in node.attribute:
            for graph in ([attr.g] if attr.HasField("g") else []) + list(attr.graphs):
                yield from _nodes(graph.node)
