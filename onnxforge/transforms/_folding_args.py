"""What the constant-folding paths read of an op's arguments: attributes as Python values, axes, and
the view a Slice selects (shared by ``_folding_eval``, which copies it, and ``_folding_size``, which
sizes it before anything is copied).

Identity relied on for Slice: ``slice_range`` is onnxruntime's reading of the spec's clamping, so the
view holds exactly the elements onnxruntime's Slice returns.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from onnx import helper
from xdsl.ir import Operation

from onnxforge.analysis.shapes.rules.indexing import slice_pick
from onnxforge.dialects.onnx.base import OnnxOp, RefAttr
from onnxforge.onnxio.proto import attr_to_proto

Arrays = list[np.ndarray | None]
"""One array per operand; None for an absent optional input."""


class CannotFold(Exception):
    """The op cannot be evaluated at compile time; the message is the reason (a statistic key)."""


def attrs(op: Operation) -> dict[str, object]:
    """Properties as plain Python values (ints, floats, int lists) for the numpy paths."""
    out: dict[str, object] = {}
    for name, prop in op.properties.items():
        if isinstance(prop, RefAttr):
            raise CannotFold("attribute refers to a function attribute")
        proto = attr_to_proto(name, prop, op.SIGNATURE.attribute(name).kind)  # type: ignore[attr-defined, union-attr]
        out[name] = helper.get_attribute_value(proto)
    return out


def axes(value: np.ndarray | Sequence[int] | None, rank: int) -> list[int] | None:
    if value is None:
        return None
    return [int(a) + rank if int(a) < 0 else int(a) for a in np.asarray(value).reshape(-1)]


def slice_view(op: OnnxOp, inputs: Arrays) -> np.ndarray | None:
    """The elements a Slice selects, as a numpy view (nothing copied: ``_folding_size`` sizes it so)."""
    data = inputs[0]
    if data is None:
        return None
    if len(inputs) < 3:  # before opset 10: starts/ends/axes are attributes
        given = attrs(op)
        starts, ends, axis_list, steps = given.get("starts"), given.get("ends"), given.get("axes"), None
    else:
        starts, ends = inputs[1], inputs[2]
        axis_list = inputs[3] if len(inputs) > 3 else None
        steps = inputs[4] if len(inputs) > 4 else None
    if starts is None or ends is None:
        return None
    starts, ends = [int(v) for v in np.asarray(starts).reshape(-1)], [int(v) for v in np.asarray(ends).reshape(-1)]
    picked_axes = list(range(len(starts))) if axis_list is None else axes(axis_list, data.ndim)
    steps = [1] * len(starts) if steps is None else [int(v) for v in np.asarray(steps).reshape(-1)]
    if not len(starts) == len(ends) == len(picked_axes) == len(steps) or len(set(picked_axes)) != len(picked_axes):  # type: ignore[arg-type]
        raise CannotFold("Slice with inconsistent starts/ends/axes/steps")
    picks = [slice(None)] * data.ndim
    for start, end, axis, step in zip(starts, ends, picked_axes, steps):  # type: ignore[arg-type]
        if step == 0 or not 0 <= axis < data.ndim:
            raise CannotFold("Slice with a zero step or an axis out of range")
        picks[axis] = slice_pick(data.shape[axis], start, end, step)
    return data[tuple(picks)]
