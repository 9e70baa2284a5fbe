"""``nn-fuse-qkv``: projections of one input with constant weights become one projection.

Matched from the first of the projections reading the same ``x`` (``MatMul(x, Wᵢ)``
with a constant ``[K, Nᵢ]`` weight and the last-dim bias Add that follows it, or
``nn.linear(x, Wᵢ, bᵢ)``)::

    yᵢ = x @ Wᵢ (+ bᵢ)   for i = 1…n   →   y = x @ [W₁ | … | Wₙ] (+ [b₁ | … | bₙ]);  y₁…yₙ = Split(y, [N₁…Nₙ])

Identity: column block ``i`` of ``x @ [W₁ | … | Wₙ]`` is ``x @ Wᵢ`` (each output
element is the same dot product over K), and adding the concatenated bias adds
``bᵢ`` to that block; a projection without bias contributes zeros, which
change nothing. The weights are concatenated once in their element type
(no arithmetic), so results differ from the separate MatMuls only by the
kernel's blocking (accuracy class 1).

Special case — packed attention: when three of the projections are exactly
the ``query``, ``key`` and ``value`` operands of one ``nn.attention`` (and only
read there), that attention is rebuilt in its packed form instead of adding a
Split: the fused projection ``[Q | K | V]`` (``(q + 2·kv)·D`` wide, ``D`` from
the query width and ``q_num_heads``, checked against the key/value widths and
``kv_num_heads``) as ``query``, ``key``/``value`` absent, and the mask,
``q_num_heads``, ``kv_num_heads``, ``scale`` and ``is_causal`` of the original.
Under ``target=ort`` (equal q/kv heads) that lowers to one
``com.microsoft::Attention`` computing projection and attention; at opset 23
to MatMul + Split + ``Attention``. A target that cannot express the packed op
gets the Split form, the attention reading its three parts.

When is one MatMul + Split faster than n MatMuls? onnxruntime 1.31, CPU
execution provider, graph optimizations on, this machine's 2-core CPU. Other
jobs shared the cores during most measurements and made 2-thread wall-clock
medians swing by ±30 %, so the main figures are CPU time per run (process
time, one intra-op thread, median of interleaved rounds), fused ÷ separate,
for an input of M rows:

    projections (K → widths)              M = 1    8/16    32    128    512
    BERT q, k, v   768 → 3 × 768 + bias       0.95   0.98    0.96  1.03   1.08
    Llama q, k, v  2048 → 2048 + 2 × 256      0.98   1.07           1.02
    two of         768 → 2 × 768 + bias       1.02           1.03  1.00
    Llama gate/up  2048 → 2 × 5632            0.89   1.18           1.01

    BERT-base end to end (12 layers), S = 8 / 128 / 384 tokens, CPU time:
      --target=ort, packed → com.microsoft::Attention    0.89 / 1.01 / 1.00
      --target=standard at opset 23 (MatMul + Split)      0.97 / 1.00
    the same at S = 8, 2 threads, wall clock on a quiet machine: 1.00 (ort), 0.97 (standard)

The GEMM work is the same and MLAS runs each projection near its peak, so
what fusing saves is per-op overhead: with three projections it shows at
short sequences (up to −11 % end to end at 8 tokens) and is within noise
(±8 %) from 128 tokens on; with two it is nothing measurable. Rule: fuse
three or more projections of one input (q/k/v); two (a gate/up or a
cross-attention k/v pair) are a near miss.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
from xdsl.ir import Block, Operation, SSAValue

from onnxforge.dialects.nn import AttentionOp, LinearOp
from onnxforge.dialects.onnx.generated import AddOp, MatMulOp
from onnxforge.dialects.onnx.queries import constant_of, dims_of, elem_of, in_graph, is_absent
from onnxforge.ir.provenance import name_or_kind
from onnxforge.ir.types import tensor_type
from onnxforge.passmanager import Mismatch
from onnxforge.transforms.fusion import Build, Fusion, FusionPass, FusionPattern, Value, fail
from onnxforge.transforms.matching import check_bias, sole_user, weight_shape

MIN_PROJECTIONS = 3
"""Fewest projections of one input that the Split form fuses (see the rule in the module docstring)."""


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
        """``N``, the width of the weight's output dim (a constant 2-D weight: ``projection_of`` checked)."""
        return weight_shape(self.weight)[1]  # type: ignore[index]


def _bias_add(matmul: Operation) -> tuple[Operation, SSAValue] | None:
    """The ``Add(matmul, b)`` that is the MatMul's only reader, with ``b``, when ``b`` is a last-dim constant bias."""
    add = sole_user(matmul.results[0])
    if not isinstance(add, AddOp):
        return None
    a, b = add.operands
    bias = b if a == matmul.results[0] else a
    if bias == matmul.results[0] or constant_of(bias) is None:
        return None
    try:
        check_bias(bias, weight_shape(matmul.operands[1])[1], matmul.operands[0])  # type: ignore[index]
    except Mismatch:
        return None
    return add, bias


def projection_of(op: Operation) -> Projection | None:
    """The projection ``op`` computes: ``nn.linear`` with a constant weight, or ``MatMul(x, W)`` with a
    constant 2-D ``W`` and the bias Add that follows it when it is a last-dim bias."""
    if isinstance(op, LinearOp):
        bias = None if is_absent(op.bias) else op.bias
        if weight_shape(op.weight) is None or (bias is not None and constant_of(bias) is None):
            return None
        return Projection(op.input, op.weight, bias, op.output, [op])
    if not isinstance(op, MatMulOp) or weight_shape(op.operands[1]) is None:
        return None
    x = op.operands[0]
    if elem_of(x) != elem_of(op.operands[1]):
        return None
    if (found := _bias_add(op)) is not None:
        add, bias = found
        return Projection(x, op.operands[1], bias, add.results[0], [op, add])
    return Projection(x, op.operands[1], None, op.results[0], [op])


def _projections(first: Projection, block: Block) -> list[Projection]:
    """Every projection reading ``first.x`` as its input in ``block``, weights of one element type, in block order."""
    found: dict[Operation, Projection] = {}
    for use in first.x.uses:
        op = use.operation
        if use.index != 0 or op.parent is not block or op in found:
            continue
        projection = projection_of(op)
        if projection is not None and elem_of(projection.weight) == elem_of(first.weight):
            found[op] = projection
    order = functools.cmp_to_key(lambda a, b: -1 if a.ops[0].is_before_in_block(b.ops[0]) else 1)
    return sorted(found.values(), key=order)


def _attention_operands(projections: list[Projection]) -> tuple[AttentionOp, list[Projection]] | None:
    """The ``nn.attention`` whose query, key and value are three of the projections (each read only there)."""
    by_output = {p.output: p for p in projections}
    for projection in projections:
        attention = sole_user(projection.output)
        if not isinstance(attention, AttentionOp) or attention.query != projection.output:
            continue
        if attention.past:  # the packed form has no cache: the Split form keeps the op as it is
            continue
        parts = [by_output.get(attention.key), by_output.get(attention.value)]
        if all(p is not None and sole_user(p.output) is attention for p in parts) and len({attention.query, attention.key, attention.value}) == 3:
            return attention, [projection, *parts]  # type: ignore[list-item]
    return None


def _check_packed(attention: AttentionOp, widths: list[int]) -> None:
    """Fail unless q/k/v of these widths are ``q_num_heads``/``kv_num_heads`` heads of one size."""
    q_heads, kv_heads = attention.q_num_heads.value.data, attention.kv_num_heads.value.data
    q, k, v = widths
    if q_heads <= 0 or kv_heads <= 0 or q % q_heads:
        fail(f"query width {q} is not a multiple of q_num_heads {q_heads}", attention)
    head = q // q_heads
    if k != kv_heads * head or v != kv_heads * head:
        fail(f"key/value widths {k}/{v} are not kv_num_heads {kv_heads} × head size {head}", attention)


def _check_compatible(projections: list[Projection], k: object, elem: int) -> None:
    """Fail unless the weights can be concatenated: one inner dim ``K`` (x's last dim where known) and
    one element type (x's, biases' too). An invalid model (a ``[6, N]`` weight on a ``[..., 4]`` input)
    or mixed precision is declined here, not a crash in ``np.concatenate``."""
    inner = sorted({weight_shape(p.weight)[0] for p in projections})  # type: ignore[index]
    if len(inner) != 1 or (isinstance(k, int) and k != inner[0]):
        fail(f"the weights' inner dims {inner} do not all match the input's last dim {k}")
    elems = {elem_of(p.weight) for p in projections} | {elem_of(p.bias) for p in projections if p.bias is not None}
    if elems != {elem}:
        fail("the weights and biases are not all of the input's element type")


class FuseQKV(FusionPattern):
    """n projections of one x → one projection with concatenated weights (+ Split, or a packed nn.attention)."""

    def match(self, op: MatMulOp | LinearOp, fusion: Fusion) -> None:
        first = projection_of(op)
        block = op.parent
        if first is None or not isinstance(block, Block) or not in_graph(op):
            return
        projections = _projections(first, block)
        if len(projections) < 2 or projections[0].ops[0] is not op:
            return  # alone, or handled from the group's first projection
        dims = dims_of(first.x)
        if dims is None or len(dims) < 2 or elem_of(first.x) is None:
            fail("the shared input's rank is unknown or 1 (nn.linear needs rank ≥ 2)")
        if len(projections) < MIN_PROJECTIONS:
            fail(f"{len(projections)} projections of one input: one MatMul + Split is "
                 f"not faster below {MIN_PROJECTIONS} (see the pass docstring)")
        _check_compatible(projections, dims[-1], elem_of(first.x))  # type: ignore[arg-type]
        if (found := _attention_operands(projections)) is not None:
            try:
                _pack(*found, fusion)
                return
            except Mismatch as declined:  # the target cannot express the packed form: the Split form instead
                fusion.near_miss(declined, self)
        _split(projections, fusion)


def _pack(attention: AttentionOp, parts: list[Projection], fusion: Fusion) -> None:
    """Rebuild ``attention`` with the fused projection as its packed query (or fail, with nothing built)."""
    _check_packed(attention, [p.width for p in parts])
    linear = _fused_projection(parts, fusion)
    packed = Build(AttentionOp, [linear.output, fusion.absent, fusion.absent, attention.mask], [attention.output.type],
                   dict(attention.properties))
    try:
        fusion.check(packed)
    except Mismatch as reason:
        fail(str(reason), attention)
    replaced = [attention, *(op for p in parts for op in p.ops)]
    fusion.replace(attention, [linear, packed], replaced, {attention.output: packed.output})


def _split(parts: list[Projection], fusion: Fusion) -> None:
    """One nn.linear over the concatenated weights, then Split by the projections' widths."""
    anchor = parts[0].ops[0]
    linear = _fused_projection(parts, fusion)
    rank = len(dims_of(parts[0].x) or ())
    split = fusion.split(linear.output, rank - 1, [p.width for p in parts], [p.output.type for p in parts],
                         name_or_kind(anchor))
    replaced = [op for p in parts for op in p.ops]
    fusion.replace(anchor, [linear, split], replaced, {p.output: r for p, r in zip(parts, split.results, strict=True)})


def _fused_projection(parts: list[Projection], fusion: Fusion) -> Build:
    """The fused ``nn.linear`` over the concatenated weights (and biases; zeros for a projection without one)."""
    hint = name_or_kind(parts[0].ops[0])
    weights = [constant_of(p.weight).numpy() for p in parts]  # type: ignore[union-attr]
    weight = fusion.initializer(np.concatenate(weights, axis=1), f"{hint}_qkv_weight")
    bias: Value = fusion.absent
    if any(p.bias is not None for p in parts):
        dtype = weights[0].dtype
        biases = [np.zeros(p.width, dtype) if p.bias is None else constant_of(p.bias).numpy().reshape(-1)  # type: ignore[union-attr]
                  for p in parts]
        bias = fusion.initializer(np.concatenate(biases).astype(dtype), f"{hint}_qkv_bias")
    dims, elem = dims_of(parts[0].x), elem_of(parts[0].x)
    width = sum(p.width for p in parts)
    result = tensor_type(elem, (*dims[:-1], width))  # type: ignore[arg-type,misc]
    return Build(LinearOp, [parts[0].x, weight, bias], [result], name=hint)


@dataclass(frozen=True)
class FuseQKVPass(FusionPass):
    name = "nn-fuse-qkv"
    summary = "projections of one input (MatMul(+Add) / nn.linear, constant weights) → one projection + Split, or a packed nn.attention"

    def patterns(self) -> list[FusionPattern]:
        return [FuseQKV()]
