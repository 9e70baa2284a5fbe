"""Contractions: MatMul (numpy matmul), Gemm, their integer/quantised forms, Einsum.

ONNX semantics relied on: MatMul behaves like ``numpy.matmul`` (1-D operands
are promoted and the added dim removed again; batch dims broadcast); Gemm
computes ``op(A) @ op(B)`` on 2-D operands with ``transA``/``transB``, giving
(M, N); Einsum's output letters follow the explicit ``->`` part or, implicit,
the letters used once in alphabetical order.
"""

from __future__ import annotations

from onnxforge.analysis.shapes import dims
from onnxforge.analysis.shapes.context import Ctx, GiveUp
from onnxforge.analysis.shapes.dims import Dim
from onnxforge.analysis.shapes.registry import rule
from onnxforge.analysis.shapes.rules.common import INT32, broadcast_shapes, first_elem


def matmul_shape(a: tuple[Dim, ...] | None, b: tuple[Dim, ...] | None) -> tuple[Dim, ...] | None:
    if a is None or b is None or not a or not b:
        return None
    if len(a) == 1 and len(b) == 1:
        return ()
    if len(a) == 1:
        return (*b[:-2], b[-1])
    if len(b) == 1:
        return a[:-1]
    batch = broadcast_shapes([a[:-2], b[:-2]])
    if batch is None:
        return None
    return (*batch, a[-2], b[-1])


@rule("MatMul")
def matmul(ctx: Ctx) -> None:
    """numpy.matmul shapes; the element type is the inputs'."""
    ctx.set(0, shape=matmul_shape(ctx.shape(0), ctx.shape(1)), elem=first_elem(ctx))


@rule("MatMulInteger")
def matmul_integer(ctx: Ctx) -> None:
    """numpy.matmul shapes; the result is int32."""
    ctx.set(0, shape=matmul_shape(ctx.shape(0), ctx.shape(1)), elem=INT32)


@rule("QLinearMatMul")
def qlinear_matmul(ctx: Ctx) -> None:
    """numpy.matmul of inputs 0 and 3; the result has y_zero_point's element type (input 7)."""
    ctx.set(0, shape=matmul_shape(ctx.shape(0), ctx.shape(3)), elem=ctx.elem(7))


@rule("Gemm")
def gemm(ctx: Ctx) -> None:
    """(M, N) from 2-D A (transposed if transA) and B (transposed if transB)."""
    a, b = ctx.shape(0), ctx.shape(1)
    m: Dim = None
    n: Dim = None
    if a is not None and len(a) == 2:
        m = a[1] if ctx.int_attr("transA", 0) else a[0]
    if b is not None and len(b) == 2:
        n = b[0] if ctx.int_attr("transB", 0) else b[1]
    ctx.set(0, shape=(m, n), elem=first_elem(ctx, 0, 1))


@rule("Einsum")
def einsum(ctx: Ctx) -> None:
    """Each output letter takes the size its operands give it (broadcast over all uses); no ellipsis."""
    equation = (ctx.str_attr("equation") or "").replace(" ", "")
    if "." in equation:
        raise GiveUp
    lhs, _, rhs = equation.partition("->")
    terms = lhs.split(",")
    if len(terms) != ctx.n_in:
        raise GiveUp
    sizes: dict[str, Dim] = {}
    counts: dict[str, int] = {}
    for i, term in enumerate(terms):
        shape = ctx.need_shape(i)
        if len(shape) != len(term):
            raise GiveUp
        for letter, dim in zip(term, shape):
            counts[letter] = counts.get(letter, 0) + 1
            sizes[letter] = dim if letter not in sizes else dims.broadcast(sizes[letter], dim)
    if "->" not in equation:
        rhs = "".join(sorted(letter for letter, count in counts.items() if count == 1))
    if any(letter not in sizes for letter in rhs):
        raise GiveUp
    ctx.set(0, shape=[sizes[letter] for letter in rhs], elem=first_elem(ctx))
