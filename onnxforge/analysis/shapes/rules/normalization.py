"""Normalizations: the output keeps the input's shape; statistics outputs are reduced.

ONNX semantics relied on: BatchNormalization's Y has X's shape and its
training outputs (running mean/var, and saved mean/var in old opsets) have
shape (C,); LayerNormalization's Mean and InvStdDev keep X's leading dims and
are 1 from ``axis`` (default -1) on, typed by ``stash_type`` (float by
default); Instance/Group/RMS normalization keep X's shape.
"""

from __future__ import annotations

from onnxforge.analysis.shapes.context import Ctx, normalize_axis
from onnxforge.analysis.shapes.registry import rule
from onnxforge.analysis.shapes.rules.common import same_as_input


@rule("BatchNormalization")
def batch_norm(ctx: Ctx) -> None:
    """Y: X's shape; the other outputs (C,), typed like the scale (or the mean for opset ≥ 15)."""
    same_as_input(ctx)
    x = ctx.shape(0)
    channels = None if x is None or len(x) < 2 else x[1]
    for i in range(1, len(ctx.op.results)):
        ctx.set(i, shape=[channels], elem=ctx.elem(3) if ctx.since >= 15 else ctx.elem(1))


@rule("LayerNormalization")
def layer_norm(ctx: Ctx) -> None:
    """Y: X's shape and type; Mean/InvStdDev: X's dims before ``axis``, then 1s, typed ``stash_type``."""
    same_as_input(ctx)
    x = ctx.shape(0)
    stash = ctx.int_attr("stash_type", 1)
    for i in (1, 2):
        ctx.set(i, elem=stash)
        if x is not None:
            axis = normalize_axis(ctx.int_attr("axis", -1), len(x))
            ctx.set(i, shape=[*x[:axis], *([1] * (len(x) - axis))])


@rule("InstanceNormalization", "GroupNormalization", "RMSNormalization")
def keeps_shape(ctx: Ctx) -> None:
    """The output has the input's shape and type."""
    same_as_input(ctx)
