"""What a shape rule sees of one op: its inputs' facts, its attributes, and where to put results.

Rules raise ``GiveUp`` (or call ``ctx.give_up()``) when a fact they need is
missing; the engine then leaves the results unknown, which is always sound.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from xdsl.dialects.builtin import DenseArrayBase, FloatAttr, IntegerAttr, StringAttr
from xdsl.ir import Operation

from onnxforge.analysis.shapes.dims import Dim
from onnxforge.analysis.shapes.facts import UNKNOWN, Info, ShapeFacts
from onnxforge.analysis.shapes.values import wrap
from onnxforge.dialects.onnx.base import RefAttr
from onnxforge.dialects.onnx.queries import op_type, since
from onnxforge.ir.tensor import DenseAttr, TensorValue
from onnxforge.ir.types import NoneType


class GiveUp(Exception):
    """A rule cannot say anything (more): its results stay unknown."""


class Ctx:
    """One op under inference. Inputs are read positionally (schema order, absent ones ``None``)."""

    __slots__ = ("facts", "ins", "op", "outs")

    def __init__(self, op: Operation, facts: ShapeFacts) -> None:
        self.op = op
        self.facts = facts
        self.ins: list[Info | None] = [
            None if isinstance(v.type, NoneType) else facts.info(v) for v in op.operands
        ]
        self.outs: list[Info] = [Info() for _ in op.results]

    @property
    def kind(self) -> str:
        """The domain-qualified op type (the same for every opset form)."""
        return op_type(self.op)

    @property
    def since(self) -> int:
        """The first opset of the op's signature: rules branch on it where the op's form changed."""
        return since(self.op)

    # --- inputs ---------------------------------------------------------------------------

    @property
    def n_in(self) -> int:
        return len(self.ins)

    def has(self, i: int) -> bool:
        return i < len(self.ins) and self.ins[i] is not None

    def info(self, i: int) -> Info:
        if i < len(self.ins):
            return self.ins[i] or UNKNOWN
        return UNKNOWN

    def shape(self, i: int = 0) -> tuple[Dim, ...] | None:
        return self.info(i).shape

    def need_shape(self, i: int = 0) -> tuple[Dim, ...]:
        shape = self.info(i).shape
        if shape is None:
            raise GiveUp
        return shape

    def rank(self, i: int = 0) -> int | None:
        shape = self.info(i).shape
        return None if shape is None else len(shape)

    def elem(self, i: int = 0) -> int | None:
        return self.info(i).elem

    def value(self, i: int) -> tuple[Dim, ...] | None:
        return self.info(i).value

    def need_value(self, i: int) -> tuple[Dim, ...]:
        value = self.info(i).value
        if value is None:
            raise GiveUp
        return value

    def const(self, i: int) -> np.ndarray | None:
        return self.info(i).const

    def int_list(self, i: int) -> list[int] | None:
        """An input's contents as concrete ints (axes, pads, starts), or None."""
        value = self.info(i).value
        if value is None or any(type(v) is not int for v in value):
            return None
        return list(value)  # type: ignore[arg-type]

    # --- attributes ----------------------------------------------------------------------

    def attr(self, name: str):  # type: ignore[no-untyped-def]
        attr = self.op.properties.get(name)
        if isinstance(attr, RefAttr):
            raise GiveUp  # a function body's reference to its caller's attribute
        return attr

    def int_attr(self, name: str, default: int | None = None) -> int | None:
        attr = self.attr(name)
        if attr is None:
            return default
        assert isinstance(attr, IntegerAttr)
        return attr.value.data

    def float_attr(self, name: str, default: float | None = None) -> float | None:
        attr = self.attr(name)
        if attr is None:
            return default
        assert isinstance(attr, FloatAttr)
        return attr.value.data

    def ints_attr(self, name: str, default: Sequence[int] | None = None) -> list[int] | None:
        attr = self.attr(name)
        if attr is None:
            return None if default is None else list(default)
        assert isinstance(attr, DenseArrayBase)
        return [int(v) for v in attr.iter_values()]

    def floats_attr(self, name: str) -> list[float] | None:
        attr = self.attr(name)
        if attr is None:
            return None
        assert isinstance(attr, DenseArrayBase)
        return [float(v) for v in attr.iter_values()]

    def str_attr(self, name: str, default: str | None = None) -> str | None:
        attr = self.attr(name)
        if attr is None:
            return default
        if isinstance(attr, StringAttr):
            return attr.data
        raise GiveUp

    def tensor_attr(self, name: str) -> TensorValue | None:
        attr = self.attr(name)
        if attr is None:
            return None
        if isinstance(attr, DenseAttr):
            return attr.value
        raise GiveUp

    # --- results ---------------------------------------------------------------------------

    def set(
        self,
        i: int = 0,
        shape: Sequence[Dim] | None = None,
        elem: int | None = None,
        value: Sequence[Dim] | None = None,
        const: np.ndarray | None = None,
    ) -> None:
        if i >= len(self.outs):
            return
        out = self.outs[i]
        if shape is not None:
            out.shape = tuple(shape)
        if elem is not None:
            out.elem = elem
        if value is not None:
            out.value = wrap(value, out.elem)
        if const is not None:
            out.const = const

    @staticmethod
    def give_up() -> None:
        raise GiveUp


def normalize_axis(axis: int, rank: int) -> int:
    """ONNX negative axes count from the end; out of range is a malformed model: give up."""
    if axis < -rank or axis >= rank:
        raise GiveUp
    return axis + rank if axis < 0 else axis
