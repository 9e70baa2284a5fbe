"""Reductions: Reduce* (axes as attribute or input), ArgMax/ArgMin, TopK.

ONNX semantics relied on: a reduction removes the listed axes (kept as 1
with ``keepdims``, the default); no axes means all axes, unless
``noop_with_empty_axes`` (input form), which returns the input unchanged.
Before opset 18 (13 for ReduceSum) ``axes`` is an attribute. ArgMax/ArgMin
reduce one ``axis`` to int64 indices; TopK replaces ``axis``'s size with K.
"""

from __future__ import annotations

from onnxforge.analysis.shapes import dims
from onnxforge.analysis.shapes.context import Ctx, GiveUp, normalize_axis
from onnxforge.analysis.shapes.dims import Dim
from onnxforge.analysis.shapes.registry import rule
from onnxforge.analysis.shapes.rules.common import INT64

_REDUCE = ["Reduce" + k for k in ["L1", "L2", "LogSum", "LogSumExp", "Max", "Mean", "Min", "Prod", "Sum", "SumSquare"]]


def reduced(shape: tuple[Dim, ...], axes: list[int] | None, keepdims: bool) -> list[Dim]:
    rank = len(shape)
    chosen = set(range(rank)) if not axes else {normalize_axis(a, rank) for a in axes}
    out: list[Dim] = []
    for i, d in enumerate(shape):
        if i in chosen:
            if keepdims:
                out.append(1)
        else:
            out.append(d)
    return out


@rule(*_REDUCE)
def reduce(ctx: Ctx) -> None:
    """Remove (or keep as 1) the reduced axes; the element type is unchanged."""
    ctx.set(0, elem=ctx.elem(0))
    keepdims = bool(ctx.int_attr("keepdims", 1))
    if "axes" in ctx.op.properties or ctx.n_in < 2:
        axes = ctx.ints_attr("axes")
    elif ctx.has(1):
        axes = ctx.int_list(1)
        if axes is None:
            rank = ctx.rank(0)
            if keepdims and rank is not None:
                ctx.set(0, shape=[None] * rank)  # whatever the axes, the rank stays
            return
        if not axes and ctx.int_attr("noop_with_empty_axes", 0):
            ctx.set(0, shape=ctx.shape(0))
            return
    else:
        axes = None
        if ctx.int_attr("noop_with_empty_axes", 0):
            ctx.set(0, shape=ctx.shape(0))
            return
    ctx.set(0, shape=reduced(ctx.need_shape(0), axes, keepdims))


@rule("ArgMax", "ArgMin")
def arg_reduce(ctx: Ctx) -> None:
    """Reduce ``axis`` (default 0) to int64 indices, kept as 1 with ``keepdims``."""
    ctx.set(0, elem=INT64)
    ctx.set(0, shape=reduced(ctx.need_shape(0), [ctx.int_attr("axis", 0)], bool(ctx.int_attr("keepdims", 1))))


@rule("TopK")
def top_k(ctx: Ctx) -> None:
    """Values and int64 indices: the input's shape with ``axis`` (default -1) resized to K."""
    ctx.set(0, elem=ctx.elem(0))
    ctx.set(1, elem=INT64)
    shape = list(ctx.need_shape(0))
    axis = normalize_axis(ctx.int_attr("axis", -1), len(shape))
    if ctx.since < 10:
        k: Dim = ctx.int_attr("k")
    else:
        value = ctx.value(1)
        k = value[0] if value is not None and len(value) == 1 else None
    if k is not None and not dims.is_positive(k) and k != 0:
        raise GiveUp
    shape[axis] = k
    ctx.set(0, shape=shape)
    ctx.set(1, shape=shape)
