"""Ops that rearrange dims: Shape, Size, Reshape, Flatten, Squeeze, Unsqueeze, Transpose, Concat, Split.

These carry shape *values* too: Shape turns dims into contents, and
Reshape/Squeeze/Unsqueeze/Concat/Split move those contents around, which is
what lets ``Shape→Gather→Unsqueeze→Concat→Reshape`` chains fold symbolically.
"""

from __future__ import annotations

import math

import numpy as np

from onnxforge.analysis.shapes import dims
from onnxforge.analysis.shapes.context import Ctx, GiveUp, normalize_axis
from onnxforge.analysis.shapes.dims import Dim
from onnxforge.analysis.shapes.facts import INT_ELEMS
from onnxforge.analysis.shapes.registry import rule
from onnxforge.analysis.shapes.rules.common import INT64


@rule("Shape")
def shape(ctx: Ctx) -> None:
    """1-D int64 holding the input's dims ``[start:end]`` (opset ≥ 15; clamped like Python slicing)."""
    ctx.set(0, elem=INT64)
    src = ctx.shape(0)
    if src is None:
        ctx.set(0, shape=[None])
        return
    start = ctx.int_attr("start", 0) or 0
    end = ctx.int_attr("end")
    picked = src[start:end] if end is not None else src[start:]
    ctx.set(0, shape=[len(picked)], value=picked)


@rule("Size")
def size(ctx: Ctx) -> None:
    """Scalar int64: the number of elements."""
    ctx.set(0, elem=INT64, shape=())
    src = ctx.shape(0)
    if src is not None:
        ctx.set(0, value=[dims.prod(src)])


def zero_copies_zero(t: Dim, src: tuple[Dim, ...] | None, i: int) -> bool:
    """A symbolic target entry ``t`` is the output dim even where it is 0 at run time (then, without
    allowzero, the input's dim ``i`` is copied): that dim is a multiple of ``t`` (so 0 too), or it does
    not exist (copying it fails, so a model that runs has ``t > 0``)."""
    if src is None:
        return False
    if i >= len(src):
        return True
    return src[i] == 0 or dims.exact_div(src[i], t) is not None


def reshape_dims(src: tuple[Dim, ...] | None, target: tuple[Dim, ...], allowzero: bool) -> list[Dim]:
    """Reshape's output dims: 0 copies the input dim (unless allowzero), -1 is inferred.

    One element that is unknown (or -1, or a symbolic value that might be 0
    or -1) is solved from the element count: whatever it is, a valid reshape
    makes it ``numel / product(other dims)``.
    """
    out: list[Dim] = []
    open_slots: list[int] = []
    for i, t in enumerate(target):
        if t is None:
            out.append(None)
            open_slots.append(i)
        elif type(t) is int:
            if t == 0:
                if allowzero:
                    out.append(0)
                else:
                    out.append(src[i] if src is not None and i < len(src) else None)
            elif t == -1:
                out.append(None)
                open_slots.append(i)
            elif t > 0:
                out.append(t)
            else:
                raise GiveUp
        elif allowzero or dims.is_positive(t) or zero_copies_zero(t, src, i):
            out.append(t)
        else:
            out.append(None)
            open_slots.append(i)
    if len(open_slots) == 1 and src is not None:
        slot = open_slots[0]
        others = dims.prod([d for j, d in enumerate(out) if j != slot])
        total = dims.prod(src)
        if others not in (None, 0) and total is not None:
            out[slot] = dims.exact_div(total, others)
    return out


@rule("Reshape")
def reshape(ctx: Ctx) -> None:
    """Dims from the target shape (input 1, or the ``shape`` attribute before opset 5)."""
    ctx.set(0, elem=ctx.elem(0))
    if ctx.since < 5:
        target_list = ctx.ints_attr("shape")
        if target_list is None:
            raise GiveUp
        target: tuple[Dim, ...] = tuple(target_list)
    else:
        value = ctx.value(1)
        if value is None:
            length = ctx.shape(1)
            if length is not None and len(length) == 1 and type(length[0]) is int:
                ctx.set(0, shape=[None] * length[0])
            return
        target = value
    out = reshape_dims(ctx.shape(0), target, bool(ctx.int_attr("allowzero", 0)))
    ctx.set(0, shape=out)
    _pass_value(ctx, out)


def _pass_value(ctx: Ctx, out: list[Dim] | tuple[Dim, ...]) -> None:
    """Contents survive any reshape: symbolically into rank 0/1, concretely into any static shape."""
    value = ctx.value(0)
    if value is not None and len(out) <= 1 and ctx.elem(0) in INT_ELEMS:
        ctx.set(0, value=value)
    const = ctx.const(0)
    if const is not None and all(type(d) is int for d in out) and math.prod(out) == const.size:  # type: ignore[arg-type]
        ctx.set(0, const=const.reshape(out))


@rule("Flatten")
def flatten(ctx: Ctx) -> None:
    """2-D: (product of dims before ``axis``, product of the rest); axis default 1."""
    src = ctx.need_shape(0)
    axis = ctx.int_attr("axis", 1) or 0
    if axis < 0:
        axis += len(src)
    if not 0 <= axis <= len(src):
        raise GiveUp
    out = [dims.prod(src[:axis]), dims.prod(src[axis:])]
    ctx.set(0, elem=ctx.elem(0), shape=out)
    _pass_value(ctx, out)


@rule("Squeeze")
def squeeze(ctx: Ctx) -> None:
    """Remove the listed axes (input 1 from opset 13, else attribute); none listed: every dim of size 1."""
    ctx.set(0, elem=ctx.elem(0))
    src = ctx.need_shape(0)
    if ctx.since < 13:
        axes = ctx.ints_attr("axes")
    elif ctx.has(1):
        axes = ctx.int_list(1)
        if axes is None:
            raise GiveUp
    else:
        axes = None
    if axes is None:
        if any(d is None or (d != 1 and not dims.lt(1, d)) for d in src):
            raise GiveUp  # a symbolic dim might be 1 at run time
        out = [d for d in src if d != 1]
    else:
        drop = {normalize_axis(a, len(src)) for a in axes}
        out = [d for i, d in enumerate(src) if i not in drop]
    ctx.set(0, shape=out)
    _pass_value(ctx, out)


@rule("Unsqueeze")
def unsqueeze(ctx: Ctx) -> None:
    """Insert size-1 dims at the listed axes, which index the *output* (input 1 from opset 13)."""
    ctx.set(0, elem=ctx.elem(0))
    src = ctx.need_shape(0)
    axes = ctx.ints_attr("axes") if ctx.since < 13 else ctx.int_list(1)
    if axes is None:
        raise GiveUp
    rank = len(src) + len(axes)
    ones = {normalize_axis(a, rank) for a in axes}
    if len(ones) != len(axes):
        raise GiveUp
    rest = iter(src)
    out = [1 if i in ones else next(rest) for i in range(rank)]
    ctx.set(0, shape=out)
    _pass_value(ctx, out)


@rule("Transpose")
def transpose(ctx: Ctx) -> None:
    """Dims permuted by ``perm`` (default: reversed)."""
    ctx.set(0, elem=ctx.elem(0))
    src = ctx.need_shape(0)
    perm = ctx.ints_attr("perm") or list(range(len(src)))[::-1]
    if sorted(perm) != list(range(len(src))):
        raise GiveUp
    ctx.set(0, shape=[src[p] for p in perm])
    const = ctx.const(0)
    if const is not None and const.ndim == len(perm):
        ctx.set(0, const=np.transpose(const, perm))


def _agree(a: Dim, b: Dim) -> Dim:
    """Two dims that must be equal (Concat's non-axis dims): the more precise one."""
    if a is None:
        return b
    if b is None or type(a) is int:
        return a
    return b if type(b) is int else a


@rule("Concat")
def concat(ctx: Ctx) -> None:
    """Sizes along ``axis`` add up; other dims are equal across inputs. Contents concatenate."""
    shapes = [ctx.shape(i) for i in range(ctx.n_in)]
    ctx.set(0, elem=next((ctx.elem(i) for i in range(ctx.n_in) if ctx.elem(i)), None))
    known = [s for s in shapes if s is not None]
    if not known:
        return
    rank = len(known[0])
    if any(len(s) != rank for s in known) or rank == 0:
        raise GiveUp
    axis = normalize_axis(ctx.int_attr("axis", 1 if ctx.since < 4 else 0), rank)
    out: list[Dim] = []
    for i in range(rank):
        if i == axis:
            total: Dim = 0
            for s in shapes:
                total = dims.add(total, None if s is None else s[i])
            out.append(total)
        else:
            dim: Dim = None
            for s in known:
                dim = _agree(dim, s[i])
            out.append(dim)
    ctx.set(0, shape=out)
    values = [ctx.value(i) for i in range(ctx.n_in)]
    if rank == 1 and all(v is not None for v in values):
        ctx.set(0, value=[x for v in values for x in v])  # type: ignore[union-attr]
    consts = [ctx.const(i) for i in range(ctx.n_in)]
    if all(c is not None and c.ndim == rank for c in consts):
        ctx.set(0, const=np.concatenate(consts, axis=axis))  # type: ignore[arg-type]


@rule("Split")
def split(ctx: Ctx) -> None:
    """Pieces along ``axis`` (default 0): sizes from ``split`` (input or attribute), else equal parts;
    from opset 18 an uneven split makes the last piece smaller (``num_outputs``)."""
    n = len(ctx.op.results)
    for i in range(n):
        ctx.set(i, elem=ctx.elem(0))
    src = ctx.need_shape(0)
    axis = normalize_axis(ctx.int_attr("axis", 0), len(src))
    sizes: list[Dim] | None
    if ctx.since < 13 and "split" in ctx.op.properties:
        sizes = list(ctx.ints_attr("split") or [])
    elif ctx.has(1):  # Split-1 and Split-13+: sizes as an input
        value = ctx.value(1)
        sizes = None if value is None else list(value)
    else:
        sizes = _equal_parts(src[axis], n, uneven=ctx.since >= 18)
    if sizes is None or len(sizes) != n:
        raise GiveUp
    offset: Dim = 0
    value = ctx.value(0) if len(src) == 1 and ctx.elem(0) in INT_ELEMS else None
    for i, piece in enumerate(sizes):
        out = list(src)
        out[axis] = piece
        ctx.set(i, shape=out)
        if value is not None and type(offset) is int and type(piece) is int:
            ctx.set(i, value=value[offset:offset + piece])
        offset = dims.add(offset, piece)


def _equal_parts(total: Dim, n: int, uneven: bool) -> list[Dim]:
    if n <= 0:
        raise GiveUp
    part = dims.exact_div(total, n)
    if part is not None:
        return [part] * n
    if uneven and type(total) is int:
        chunk = -(-total // n)
        return [chunk] * (n - 1) + [total - chunk * (n - 1)]
    return [None] * n
