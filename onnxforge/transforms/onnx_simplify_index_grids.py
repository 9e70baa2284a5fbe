"""``onnx-simplify-index-grids``: indexing by a grid of ramps is a reshape of the indexed tensor.

transformers 5 builds its attention masks by vectorising a per-element function (``padding_mask[b, k]``,
``k <= q``) over index ramps: ``Range(0, n)`` for the batch, query and key positions, unsqueezed onto
their own axes, broadcast against each other, stacked and fed to ``GatherND``. torch.export keeps every
step, so a dynamo export of BERT, GPT-2 or Llama carries about twenty index-arithmetic nodes per mask in
the root module's forward (``../shared/research/hierarchy.md``), which no peer removes. Three exact rules
undo the vectorisation:

- ``GatherND(data, grid)`` with ``batch_dims = 0``, where the last axis of ``grid`` stacks one ramp per
  axis of ``data`` (ramp ``j`` counts ``0, 1, …, data.dim(j) - 1`` along grid axis ``a_j``, the ``a_j``
  increasing, every other grid axis of size 1), reads ``data[g[a_0], …, g[a_{r-1}]]`` at grid position
  ``g``: that is ``data`` with unit axes inserted where the grid has no ramp — ``Unsqueeze(data)``.
- ``Gather(data, ramp, axis)`` with a 1-D ramp ``0 … data.dim(axis) - 1`` takes every slice in order: ``data``.
- ``Unsqueeze(Unsqueeze(x, a1), a2)`` is one ``Unsqueeze`` of ``x`` (the grids are built with chains of
  them; the inner one dies when nothing else reads it).

A ramp is a ``Range`` with constant start and step, seen through ``Unsqueeze`` (which moves its axis)
and ``Expand`` (which broadcasts the other axes but not the ramp's own: its dim must stay the length).
Dims are compared as the IR types state them (``onnx-infer-shapes`` names both the range's length and
the data's dim after the same ``Shape`` read); an unknown dim matches nothing. Index values are the
same numbers read in the same order: bit-exact, accuracy class 0.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from xdsl.dialects.builtin import DenseArrayBase, ModuleOp, i64
from xdsl.ir import Operation, SSAValue
from xdsl.pattern_rewriter import PatternRewriter, RewritePattern

from onnxforge.dialects.onnx.builders import ConstantBuilder, model_opset, standard_op
from onnxforge.dialects.onnx.generated import (
    ConcatFamily,
    ExpandOp,
    GatherNDFamily,
    GatherOp,
    RangeFamily,
    UnsqueezeFamily,
)
from onnxforge.dialects.onnx.queries import axes_of, dims_of, has_prop, int_constant, int_prop
from onnxforge.dialects.onnx.structure import GraphOp
from onnxforge.ir.dead import erase_dead
from onnxforge.ir.provenance import record_replacement
from onnxforge.ir.types import Dim
from onnxforge.passmanager import Accuracy, PatternPass
from onnxforge.passmanager.rewriting import ContextPattern

UNSQUEEZE_INPUT_OPSET = 13
"""Unsqueeze takes its axes as an input from opset 13, as an attribute before."""


@dataclass(frozen=True)
class Ramp:
    """A tensor of rank ``rank`` counting ``start, start + step, …`` (``length`` values) along ``axis`` and
    constant along every other axis."""

    axis: int
    rank: int
    start: int
    step: int
    length: Dim


def _scalar_int(value: SSAValue) -> int | None:
    found = int_constant(value)
    return found[0] if found is not None and len(found) == 1 else None


def _normalised(axes: tuple[int, ...], rank: int) -> list[int] | None:
    """``axes`` in ``[0, rank)``, or None when one is out of range or repeated."""
    out = [a + rank if a < 0 else a for a in axes]
    return out if all(0 <= a < rank for a in out) and len(set(out)) == len(out) else None


def ramp(value: SSAValue, depth: int = 0) -> Ramp | None:
    """``value`` as a ramp, when it is one by construction (module docstring), else None."""
    owner = value.owner
    dims = dims_of(value)
    if depth > 16 or dims is None:
        return None
    if isinstance(owner, RangeFamily):
        start, step = _scalar_int(owner.operands[0]), _scalar_int(owner.operands[2])
        if start is None or not step or len(dims) != 1:
            return None
        return Ramp(0, 1, start, step, dims[0])
    if isinstance(owner, UnsqueezeFamily):
        inner = ramp(owner.operands[0], depth + 1)
        axes = axes_of(owner)
        inserted = None if axes is None else _normalised(axes, len(dims))
        if inner is None or inserted is None or len(dims) != inner.rank + len(inserted):
            return None
        kept = [a for a in range(len(dims)) if a not in inserted]
        return Ramp(kept[inner.axis], len(dims), inner.start, inner.step, inner.length)
    if isinstance(owner, ExpandOp):
        inner = ramp(owner.operands[0], depth + 1)
        if inner is None or len(dims) < inner.rank:
            return None
        axis = inner.axis + len(dims) - inner.rank
        if dims[axis] is None or dims[axis] != inner.length:
            return None  # the ramp's own axis broadcast from length 1: not a ramp any more
        return Ramp(axis, len(dims), inner.start, inner.step, inner.length)
    return None


def _counts(r: Ramp | None, length: Dim) -> bool:
    """``r`` counts ``0 … length - 1``: every index of an axis of that length, in order."""
    return r is not None and r.start == 0 and r.step == 1 and length is not None and r.length == length


def _grid(indices: SSAValue, rank: int) -> list[int] | None:
    """The grid axes ``a_j`` of the ramps stacked on ``indices``'s last axis, one per axis of a rank-``rank``
    data tensor, each counting that axis whole (checked by the caller); None unless ``indices`` is such a
    grid with increasing ``a_j`` and size-1 dims elsewhere."""
    concat = indices.owner
    dims = dims_of(indices)
    if not isinstance(concat, ConcatFamily) or dims is None or len(concat.operands) != rank:
        return None
    if _normalised((int_prop(concat, "axis", 0) or 0,), len(dims)) != [len(dims) - 1]:
        return None
    grid = len(dims) - 1
    axes = []
    for part in concat.operands:
        found = ramp(part)
        part_dims = dims_of(part)
        if found is None or part_dims is None or part_dims[-1] != 1 or found.axis >= grid:
            return None
        axes.append(found.axis)
    if any(b <= a for a, b in zip(axes, axes[1:])):
        return None
    if any(dims[a] != 1 for a in range(grid) if a not in axes):
        return None
    return axes


@dataclass
class Context:
    builder: ConstantBuilder
    opset: int


def _axes_input(op: Operation) -> bool:
    """Whether new Unsqueeze axes for a rewrite at ``op`` can be made: as an attribute (before opset 13),
    or as an initializer, which only a graph (not a function body) holds."""
    block = op.parent_block()
    return block is not None and isinstance(block.parent_op(), GraphOp)


def _unsqueeze_axes(op: Operation, axes: list[int], context: Context) -> None:
    """Give the Unsqueeze ``op`` the axes ``axes`` in its opset's form."""
    if context.opset >= UNSQUEEZE_INPUT_OPSET and not has_prop(op, "axes"):
        block = op.parent_block()
        assert block is not None
        op.operands[1] = context.builder.initializer(block, np.array(axes, np.int64), "unsqueeze_axes")
    else:
        op.properties["axes"] = DenseArrayBase.from_list(i64, axes)


class GatherNDOfGrid(ContextPattern):
    """GatherND(data, stacked ramps over every axis of data) = Unsqueeze(data, the grid's other axes)."""

    def apply(self, op: GatherNDFamily, rewriter: PatternRewriter, context: object) -> None:
        assert isinstance(context, Context)
        data, indices = op.operands
        data_dims, out_dims = dims_of(data), dims_of(op.results[0])
        if int_prop(op, "batch_dims", 0) != 0 or data_dims is None or out_dims is None:
            return
        axes = _grid(indices, len(data_dims))
        if axes is None or not all(_counts(ramp(p), d) for p, d in zip(indices.owner.operands, data_dims)):  # type: ignore[union-attr]
            return
        inserted = [a for a in range(len(out_dims)) if a not in axes]
        if inserted and context.opset >= UNSQUEEZE_INPUT_OPSET and not _axes_input(op):
            return
        if not inserted:
            rewriter.replace(op, [], [data])
            erase_dead(rewriter, [indices.owner])  # type: ignore[list-item]
            return
        block = op.parent_block()
        assert block is not None
        if context.opset >= UNSQUEEZE_INPUT_OPSET:
            axes_value = context.builder.initializer(block, np.array(inserted, np.int64), "grid_axes")
            unsqueeze = standard_op("Unsqueeze", context.opset, [data, axes_value], [op.results[0].type])
        else:
            unsqueeze = standard_op("Unsqueeze", context.opset, [data], [op.results[0].type],
                                    {"axes": DenseArrayBase.from_list(i64, inserted)})
        record_replacement([unsqueeze], [op], op)
        rewriter.replace(op, [unsqueeze])
        erase_dead(rewriter, [indices.owner])  # type: ignore[list-item]


class GatherOfWholeRamp(ContextPattern):
    """Gather(data, 0 … data.dim(axis) - 1, axis) = data."""

    def apply(self, op: GatherOp, rewriter: PatternRewriter, context: object) -> None:
        data, indices = op.operands
        data_dims = dims_of(data)
        if data_dims is None or not data_dims:
            return
        axis = _normalised((int_prop(op, "axis", 0) or 0,), len(data_dims))
        found = ramp(indices)
        if axis is None or found is None or found.rank != 1 or not _counts(found, data_dims[axis[0]]):
            return
        rewriter.replace(op, [], [data])
        if isinstance(indices.owner, Operation):
            erase_dead(rewriter, [indices.owner])


def composed_axes(inner: list[int], outer: list[int], rank: int) -> list[int]:
    """The axes one Unsqueeze inserts for ``Unsqueeze(Unsqueeze(x, inner), outer)``, both normalised, ``rank``
    the final rank: the outer's axes, and the final positions of the intermediate axes the inner inserted."""
    kept = [a for a in range(rank) if a not in outer]  # final positions of the intermediate tensor's axes
    return sorted(set(outer) | {kept[a] for a in inner})


class ComposeUnsqueezes(ContextPattern):
    """Unsqueeze(Unsqueeze(x, a1), a2) = Unsqueeze(x, composed axes)."""

    def apply(self, op: UnsqueezeFamily, rewriter: PatternRewriter, context: object) -> None:
        assert isinstance(context, Context)
        inner = op.operands[0].owner
        if not isinstance(inner, UnsqueezeFamily):
            return
        middle, final = dims_of(inner.results[0]), dims_of(op.results[0])
        a1, a2 = axes_of(inner), axes_of(op)
        if middle is None or final is None or a1 is None or a2 is None:
            return
        n1, n2 = _normalised(a1, len(middle)), _normalised(a2, len(final))
        if n1 is None or n2 is None or len(final) != len(middle) + len(n2):
            return
        if not has_prop(op, "axes") and not _axes_input(op):
            return
        _unsqueeze_axes(op, composed_axes(n1, n2, len(final)), context)
        op.operands[0] = inner.operands[0]
        rewriter.notify_op_modified(op)
        erase_dead(rewriter, [inner])


@dataclass(frozen=True)
class SimplifyIndexGridsPass(PatternPass):
    name = "onnx-simplify-index-grids"
    summary = "GatherND/Gather over ramps of every index as the data unsqueezed; Unsqueeze chains as one (vectorised masks)"
    accuracy = Accuracy.LOSSLESS

    def patterns(self) -> list[RewritePattern]:
        return [GatherNDOfGrid(), GatherOfWholeRamp(), ComposeUnsqueezes()]

    def context(self, module: ModuleOp) -> object:
        return Context(ConstantBuilder(module), model_opset(module))
