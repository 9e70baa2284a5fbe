"""Ops that select or extend elements: Slice, Gather*, Tile, Pad, Scatter*, OneHot, NonZero.

Open slice ends: ONNX exporters write INT64_MAX (or INT32_MAX) for "to the
end"; an int bound of at least 2**31-1 is taken as at least any dim — the
one assumption here beyond the operator docs (no axis holds 2**31-1 or more
elements).
"""

from __future__ import annotations

import numpy as np

from onnxforge.analysis.shapes import dims
from onnxforge.analysis.shapes.context import Ctx, GiveUp, normalize_axis
from onnxforge.analysis.shapes.dims import Dim
from onnxforge.analysis.shapes.facts import CONST_LIMIT, INT_ELEMS
from onnxforge.analysis.shapes.registry import rule
from onnxforge.analysis.shapes.rules.common import INT64

BIG = 2**31 - 1


def _clamp(v: Dim, lo: Dim, hi: Dim) -> Dim:
    """min(max(v, lo), hi) (lo ≤ hi): decided where possible, else ``Min``/``Max`` when one side is."""
    if v is None or lo is None or hi is None:
        return None
    if dims.le(v, lo):
        return lo
    if dims.le(hi, v):
        return hi
    above, below = dims.le(lo, v), dims.le(v, hi)
    if above and below:
        return v
    if above:
        return dims.dim_min(v, hi)
    if below:
        return dims.dim_max(v, lo)
    return None


def _bound(v: Dim, d: Dim, lo: Dim, hi: Dim) -> Dim:
    """A start or end: negative counts from the end (+d), then clamped to [lo, hi]."""
    if v is None or d is None:
        return None
    if type(v) is int:
        if v >= BIG:
            return hi
        if v <= -BIG:
            return lo
        if v < 0:
            v = dims.add(v, d)
    else:
        negative = dims.lt(v, 0)
        if negative is None:
            return None
        if negative:
            v = dims.add(v, d)
    return _clamp(v, lo, hi)


_TO_THE_FRONT = frozenset({2**31 - 1, 2**63 - 1})
"""Ends that onnxruntime reads as "no end" (numpy's ``None``): with a negative step they run to index 0
inclusive, where the spec's clamping alone would stop at ``d - 1`` (an empty slice)."""


def slice_range(d: int, start: int, end: int, step: int) -> range:
    """The indices ``Slice`` selects from an axis of static size ``d``, as onnxruntime computes them.

    The spec's clamping, not Python's: negative start/end count from the end (+d); then a start is
    clamped to [0, d] (positive step) or [0, d-1] (negative step), an end to [0, d] or [-1, d-1]. So
    ``start=-7, end=-7, step=-1`` on d=5 selects index 0 (Python's slice selects nothing), and
    ``end=INT64_MIN`` with a negative step runs to index 0. Plus onnxruntime's reading of
    ``end=INT_MAX`` (int32 or int64) with a negative step as "to the front".
    """
    if step < 0 and end in _TO_THE_FRONT:
        end = -1
    else:
        end = end + d if end < 0 else end
        end = min(max(end, 0), d) if step > 0 else min(max(end, -1), d - 1)
    start = start + d if start < 0 else start
    start = min(max(start, 0), d) if step > 0 else min(max(start, 0), d - 1)
    return range(start, end, step)


def slice_pick(d: int, start: int, end: int, step: int) -> slice:
    """``slice_range`` as a numpy slice (a stop of -1 with a negative step is numpy's ``None``)."""
    picked = slice_range(d, start, end, step)
    if not picked:
        return slice(0, 0)
    return slice(picked.start, None if picked.stop < 0 else picked.stop, step)


def slice_len(d: Dim, start: Dim, end: Dim, step: Dim) -> Dim:
    """Elements that ``start:end:step`` selects from an axis of size d (Slice's clamping rules)."""
    if type(step) is not int or step == 0:
        return None
    if type(d) is int and type(start) is int and type(end) is int:
        return len(slice_range(d, start, end, step))
    if step > 0:
        s = _bound(start, d, 0, d)
        e = _bound(end, d, 0, d)
    else:
        s = _bound(start, d, 0, dims.sub(d, 1))
        e = -1 if end in _TO_THE_FRONT else _bound(end, d, -1, dims.sub(d, 1))
    if s is None or e is None:
        return None
    span = dims.sub(e, s) if step > 0 else dims.sub(s, e)
    if span is None or dims.le(span, 0):
        return 0 if span is not None else None
    if abs(step) == 1:
        return span
    if type(span) is int:
        return -(-span // abs(step))
    return dims.exact_div(dims.add(span, abs(step) - 1), abs(step))


@rule("Slice")
def slice_(ctx: Ctx) -> None:
    """Per listed axis (default: the first len(starts)), the length of ``starts:ends:steps``."""
    ctx.set(0, elem=ctx.elem(0))
    src = ctx.need_shape(0)
    if ctx.since < 10:
        starts: tuple[Dim, ...] | None = tuple(ctx.ints_attr("starts") or ())
        ends: tuple[Dim, ...] | None = tuple(ctx.ints_attr("ends") or ())
        axes = ctx.ints_attr("axes")
        steps: list[int] | None = None
    else:
        starts, ends = ctx.value(1), ctx.value(2)
        axes = ctx.int_list(3) if ctx.has(3) else None
        steps = ctx.int_list(4) if ctx.has(4) else None
        if (ctx.has(3) and axes is None) or (ctx.has(4) and steps is None):
            ctx.set(0, shape=[None] * len(src))
            return
    if starts is None or ends is None:
        ctx.set(0, shape=[None] * len(src))
        return
    n = len(starts)
    axes = list(range(n)) if axes is None else axes
    steps = [1] * n if steps is None else steps
    if len(ends) != n or len(axes) != n or len(steps) != n:
        raise GiveUp
    out = list(src)
    picks: list[slice | None] = [slice(None)] * len(src)
    for start, end, axis, step in zip(starts, ends, axes, steps):
        axis = normalize_axis(axis, len(src))
        if step == 0:
            raise GiveUp
        out[axis] = slice_len(src[axis], start, end, step)
        known = all(type(v) is int for v in (src[axis], start, end))
        picks[axis] = slice_pick(src[axis], start, end, step) if known else None  # type: ignore[arg-type]
    ctx.set(0, shape=out)
    value = ctx.value(0)
    if value is not None and len(src) == 1 and picks[0] is not None and ctx.elem(0) in INT_ELEMS:
        ctx.set(0, value=value[picks[0]])
    const = ctx.const(0)
    if const is not None and const.ndim == len(picks) and all(p is not None for p in picks):
        ctx.set(0, const=const[tuple(picks)])


@rule("Gather")
def gather(ctx: Ctx) -> None:
    """data.shape[:axis] + indices.shape + data.shape[axis+1:]; contents picked when known."""
    ctx.set(0, elem=ctx.elem(0))
    data, indices = ctx.need_shape(0), ctx.shape(1)
    if not data:
        raise GiveUp
    axis = normalize_axis(ctx.int_attr("axis", 0), len(data))
    if indices is None:
        return
    out = [*data[:axis], *indices, *data[axis + 1:]]
    ctx.set(0, shape=out)
    value, picks = ctx.value(0), ctx.value(1)
    if value is not None and picks is not None and len(data) == 1 and len(indices) <= 1:
        n = len(value)
        chosen: list[Dim] = []
        for p in picks:
            if type(p) is not int or not -n <= p < n:
                return
            chosen.append(value[p])
        ctx.set(0, value=chosen)
        return
    data_const, idx_const = ctx.const(0), ctx.const(1)
    if data_const is not None and idx_const is not None and idx_const.dtype.kind in "iu":
        size = int(np.prod(out)) if all(type(d) is int for d in out) else CONST_LIMIT + 1
        if size <= CONST_LIMIT:
            try:
                ctx.set(0, const=np.take(data_const, idx_const, axis=axis))
            except IndexError:
                pass


@rule("GatherElements")
def gather_elements(ctx: Ctx) -> None:
    """The result has the indices' shape."""
    ctx.set(0, elem=ctx.elem(0), shape=ctx.shape(1))


@rule("GatherND")
def gather_nd(ctx: Ctx) -> None:
    """indices.shape[:-1] + data.shape[batch_dims + indices.shape[-1]:]."""
    ctx.set(0, elem=ctx.elem(0))
    data, indices = ctx.need_shape(0), ctx.need_shape(1)
    b = ctx.int_attr("batch_dims", 0) or 0
    if not indices or type(indices[-1]) is not int or b + indices[-1] > len(data):
        raise GiveUp
    ctx.set(0, shape=[*indices[:-1], *data[b + indices[-1]:]])


@rule("Tile", since=6)
def tile(ctx: Ctx) -> None:
    """Each dim multiplied by its repeat count."""
    ctx.set(0, elem=ctx.elem(0))
    src = ctx.need_shape(0)
    repeats = ctx.value(1)
    if repeats is None:
        ctx.set(0, shape=[None] * len(src))
        return
    if len(repeats) != len(src):
        raise GiveUp
    ctx.set(0, shape=[dims.mul(d, r) for d, r in zip(src, repeats)])


@rule("Pad")
def pad(ctx: Ctx) -> None:
    """Each padded axis grows by its begin and end pads (``pads`` = all begins, then all ends)."""
    ctx.set(0, elem=ctx.elem(0))
    src = ctx.need_shape(0)
    rank = len(src)
    if ctx.since < 11:
        pads: tuple[Dim, ...] | None = tuple(ctx.ints_attr("paddings" if ctx.since < 2 else "pads") or ())
    else:
        pads = ctx.value(1)
    if pads is None:
        ctx.set(0, shape=[None] * rank)
        return
    axes = list(range(rank))
    if ctx.since >= 18 and ctx.has(3):
        listed = ctx.int_list(3)
        if listed is None:
            ctx.set(0, shape=[None] * rank)
            return
        axes = [normalize_axis(a, rank) for a in listed]
    k = len(axes)
    if len(pads) != 2 * k:
        raise GiveUp
    out = list(src)
    for j, axis in enumerate(axes):
        out[axis] = dims.add(dims.add(src[axis], pads[j]), pads[k + j])
    ctx.set(0, shape=out)


@rule("ScatterElements", "ScatterND", "Scatter", "ReverseSequence")
def same_as_data(ctx: Ctx) -> None:
    """The result has the data input's shape and type."""
    ctx.set(0, elem=ctx.elem(0), shape=ctx.shape(0))


@rule("OneHot")
def one_hot(ctx: Ctx) -> None:
    """The indices' shape with ``depth`` inserted at ``axis`` (default -1); values' element type."""
    ctx.set(0, elem=ctx.elem(2))
    indices = ctx.need_shape(0)
    depth = ctx.value(1)
    rank = len(indices) + 1
    axis = normalize_axis(ctx.int_attr("axis", -1), rank)
    d: Dim = depth[0] if depth is not None and len(depth) == 1 and type(depth[0]) is int and depth[0] > 0 else None
    out = list(indices)
    out.insert(axis, d)
    ctx.set(0, shape=out)


@rule("NonZero")
def non_zero(ctx: Ctx) -> None:
    """(rank, number of nonzeros): int64."""
    rank = ctx.rank(0)
    ctx.set(0, elem=INT64, shape=None if rank is None else [rank, None])
