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
Under ``--target=ort`` (equal q/kv heads) that lowers to one
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
from xdsl.dialects.builtin import DenseArrayBase, IntegerAttr, ModuleOp, NameLoc, NoneAttr, StringAttr, i64
from xdsl.ir import Attribute, Block, Operation, SSAValue
from xdsl.pattern_rewriter import PatternRewriter
from xdsl.rewriter import InsertPoint

from onnxforge.dialects.nn import AttentionOp, LinearOp
from onnxforge.dialects.onnx.generated import MatMulOp
from onnxforge.dialects.onnx.structure import InitializerOp, NoValueOp
from onnxforge.ir.builders import ConstantBuilder, standard_op
from onnxforge.ir.types import tensor_type
from onnxforge.passmanager import Accuracy, ForgePass, OpPattern, RunState, register
from onnxforge.passmanager.rewriting import apply_patterns, source_name
from onnxforge.transforms._common import constant_of, dims_of, elem_of
from onnxforge.transforms._fusion import (
    DETACHED_READER,
    detached_reader,
    drop_dead_constants,
    erase_unused,
    expand_sources,
    fuse,
    in_graph,
    model_opset,
    near_miss,
)
from onnxforge.transforms._matching import Projection, projection_of, sole_user

PASS_NAME = "nn-fuse-qkv"

MIN_PROJECTIONS = 3
"""Fewest projections of one input that the Split form fuses (see the rule in the module docstring)."""
SPLIT_INPUT_OPSET = 13
"""From this opset Split takes its sizes as an input instead of an attribute."""


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
        parts = [by_output.get(attention.key), by_output.get(attention.value)]
        if all(p is not None and sole_user(p.output) is attention for p in parts) and len({attention.query, attention.key, attention.value}) == 3:
            return attention, [projection, *parts]  # type: ignore[list-item]
    return None


def _packed_reason(attention: AttentionOp, widths: list[int]) -> str | None:
    """Why q/k/v of these widths are not ``q_num_heads``/``kv_num_heads`` heads of one size (None when they are)."""
    q_heads, kv_heads = attention.q_num_heads.value.data, attention.kv_num_heads.value.data  # type: ignore[attr-defined]
    q, k, v = widths
    if q_heads <= 0 or kv_heads <= 0 or q % q_heads:
        return f"query width {q} is not a multiple of q_num_heads {q_heads}"
    head = q // q_heads
    if k != kv_heads * head or v != kv_heads * head:
        return f"key/value widths {k}/{v} are not kv_num_heads {kv_heads} × head size {head}"
    return None


def _fused_type(x: SSAValue, width: int) -> Attribute:
    """The type of ``x @ W`` for a ``[K, width]`` weight (x's dims and element type are known)."""
    dims, elem = dims_of(x), elem_of(x)
    assert dims is not None and elem is not None
    return tensor_type(elem, (*dims[:-1], width))


class FuseQKV(OpPattern):
    """n projections of one x → one projection with concatenated weights (+ Split, or a packed nn.attention)."""

    roots = (MatMulOp, LinearOp)

    def __init__(self, builder: ConstantBuilder, min_projections: int) -> None:
        self.builder = builder
        self.min_projections = min_projections

    def match_and_rewrite(self, op: Operation, rewriter: PatternRewriter) -> None:
        first = projection_of(op)
        block = op.parent
        if first is None or not isinstance(block, Block) or not in_graph(op):
            return
        projections = _projections(first, block)
        if len(projections) < 2 or projections[0].ops[0] is not op:
            return  # alone, or handled from the group's first projection
        dims = dims_of(first.x)
        if dims is None or len(dims) < 2 or elem_of(first.x) is None:
            near_miss(self, PASS_NAME, op, "the shared input's rank is unknown or 1 (nn.linear needs rank ≥ 2)")
            return
        if detached_reader(p.output for p in projections):
            near_miss(self, PASS_NAME, op, DETACHED_READER)
            return
        if len(projections) < self.min_projections:
            near_miss(self, PASS_NAME, op, f"{len(projections)} projections of one input: one MatMul + Split is "
                      f"not faster below {self.min_projections} (see the pass docstring)")
            return
        found = _attention_operands(projections)
        if found is not None and self._pack(*found, rewriter):
            return
        self._split(projections, rewriter)

    def _pack(self, attention: AttentionOp, parts: list[Projection], rewriter: PatternRewriter) -> bool:
        """Rebuild ``attention`` with the fused projection as its packed query; False (IR untouched) if not."""
        if reason := _packed_reason(attention, [p.width for p in parts]):
            near_miss(self, PASS_NAME, attention, reason)
            return False
        linear, created = self._fused_projection(parts)
        absent = NoValueOp()
        packed = AttentionOp.create(
            operands=[linear.output, absent.result, absent.result, attention.mask],
            result_types=[attention.output.type],
            properties=dict(attention.properties),
        )
        replaced = [attention, *(op for p in parts for op in p.ops)]
        if not fuse(rewriter, self, PASS_NAME, attention, packed, replaced, [attention.output],
                    extra_ops=[*_detached(created), absent, linear]):
            _discard([packed, linear, absent, *created], self.builder)
            return False
        self._drop(parts, linear, rewriter)
        return True

    def _split(self, parts: list[Projection], rewriter: PatternRewriter) -> None:
        """One nn.linear over the concatenated weights, then Split by the projections' widths."""
        anchor = parts[0].ops[0]
        linear, created = self._fused_projection(parts)
        if not fuse(rewriter, self, PASS_NAME, anchor, linear, [], [], extra_ops=_detached(created)):
            _discard([linear, *created], self.builder)
            return
        widths = [p.width for p in parts]
        rank = len(dims_of(linear.input))  # type: ignore[arg-type]  # match_and_rewrite checked it is known
        opset = model_opset(anchor)
        outputs = [p.output for p in parts]
        operands = [linear.output]
        properties: dict[str, Attribute] = {"axis": IntegerAttr(rank - 1, i64)}
        if opset >= SPLIT_INPUT_OPSET:
            block = linear.parent
            assert isinstance(block, Block)
            operands.append(self.builder.initializer(block, np.array(widths, np.int64), f"{source_name(anchor)}_split"))
        else:
            properties["split"] = DenseArrayBase.from_list(i64, widths)
        split = standard_op("Split", opset, operands, [o.type for o in outputs], properties)
        split.location = NameLoc(StringAttr(f"{source_name(anchor)}/Split"), NoneAttr())
        rewriter.insert(split, InsertPoint.after(linear))
        for old, new in zip(outputs, split.results, strict=True):
            rewriter.replace_all_uses_with(old, new)
        self._drop(parts, linear, rewriter)

    def _fused_projection(self, parts: list[Projection]) -> tuple[LinearOp, list[Operation]]:
        """The fused ``nn.linear`` (not yet inserted) and the ops made for it to read.

        The concatenated weight and bias are new initializers, already at the top of the block;
        a missing bias is an ``onnx.novalue`` still to be inserted (``_detached``).
        """
        anchor = parts[0].ops[0]
        block = anchor.parent
        assert isinstance(block, Block)
        hint = source_name(anchor)
        weights = [constant_of(p.weight).numpy() for p in parts]  # type: ignore[union-attr]
        weight = self.builder.initializer(block, np.concatenate(weights, axis=1), f"{hint}_qkv_weight")
        new_ops: list[Operation] = [weight.owner]  # type: ignore[list-item]
        if any(p.bias is not None for p in parts):
            dtype = weights[0].dtype
            biases = [np.zeros(p.width, dtype) if p.bias is None else constant_of(p.bias).numpy().reshape(-1)  # type: ignore[union-attr]
                      for p in parts]
            bias = self.builder.initializer(block, np.concatenate(biases).astype(dtype), f"{hint}_qkv_bias")
            new_ops.append(bias.owner)  # type: ignore[arg-type]
        else:
            absent = NoValueOp()
            bias = absent.result
            new_ops.append(absent)
        width = sum(p.width for p in parts)
        linear = LinearOp.create(operands=[parts[0].x, weight, bias], result_types=[_fused_type(parts[0].x, width)])
        return linear, new_ops

    @staticmethod
    def _drop(parts: list[Projection], linear: LinearOp, rewriter: PatternRewriter) -> None:
        """Record the projections' names on the fused one and erase them (and weights nothing reads)."""
        old_ops = [op for p in parts for op in p.ops]
        expand_sources(linear, old_ops)
        linear.location = parts[0].ops[0].location
        erase_unused(rewriter, old_ops)
        drop_dead_constants(rewriter, [v for p in parts for v in (p.weight, p.bias) if v is not None])


def _detached(ops: list[Operation]) -> list[Operation]:
    return [op for op in ops if op.parent is None]


def _discard(ops: list[Operation], builder: ConstantBuilder) -> None:
    """Erase ops made for a declined fusion (users first), giving back the initializers' names."""
    for op in ops:
        if isinstance(op, InitializerOp):
            builder.release(op.tensor_name.data)
        if op.parent is not None:
            op.detach()
        op.erase()


@register
@dataclass(frozen=True)
class FuseQKVPass(ForgePass):
    name = PASS_NAME
    summary = "projections of one input (MatMul(+Add) / nn.linear, constant weights) → one projection + Split, or a packed nn.attention"
    accuracy = Accuracy.FLOAT_BOUNDED

    def run(self, module: ModuleOp, state: RunState) -> None:
        if apply_patterns(module, [FuseQKV(ConstantBuilder(module), MIN_PROJECTIONS)], state, self.name):
            state.changed = True
