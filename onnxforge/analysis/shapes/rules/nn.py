"""Composite neural-network ops of recent opsets: Attention, RotaryEmbedding, the loss functions.

ONNX semantics relied on (Attention, opset 23): 4-D Q/K/V are
(batch, heads, seq, head_size); 3-D ones are (batch, seq, heads*head_size)
with ``q_num_heads``/``kv_num_heads`` given. Y has Q's layout with V's head
size; present key/value are past and current K/V concatenated along the
sequence axis, always 4-D; qk_matmul_output is (batch, q_heads, q_seq,
total_kv_seq). RotaryEmbedding keeps X's shape. SoftmaxCrossEntropyLoss and
NegativeLogLikelihoodLoss give the labels' shape with ``reduction="none"``,
else a scalar; SoftmaxCrossEntropyLoss's log_prob has the scores' shape.
"""

from __future__ import annotations

from onnxforge.analysis.shapes import dims
from onnxforge.analysis.shapes.context import Ctx, GiveUp
from onnxforge.analysis.shapes.dims import Dim
from onnxforge.analysis.shapes.registry import rule
from onnxforge.analysis.shapes.rules.common import same_as_input


def _heads_layout(shape: tuple[Dim, ...] | None, heads: int | None) -> tuple[Dim, Dim, Dim, Dim] | None:
    """(batch, heads, seq, head_size) of a 4-D or 3-D attention operand."""
    if shape is None:
        return None
    if len(shape) == 4:
        return shape  # type: ignore[return-value]
    if len(shape) == 3 and heads:
        return (shape[0], heads, shape[1], dims.exact_div(shape[2], heads))
    raise GiveUp


@rule("Attention")
def attention(ctx: Ctx) -> None:
    """Y in Q's layout with V's head size; presents (batch, kv_heads, past+kv_seq, head_size)."""
    for i in range(len(ctx.op.results)):
        ctx.set(i, elem=ctx.elem(0))
    q_shape = ctx.shape(0)
    q = _heads_layout(q_shape, ctx.int_attr("q_num_heads"))
    k = _heads_layout(ctx.shape(1), ctx.int_attr("kv_num_heads"))
    v = _heads_layout(ctx.shape(2), ctx.int_attr("kv_num_heads"))
    if q is None or q_shape is None:
        return
    v_head = v[3] if v is not None else None
    if len(q_shape) == 4:
        ctx.set(0, shape=[q[0], q[1], q[2], v_head])
    else:
        ctx.set(0, shape=[q_shape[0], q_shape[1], dims.mul(q[1], v_head)])
    total: Dim = None
    for index, current, out in ((4, k, 1), (5, v, 2)):
        if current is None:
            continue
        if ctx.has(index):
            past = ctx.shape(index)
            seq = dims.add(past[2], current[2]) if past is not None and len(past) == 4 else None
        else:
            seq = current[2]
        ctx.set(out, shape=[current[0], current[1], seq, current[3]])
        if out == 1:
            total = seq
    ctx.set(3, shape=[q[0], q[1], q[2], total])


@rule("RotaryEmbedding")
def rotary(ctx: Ctx) -> None:
    """The output has X's shape and type."""
    same_as_input(ctx)


@rule("SoftmaxCrossEntropyLoss", "NegativeLogLikelihoodLoss")
def loss(ctx: Ctx) -> None:
    """Labels' shape for reduction "none", else a scalar; log_prob has the scores' shape."""
    reduction = ctx.str_attr("reduction", "mean")
    ctx.set(0, elem=ctx.elem(0), shape=ctx.shape(1) if reduction == "none" else ())
    ctx.set(1, elem=ctx.elem(0), shape=ctx.shape(0))
