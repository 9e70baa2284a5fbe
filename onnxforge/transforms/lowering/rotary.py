"""Lowering ``nn.rotary_embedding``: ``RotaryEmbedding`` (opset ≥ 23) or ``com.microsoft::RotaryEmbedding``.

Without position ids, ``cos``/``sin`` are ``[B', S, rotary_dim/2]`` with ``B'`` the input's batch
or 1 (shared by every sequence, as HF computes them from ``arange(S)``).

* standard: ``RotaryEmbedding(x, cos, sin)``. onnxruntime requires the caches' batch to *equal*
  x's (it does not broadcast), so a cache whose batch is not provably x's is first expanded
  with ``Expand(cache, [B, 1, 1])``, ``B`` read from ``Shape(x)``.
* ort: ``com.microsoft::RotaryEmbedding(x, position_ids, cos_cache, sin_cache)`` reads row
  ``position_ids[0] + s`` of 2-D caches when ``position_ids`` has one element. A shared cache
  (``B' = 1``, static) is exactly that with the cache reshaped to ``[S, rotary_dim/2]`` and
  ``position_ids = [0]``; a per-batch cache (position ids that differ by sequence: left padding,
  a KV cache's offsets) has no such form, and takes the standard op where the opset has it.
* ort, where neither op can (a per-batch cache below opset 23 — every Optimum Llama-family export at its
  opset 14–18 — or a double input): the rotation in basic ops on the last axis, ``x1·c − x2·s`` and
  ``x2·c + x1·s`` with the caches unsqueezed over the heads (``_decomposed``). HF computes
  ``x·cos + rotate_half(x)·sin`` with ``cos = cat(c, c)`` and ``rotate_half(x) = cat(−x2, x1)``: the same
  products and sums (``a + (−b)·s = a − b·s`` in IEEE arithmetic), so bit-exact; it keeps the rotation
  fused for the attention fusion, whose onnxruntime ops run at any opset.
* portable: unsupported (the fusion's input already is the decomposition).
* tensorrt: unsupported (``tensorrt_support.LEFT_TO_BUILDER``: the decomposition is what TensorRT
  before 10.15 parses, and its builder runs it).

Both ops take the 4-D ``[B, H, S, D]`` and the 3-D ``[B, S, H·D]`` (with ``num_heads``) layouts;
``rotary_embedding_dim`` is written only for a partial rotation (0 means the whole head).
"""

from __future__ import annotations

import numpy as np
from onnx import TensorProto
from xdsl.ir import Operation, SSAValue
from xdsl.pattern_rewriter import PatternRewriter

from onnxforge.dialects.nn import RotaryEmbeddingOp
from onnxforge.dialects.onnx.queries import dims_of, elem_of, is_absent
from onnxforge.ir.types import tensor_type
from onnxforge.ir.values import set_type
from onnxforge.passmanager import fail
from onnxforge.transforms.lowering import tensorrt_support
from onnxforge.transforms.lowering.base import (
    Lowering,
    LoweringTarget,
    constant,
    contrib_op,
    insert_lowered,
    onnx_op,
)

ROTARY_EMBEDDING_OPSET = 23
STANDARD_ELEMS = frozenset({TensorProto.FLOAT, TensorProto.FLOAT16, TensorProto.BFLOAT16})
"""Element types of the ``RotaryEmbedding`` schema (no double)."""
ORT_ELEMS = frozenset({TensorProto.FLOAT, TensorProto.FLOAT16})
"""Element types onnxruntime's CPU ``com.microsoft::RotaryEmbedding`` kernel is registered for."""
DECOMPOSED_ELEMS = frozenset({TensorProto.FLOAT, TensorProto.DOUBLE})
"""Element types the basic-op rotation is written for (onnxruntime's CPU has Mul/Sub/Slice/Concat kernels for
both; bfloat16 lacks some)."""


def _head_size(op: RotaryEmbeddingOp) -> int | None:
    dims = dims_of(op.input)
    if dims is None or not isinstance(dims[-1], int):
        return None
    if len(dims) == 4:
        return dims[3]
    heads = op.num_heads.value.data
    return dims[2] // heads if len(dims) == 3 and heads > 0 and dims[2] % heads == 0 else None


def _rotary_attr(op: RotaryEmbeddingOp) -> int:
    """``rotary_embedding_dim`` to write: 0 for a whole-head rotation."""
    rotary = op.rotary_dim.value.data
    return 0 if rotary == _head_size(op) else rotary


def _contrib_refusal(op: RotaryEmbeddingOp) -> str | None:
    """Why ``com.microsoft::RotaryEmbedding`` cannot compute ``op`` (None: it can)."""
    if elem_of(op.input) not in ORT_ELEMS:
        return "com.microsoft::RotaryEmbedding runs float and float16 only"
    if _rotary_attr(op) and op.num_heads.value.data <= 0:
        return "com.microsoft::RotaryEmbedding needs num_heads for a partial rotation"
    if is_absent(op.position_ids):
        cache = dims_of(op.cos)
        if cache is None or len(cache) != 3 or cache[0] != 1 or not isinstance(cache[2], int):
            return ("cos/sin are not one [1, S, rotary_dim/2] cache shared by the batch "
                    "(com.microsoft::RotaryEmbedding reads rows of a 2-D cache)")
    return None


class RotaryEmbeddingLowering(Lowering):
    op = RotaryEmbeddingOp

    def check(self, op: RotaryEmbeddingOp, target: LoweringTarget) -> None:
        if target.kind == "portable":
            fail("portable keeps the rotary embedding decomposed (there is no standard op below opset 23)")
        if target.kind == "tensorrt":
            fail(f"tensorrt keeps the rotary embedding decomposed: {tensorrt_support.LEFT_TO_BUILDER['RotaryEmbedding']}")
        dims = dims_of(op.input)
        if dims is None or len(dims) not in (3, 4):
            fail("the input is neither [B, H, S, D] nor [B, S, H·D]")
        if len(dims) == 3 and op.num_heads.value.data <= 0:
            fail("a 3-D input needs num_heads")
        if target.kind == "standard":
            if target.opset < ROTARY_EMBEDDING_OPSET:
                fail(f"RotaryEmbedding needs opset ≥ {ROTARY_EMBEDDING_OPSET} ({target.describe()})")
            if elem_of(op.input) not in STANDARD_ELEMS:
                fail("RotaryEmbedding takes float, float16 and bfloat16 only")
            return
        if _head_size(op) is None:
            fail("the head size is not static")
        # ort: the contrib op, the standard one at opset ≥ 23, else the decomposition (module docstring)
        reason = _contrib_refusal(op)
        standard = target.opset >= ROTARY_EMBEDDING_OPSET and elem_of(op.input) in STANDARD_ELEMS
        if reason is not None and not standard and elem_of(op.input) not in DECOMPOSED_ELEMS:
            fail(f"{reason}; the standard RotaryEmbedding needs opset ≥ {ROTARY_EMBEDDING_OPSET}, and basic ops "
                 "are written for float and double only")

    def lower(self, op: RotaryEmbeddingOp, target: LoweringTarget, rewriter: PatternRewriter) -> None:
        if target.kind == "ort" and _contrib_refusal(op) is None:
            ops, result = self._contrib(op, target)
        elif target.kind == "standard" or (target.opset >= ROTARY_EMBEDDING_OPSET and elem_of(op.input) in STANDARD_ELEMS):
            ops, result = self._standard(op, target)
        else:
            ops, result = _decomposed(op, target)
        insert_lowered(rewriter, op, ops, [result])

    @staticmethod
    def _standard(op: RotaryEmbeddingOp, target: LoweringTarget) -> tuple[list[Operation], SSAValue]:
        ops: list[Operation] = []
        cos, sin = op.cos, op.sin
        x_dims, cache_dims = dims_of(op.input), dims_of(cos)
        same_batch = bool(x_dims and cache_dims and x_dims[0] is not None and cache_dims[0] == x_dims[0])
        if is_absent(op.position_ids) and not same_batch:
            batch = onnx_op("Shape", target, [op.input], [tensor_type(TensorProto.INT64, (1,))], start=0, end=1)
            ones = constant(target, np.array([1, 1], dtype=np.int64))
            shape_type = tensor_type(TensorProto.INT64, (3,))
            shape = onnx_op("Concat", target, [batch.results[0], ones.results[0]], [shape_type], axis=0)
            ops += [batch, ones, shape]
            expanded = []
            for cache in (cos, sin):
                dims = dims_of(cache)
                batch_dim = x_dims[0] if x_dims else None
                new_dims = (batch_dim, *dims[1:]) if dims and len(dims) == 3 else None
                new_type = tensor_type(elem_of(cache) or TensorProto.FLOAT, new_dims)
                expand = onnx_op("Expand", target, [cache, shape.results[0]], [new_type])
                ops.append(expand)
                expanded.append(expand.results[0])
            cos, sin = expanded
        attrs: dict[str, object] = {"interleaved": op.interleaved.value.data, "rotary_embedding_dim": _rotary_attr(op)}
        if x_dims is not None and len(x_dims) == 3:
            attrs["num_heads"] = op.num_heads.value.data
        rotary = onnx_op("RotaryEmbedding", target, [op.input, cos, sin, op.position_ids], [op.output.type], **attrs)
        return [*ops, rotary], rotary.results[0]

    @staticmethod
    def _contrib(op: RotaryEmbeddingOp, target: LoweringTarget) -> tuple[list[Operation], SSAValue]:
        ops: list[Operation] = []
        cos, sin, positions = op.cos, op.sin, op.position_ids
        if is_absent(positions):
            cache_dims = dims_of(cos) or (1, None, 0)  # check() proved [1, S, rotary_dim/2] with a static last dim
            shape = constant(target, np.array([-1, cache_dims[2]], dtype=np.int64))
            zero = constant(target, np.array([0], dtype=np.int64))
            ops += [shape, zero]
            flat = []
            for cache in (cos, sin):
                new_type = tensor_type(elem_of(cache) or TensorProto.FLOAT, (cache_dims[1], cache_dims[2]))
                reshape = onnx_op("Reshape", target, [cache, shape.results[0]], [new_type])
                ops.append(reshape)
                flat.append(reshape.results[0])
            cos, sin, positions = flat[0], flat[1], zero.results[0]
        rotary = contrib_op(
            "RotaryEmbedding", [op.input, positions, cos, sin], [op.output.type],
            interleaved=op.interleaved.value.data, num_heads=op.num_heads.value.data, rotary_embedding_dim=_rotary_attr(op),
        )
        return [*ops, rotary], rotary.results[0]


def _decomposed(op: RotaryEmbeddingOp, target: LoweringTarget) -> tuple[list[Operation], SSAValue]:
    """The rotation in basic ops (module docstring): heads on the last axis (a 3-D input viewed
    ``[B, S, H, D]``), caches unsqueezed over the head axis, halves (or even/odd pairs) rotated, the
    pass-through part appended."""
    ops: list[Operation] = []
    elem = elem_of(op.input) or TensorProto.FLOAT
    dims = dims_of(op.input) or ()
    size = _head_size(op) or 0  # check() proved it static
    rotary = op.rotary_dim.value.data or size
    half = rotary // 2

    def add(kind: str, operands: list[SSAValue], shape: tuple | None, **attrs: object) -> SSAValue:  # type: ignore[type-arg]
        ops.append(onnx_op(kind, target, operands, [tensor_type(elem, shape)], **attrs))
        return ops[-1].results[0]

    def ints(values: list[int]) -> SSAValue:
        ops.append(constant(target, np.array(values, dtype=np.int64)))
        return ops[-1].results[0]

    def unsqueeze(x: SSAValue, axis: int) -> SSAValue:
        if target.opset >= 13:
            return add("Unsqueeze", [x, ints([axis])], None)
        return add("Unsqueeze", [x], None, axes=[axis])

    def last(x: SSAValue, start: int, end: int, rank: int) -> SSAValue:
        """``x[..., start:end]``."""
        if target.opset >= 10:
            return add("Slice", [x, ints([start]), ints([end]), ints([rank - 1]), ints([1])], None)
        return add("Slice", [x], None, starts=[start], ends=[end], axes=[rank - 1])

    x, cos, sin = op.input, op.cos, op.sin
    if not is_absent(op.position_ids):  # caches [max_pos, rotary/2] read at the positions: [B, S, rotary/2]
        cos = add("Gather", [cos, op.position_ids], None, axis=0)
        sin = add("Gather", [sin, op.position_ids], None, axis=0)
    heads = op.num_heads.value.data
    if len(dims) == 3:  # [B, S, H·D] viewed [B, S, H, D]; the caches [B, S, r] broadcast over H at axis 2
        x = add("Reshape", [x, ints([0, 0, heads, size])], (dims[0], dims[1], heads, size))
        cos, sin = unsqueeze(cos, 2), unsqueeze(sin, 2)
    else:  # [B, H, S, D]: the caches over H at axis 1
        cos, sin = unsqueeze(cos, 1), unsqueeze(sin, 1)
    rank = 4
    turned = last(x, 0, rotary, rank) if rotary < size else x
    if op.interleaved.value.data:  # pairs (x[2i], x[2i+1]): a last axis of 2, the caches over it
        turned = add("Reshape", [turned, ints([0, 0, 0, half, 2])], None)
        cos, sin, rank = unsqueeze(cos, 4), unsqueeze(sin, 4), 5
        x1, x2 = last(turned, 0, 1, rank), last(turned, 1, 2, rank)
    else:
        x1, x2 = last(turned, 0, half, rank), last(turned, half, rotary, rank)
    first = add("Sub", [add("Mul", [x1, cos], None), add("Mul", [x2, sin], None)], None)
    second = add("Add", [add("Mul", [x2, cos], None), add("Mul", [x1, sin], None)], None)
    rotated = add("Concat", [first, second], None, axis=rank - 1)
    if rank == 5:
        rotated = add("Reshape", [rotated, ints([0, 0, 0, rotary])], None)
    if rotary < size:
        rotated = add("Concat", [rotated, last(x, rotary, size, 4)], None, axis=3)
    if len(dims) == 3:
        rotated = add("Reshape", [rotated, ints([0, 0, heads * size])], None)
    set_type(ops[-1].results[0], op.output.type)
    return ops, ops[-1].results[0]
