"""The forensics audit: count every optimisation opportunity in a graph, without changing it.

Each count is a structural match on the IR, looser than the pass that would
act on it (a pass also checks constants, types and uses before rewriting), so
the audit answers "how much is there to gain" and the attribution matrix
answers "how much did the pass take". Counts cover the main graph and its
If/Loop/Scan subgraphs. Shape-dependent counts (ranks, no-op reshapes,
identity expands) need the types ``onnx-infer-shapes`` writes: ``inspect``
runs that analysis on its own copy of the IR first.

What is counted (every name is a field of ``Forensics``):

- ``matmul_add_by_rank``: MatMul whose only user is an Add of a constant
  (bias), by the rank of the product (2 → Gemm, ≥ 3 → ``nn.linear``);
- ``qkv_triples``: values read (as the left operand) by three or more
  MatMul/Gemm nodes with constant-derived weights (fusable into one MatMul);
- ``noop_transposes`` (identity ``perm``), ``transpose_pairs`` (Transpose of
  a Transpose), ``noop_reshapes`` (output dims = input dims, all known),
  ``reshape_chains`` (Reshape of a Reshape/Flatten/Squeeze/Unsqueeze);
- ``layer_norm``: decomposed ``Sub(x, ReduceMean(x))`` by the ReduceMean's
  axes form (``attr-axes`` before opset 18, ``axes-input`` from 18), and
  ``op`` for LayerNormalization-like ops; ``rms_norm``: ``ReduceMean(x²)`` of
  an uncentred ``x`` and RMSNorm-like ops;
- ``gelu``: ``erf`` (``Erf(x/√2)``), ``tanh`` (a Tanh fed by ``x³``),
  ``sigmoid`` (``x·σ(1.702x)``) and ``op`` forms; ``silu``: ``x·σ(x)``;
- ``rotate_half``: RoPE's ``Concat(-Slice(x), Slice(x))``; ``sin_cos``: Sin
  and Cos nodes; ``rotary_ops``: fused rotary embeddings;
- ``cast_chains`` (Cast of a Cast), ``identity_expands`` (Expand that keeps
  the shape), ``identity_ops`` (Identity, inference Dropout),
  ``constant_nodes``;
- ``foldable_constant_ops``: nodes whose inputs are all constants or
  foldable nodes (transitively), i.e. what constant folding can evaluate;
  ``shape_ops`` (run-time shape computations start at Shape) and
  ``static_shape_ops`` (Shape of a value whose dims are all known);
- ``attention_blocks``: Softmax between two MatMuls (scores through
  scale/mask ops before, dropout/cast after); ``fused_attention``;
- ``conv_bn_pairs``: BatchNormalization of a Conv used only there.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from xdsl.dialects.builtin import ModuleOp
from xdsl.ir import Operation, SSAValue

from onnxforge.analysis.graph import all_nodes, close_to, is_constant, producer, producer_type, users
from onnxforge.dialects.onnx.generated import ReduceMeanOp
from onnxforge.dialects.onnx.queries import dims_of, dropout_is_inference, int_constant, ints_prop, is_absent, op_type
from onnxforge.ir.types import TensorType

MATMUL_OPS = frozenset({"MatMul", "Gemm", "MatMulInteger", "QLinearMatMul", "com.microsoft.FusedMatMul", "nn.linear"})
CONV_OPS = frozenset({"Conv", "ConvTranspose", "ConvInteger", "QLinearConv", "com.microsoft.FusedConv", "nn.conv"})
LAYER_NORM_OPS = frozenset({
    "LayerNormalization", "com.microsoft.LayerNormalization", "com.microsoft.SkipLayerNormalization",
    "nn.layer_norm", "nn.skip_layer_norm",
})
RMS_NORM_OPS = frozenset({
    "RMSNormalization", "com.microsoft.SimplifiedLayerNormalization",
    "com.microsoft.SkipSimplifiedLayerNormalization", "nn.rms_norm",
})
GELU_OPS = frozenset({"Gelu", "com.microsoft.Gelu", "com.microsoft.FastGelu", "com.microsoft.BiasGelu", "nn.gelu"})
ATTENTION_OPS = frozenset({
    "Attention", "com.microsoft.Attention", "com.microsoft.MultiHeadAttention",
    "com.microsoft.GroupQueryAttention", "nn.attention",
})
ROTARY_OPS = frozenset({"RotaryEmbedding", "com.microsoft.RotaryEmbedding", "nn.rotary_embedding"})

_SCORE_PATH = frozenset({"Add", "Sub", "Mul", "Div", "Where", "Cast", "Identity", "Max", "Min", "Clip", "Reshape", "Slice"})
"""Ops between Q·Kᵀ and Softmax in real exports (scale, additive or boolean mask, clamps)."""
_PROBS_PATH = frozenset({"Cast", "Dropout", "Identity", "Where", "Reshape"})
"""Ops between Softmax and ·V (dropout, casts, masking of fully-masked rows)."""
_RESHAPES = frozenset({"Reshape", "Flatten", "Squeeze", "Unsqueeze"})
_RANDOM = frozenset({"RandomNormal", "RandomUniform", "RandomNormalLike", "RandomUniformLike", "Multinomial", "Bernoulli"})
_SEARCH_DEPTH = 6
SQRT2 = 2**0.5


@dataclass
class Forensics:
    matmul_add_by_rank: dict[str, int] = field(default_factory=dict)
    qkv_triples: int = 0
    noop_transposes: int = 0
    transpose_pairs: int = 0
    noop_reshapes: int = 0
    reshape_chains: int = 0
    layer_norm: dict[str, int] = field(default_factory=dict)
    rms_norm: dict[str, int] = field(default_factory=dict)
    gelu: dict[str, int] = field(default_factory=dict)
    silu: int = 0
    rotate_half: int = 0
    sin_cos: int = 0
    rotary_ops: int = 0
    cast_chains: int = 0
    identity_expands: int = 0
    identity_ops: int = 0
    constant_nodes: int = 0
    foldable_constant_ops: int = 0
    shape_ops: int = 0
    static_shape_ops: int = 0
    attention_blocks: int = 0
    fused_attention: int = 0
    conv_bn_pairs: int = 0

    def rows(self) -> list[tuple[str, str]]:
        """(opportunity, count) pairs for a table; dict-valued counts are spelled ``form ×n``."""
        out = []
        for name, value in vars(self).items():
            if isinstance(value, dict):
                text = ", ".join(f"{k} ×{v}" for k, v in sorted(value.items())) or "0"
            else:
                text = str(value)
            out.append((name, text))
        return out


def audit(module: ModuleOp) -> Forensics:
    """Every count of ``Forensics`` for the module (read-only)."""
    nodes = list(all_nodes(module))
    found = Forensics()
    matmul_add: Counter[str] = Counter()
    layer_norm: Counter[str] = Counter()
    rms_norm: Counter[str] = Counter()
    gelu: Counter[str] = Counter()
    foldable = foldable_nodes(nodes)
    found.foldable_constant_ops = len(foldable)
    for op in nodes:
        kind = op_type(op)
        if kind == "MatMul" and (rank := _bias_add_rank(op, foldable)) is not None:
            matmul_add[rank] += 1
        elif kind == "Transpose":
            perm = ints_prop(op, "perm")
            found.noop_transposes += perm is not None and list(perm) == list(range(len(perm)))
            found.transpose_pairs += producer_type(op.operands[0]) == "Transpose"
        elif kind == "Reshape":
            found.noop_reshapes += _same_known_dims(op.operands[0], op.results[0])
            found.reshape_chains += producer_type(op.operands[0]) in _RESHAPES
        elif kind == "Sub" and (form := layer_norm_form(op)) is not None:
            layer_norm[form] += 1
        elif kind == "ReduceMean" and is_rms_mean(op):
            rms_norm["decomposed"] += 1
        elif kind in ("Erf", "Tanh", "Mul") and (form := gelu_form(op)) is not None:
            gelu[form] += 1
        elif kind in ("Sin", "Cos"):
            found.sin_cos += 1
        elif kind == "Concat":
            found.rotate_half += is_rotate_half(op)
        elif kind == "Cast":
            found.cast_chains += producer_type(op.operands[0]) == "Cast"
        elif kind == "Expand":
            found.identity_expands += _is_identity_expand(op)
        elif kind == "Identity" or (kind == "Dropout" and dropout_is_inference(op)):
            found.identity_ops += 1
        elif kind == "Constant":
            found.constant_nodes += 1
        elif kind == "Shape":
            found.shape_ops += 1
            dims = dims_of(op.operands[0])
            found.static_shape_ops += dims is not None and all(isinstance(d, int) for d in dims)
        elif kind == "Softmax":
            found.attention_blocks += is_attention_softmax(op)
        elif kind == "BatchNormalization":
            conv = producer(op.operands[0])
            found.conv_bn_pairs += conv is not None and op_type(conv) == "Conv" and len(users(op.operands[0])) == 1
        if kind == "Mul":
            found.silu += is_silu(op)
        if kind in LAYER_NORM_OPS:
            layer_norm["op"] += 1
        elif kind in RMS_NORM_OPS:
            rms_norm["op"] += 1
        elif kind in GELU_OPS:
            gelu["op"] += 1
        elif kind in ATTENTION_OPS:
            found.fused_attention += 1
        elif kind in ROTARY_OPS:
            found.rotary_ops += 1
    found.qkv_triples = _qkv_triples(nodes, foldable)
    found.matmul_add_by_rank = dict(sorted(matmul_add.items()))
    found.layer_norm, found.rms_norm, found.gelu = dict(layer_norm), dict(rms_norm), dict(gelu)
    return found


# --- detectors (shared with the fingerprint) -------------------------------------------------


def layer_norm_form(sub: Operation) -> str | None:
    """``Sub(x, ReduceMean(x))`` — the centring step of a decomposed LayerNorm — and its axes form."""
    mean = producer(sub.operands[1])
    if mean is None or op_type(mean) != "ReduceMean" or mean.operands[0] != sub.operands[0]:
        return None
    return "decomposed-axes-input" if isinstance(mean, ReduceMeanOp) else "decomposed-attr-axes"


def is_rms_mean(mean: Operation) -> bool:
    """``ReduceMean(x²)`` (``Pow(x, 2)`` or ``Mul(x, x)``) of an ``x`` that is not centred (not LayerNorm's variance)."""
    square = producer(mean.operands[0])
    if square is None:
        return False
    kind = op_type(square)
    squared = (kind == "Pow" and close_to(square.operands[1], 2.0)) or (kind == "Mul" and square.operands[0] == square.operands[1])
    if not squared:
        return False
    centring = producer(square.operands[0])
    return not (centring is not None and op_type(centring) == "Sub" and layer_norm_form(centring) is not None)


def gelu_form(op: Operation) -> str | None:
    """``erf`` for ``Erf(x/√2)``, ``tanh`` for a Tanh fed by ``x³``, ``sigmoid`` for ``x·σ(1.702·x)``."""
    kind = op_type(op)
    if kind == "Erf":
        scaled = producer(op.operands[0])
        if scaled is None:
            return None
        if op_type(scaled) == "Div" and close_to(scaled.operands[1], SQRT2):
            return "erf"
        if op_type(scaled) == "Mul" and any(close_to(v, 1 / SQRT2) for v in scaled.operands):
            return "erf"
        return None
    if kind == "Tanh":
        cube = _upstream(op.operands[0], lambda o: op_type(o) == "Pow" and close_to(o.operands[1], 3.0), depth=4)
        return "tanh" if cube else None
    if kind == "Mul":
        for x, gate in (op.operands, reversed(op.operands)):
            sigmoid = producer(gate)
            if sigmoid is None or op_type(sigmoid) != "Sigmoid":
                continue
            scaled = producer(sigmoid.operands[0])
            if scaled is not None and op_type(scaled) == "Mul" and x in scaled.operands:
                others = [v for v in scaled.operands if v != x]
                if len(others) == 1 and close_to(others[0], 1.702):
                    return "sigmoid"
    return None


def is_silu(mul: Operation) -> bool:
    """``x · Sigmoid(x)`` (SiLU / swish; the gate of SwiGLU)."""
    a, b = mul.operands[0], mul.operands[1]
    for x, gate in ((a, b), (b, a)):
        sigmoid = producer(gate)
        if sigmoid is not None and op_type(sigmoid) == "Sigmoid" and sigmoid.operands[0] == x:
            return True
    return False


def is_rotate_half(concat: Operation) -> bool:
    """RoPE's rotate-half: ``Concat(Neg(Slice(x)), Slice(x))`` (either order) of one ``x``."""
    negated: set[SSAValue] = set()
    sliced: set[SSAValue] = set()
    for value in concat.operands:
        op = producer(value)
        if op is None:
            continue
        if op_type(op) == "Neg" and (inner := producer(op.operands[0])) is not None and op_type(inner) == "Slice":
            negated.add(inner.operands[0])
        elif op_type(op) == "Slice":
            sliced.add(op.operands[0])
    return bool(negated & sliced)


def is_attention_softmax(softmax: Operation) -> bool:
    """A Softmax fed by a MatMul (through scale/mask ops) and feeding a MatMul (through dropout/casts)."""
    fed = _upstream(softmax.operands[0], lambda o: op_type(o) in MATMUL_OPS, depth=_SEARCH_DEPTH, through=_SCORE_PATH)
    return fed and _downstream(softmax.results[0], depth=3)


def _upstream(value: SSAValue, wanted: Callable[[Operation], bool], depth: int, through: Iterable[str] | None = None) -> bool:
    """Whether a node satisfying ``wanted`` computes ``value`` within ``depth`` steps (only ``through`` ops between)."""
    frontier, seen = [value], set()
    for _ in range(depth):
        next_frontier = []
        for current in frontier:
            op = producer(current)
            if op is None or op in seen:
                continue
            seen.add(op)
            if wanted(op):
                return True
            if through is not None and op_type(op) not in through:
                continue
            operands = op.operands[1:] if op_type(op) == "Where" else op.operands  # not the mask condition
            next_frontier += [v for v in operands if not is_constant(v) and not is_absent(v)]
        frontier = next_frontier
    return False


def _downstream(value: SSAValue, depth: int) -> bool:
    frontier = [value]
    for _ in range(depth):
        next_frontier = []
        for current in frontier:
            for user in users(current):
                kind = op_type(user)
                if kind in MATMUL_OPS:
                    return True
                if kind in _PROBS_PATH:
                    next_frontier += list(user.results[:1])
        frontier = next_frontier
    return False


def foldable_nodes(nodes: list[Operation]) -> set[Operation]:
    """Nodes (not Constants) whose inputs are all constants or foldable nodes: what folding can evaluate.

    ``nodes`` is in program order, so one forward sweep sees every producer first.
    """
    foldable: set[Operation] = set()
    for op in nodes:
        kind = op_type(op)
        if kind == "Constant" or kind in _RANDOM or op.regions or not op.operands or "." in kind:
            continue
        if all(is_absent(v) or is_constant(v) or producer(v) in foldable for v in op.operands):
            foldable.add(op)
    return foldable


def _bias_add_rank(matmul: Operation, foldable: set[Operation]) -> str | None:
    """The product's rank (``?`` unknown) when the MatMul's only user is an Add of a constant (or of a
    foldable value: TorchScript exports pass biases through Identity nodes)."""
    uses = users(matmul.results[0])
    if len(uses) != 1 or op_type(uses[0]) != "Add":
        return None
    add = uses[0]
    other = add.operands[1] if add.operands[0] == matmul.results[0] else add.operands[0]
    if not (is_constant(other) or producer(other) in foldable):
        return None
    for value in (matmul.results[0], matmul.operands[0]):
        if isinstance(value.type, TensorType) and value.type.rank is not None:
            return str(value.type.rank)
    return "?"


def _qkv_triples(nodes: list[Operation], foldable: set[Operation]) -> int:
    readers: Counter[SSAValue] = Counter()
    for op in nodes:
        if op_type(op) in ("MatMul", "Gemm") and not is_constant(op.operands[0]):
            weight = op.operands[1]
            if is_constant(weight) or producer(weight) in foldable:
                readers[op.operands[0]] += 1
    return sum(1 for count in readers.values() if count >= 3)


def _same_known_dims(a: SSAValue, b: SSAValue) -> bool:
    dims_a, dims_b = dims_of(a), dims_of(b)
    return dims_a is not None and dims_a == dims_b and None not in dims_a


def _is_identity_expand(expand: Operation) -> bool:
    """Expand that returns its input's shape: output dims = input dims, or a shape of 1s no longer than the rank."""
    if _same_known_dims(expand.operands[0], expand.results[0]):
        return True
    shape = int_constant(expand.operands[1])
    dims = dims_of(expand.operands[0])
    return shape is not None and dims is not None and all(s == 1 for s in shape) and len(shape) <= len(dims)
