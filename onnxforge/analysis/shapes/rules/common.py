"""Helpers several rule families share: broadcasting shapes, passing a shape through."""

from __future__ import annotations

from onnxforge.analysis.shapes import dims
from onnxforge.analysis.shapes.context import Ctx
from onnxforge.analysis.shapes.dims import Dim

INT64, INT32, BOOL, FLOAT = 7, 6, 9, 1


def broadcast_shapes(shapes: list[tuple[Dim, ...] | None]) -> tuple[Dim, ...] | None:
    """Multidirectional (numpy) broadcasting of ranked shapes, right-aligned."""
    if any(s is None for s in shapes):
        return None
    rank = max(len(s) for s in shapes)  # type: ignore[arg-type]
    out: list[Dim] = []
    for axis in range(rank):
        dim: Dim = 1
        for s in shapes:
            offset = axis - (rank - len(s))  # type: ignore[arg-type]
            if offset >= 0:
                dim = dims.broadcast(dim, s[offset])  # type: ignore[index]
        out.append(dim)
    return tuple(out)


def first_elem(ctx: Ctx, *indices: int) -> int | None:
    for i in indices or range(ctx.n_in):
        if ctx.has(i) and ctx.elem(i):
            return ctx.elem(i)
    return None


_INPUTS_ELEM = -1


def same_as_input(ctx: Ctx, i: int = 0, out: int = 0, elem: int | None = _INPUTS_ELEM) -> None:
    """Output ``out`` has input ``i``'s shape, and its element type unless ``elem`` is given
    (``elem=None`` means unknown: never fall back to the input's type when the rule names another)."""
    ctx.set(out, shape=ctx.shape(i), elem=ctx.elem(i) if elem == _INPUTS_ELEM else elem)
