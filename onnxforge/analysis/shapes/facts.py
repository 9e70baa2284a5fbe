"""What inference knows about each value: element type, shape, shape-tensor contents, constant.

``ShapeFacts`` is the result of ``infer``: a side table keyed by SSA value,
so analysis never touches the IR. Passes ask it questions; ``apply_types``
writes the shapes into the types when a pipeline wants them there.
"""

from __future__ import annotations

import numpy as np
import sympy
from onnx import TensorProto
from xdsl.ir import SSAValue

from onnxforge.analysis.shapes import dims
from onnxforge.analysis.shapes.dims import Dim

INT_ELEMS = frozenset({TensorProto.INT32, TensorProto.INT64, TensorProto.BOOL, TensorProto.UINT8, TensorProto.INT8,
                       TensorProto.UINT16, TensorProto.INT16, TensorProto.UINT32, TensorProto.UINT64})
"""Element types whose contents are tracked as ints (shape arithmetic, masks)."""
VALUE_LIMIT = 64
"""Shape-tensor contents are tracked for rank-0/1 int tensors up to this many elements."""
CONST_LIMIT = 4096
"""Concrete contents are kept for tensors up to this many elements (views, no copies)."""


class Info:
    """Facts about one value; every field may be ``None`` (unknown)."""

    __slots__ = ("const", "elem", "shape", "value")

    def __init__(
        self,
        elem: int | None = None,
        shape: tuple[Dim, ...] | None = None,
        value: tuple[Dim, ...] | None = None,
        const: np.ndarray | None = None,
    ) -> None:
        self.elem = elem
        self.shape = shape
        self.value = value
        self.const = const

    def __repr__(self) -> str:
        return f"Info(elem={self.elem}, shape={self.shape}, value={self.value})"


UNKNOWN = Info()


class ShapeFacts:
    """The inferred element types, shapes and shape values of a module's values."""

    def __init__(self) -> None:
        self._info: dict[SSAValue, Info] = {}
        self.failures: list[tuple[str, str]] = []
        """(op name, error) for rules that raised: a bug in a rule, reported rather than crashing."""

    def info(self, value: SSAValue) -> Info:
        return self._info.get(value, UNKNOWN)

    def shape(self, value: SSAValue) -> tuple[Dim, ...] | None:
        """The dims (int, sympy expression or None each), or None when the rank is unknown."""
        return self.info(value).shape

    def elem(self, value: SSAValue) -> int | None:
        """The ONNX element type code."""
        return self.info(value).elem

    def value(self, value: SSAValue) -> tuple[Dim, ...] | None:
        """The flattened contents of a small rank-0/1 int (or bool, as 0/1) tensor, symbolically."""
        return self.info(value).value

    def const(self, value: SSAValue) -> np.ndarray | None:
        """The concrete contents of a small tensor, when known."""
        return self.info(value).const

    def symbol(self, name: str) -> sympy.Symbol:
        """The symbol of a ``dim_param`` name (the same name is the same symbol)."""
        return dims.symbol(name)

    def values(self) -> list[SSAValue]:
        return list(self._info)

    def coverage(self) -> tuple[int, int]:
        """(values with a fully known shape, tensor values seen) — a regression measure."""
        known = total = 0
        for info in self._info.values():
            total += 1
            if info.shape is not None and all(d is not None for d in info.shape):
                known += 1
        return known, total
