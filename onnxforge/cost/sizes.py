"""Concrete sizes for costing: symbolic dims bound to numbers, and the shape and bytes of each value.

Shapes come from ``onnxforge.analysis.shapes.infer`` (symbolic: ``batch``,
``Min(64, sequence)``, ``sequence*12``), falling back to the declared types.
A cost needs numbers, so every symbol is bound: from the caller's ``dims``
(``forgec --dim NAME=VALUE``), else from ``DEFAULT_DIMS`` (batch 1, sequence
128 and their usual spellings), else to 1 — and each binding that was not
asked for is reported (``Sizes.assumed``), so a report always states the
sizes it assumed.
"""

from __future__ import annotations

import math

import numpy as np
import sympy
from xdsl.ir import SSAValue

from onnxforge.analysis.shapes import ShapeFacts
from onnxforge.analysis.shapes.dims import parse_dim
from onnxforge.ir.tensor import np_dtype
from onnxforge.ir.types import TensorType

DEFAULT_DIMS: dict[str, int] = {
    "batch": 1,
    "batch_size": 1,
    "N": 1,
    "sequence": 128,
    "sequence_length": 128,
    "seq": 128,
    "seq_len": 128,
    "seq_length": 128,
    "total_sequence_length": 128,
    "encoder_sequence_length": 128,
    "decoder_sequence_length": 128,
}
"""Values for the dim names exporters use, when the caller binds none (documented in docs/cost-model.md)."""
UNBOUND_DEFAULT = 1

Shape = tuple[int, ...]


class Sizes:
    """Concrete shapes and byte sizes of values, under one binding of the symbolic dims."""

    def __init__(self, facts: ShapeFacts, dims: dict[str, int] | None = None) -> None:
        self.facts = facts
        self.requested = dict(dims or {})
        self.bound: dict[str, int] = dict(self.requested)
        """Every symbol that was needed → its value (requested, default or 1)."""
        self.assumed: dict[str, int] = {}
        """The bindings nobody asked for (defaults and 1s)."""
        self._cache: dict[object, int | None] = {}

    def _value(self, dim: object) -> int | None:
        if dim is None or type(dim) is int:
            return dim  # type: ignore[return-value]
        if dim in self._cache:
            return self._cache[dim]
        result: int | None = None
        if isinstance(dim, sympy.Basic):
            subs = {}
            for sym in dim.free_symbols:
                name = str(sym)
                if name not in self.bound:
                    self.bound[name] = self.assumed[name] = DEFAULT_DIMS.get(name, UNBOUND_DEFAULT)
                subs[sym] = self.bound[name]
            try:
                value = dim.subs(subs)
                result = int(value) if value.is_number else None
            except (TypeError, ValueError):
                result = None
        self._cache[dim] = result
        return result

    def shape(self, value: SSAValue) -> Shape | None:
        """The concrete shape, or None when the rank or a dim is unknown."""
        dims = self.facts.shape(value)
        if dims is None and isinstance(value.type, TensorType) and value.type.dims is not None:
            dims = tuple(parse_dim(d) if isinstance(d, str) else d for d in value.type.dims)
        if dims is None:
            return None
        values = tuple(self._value(d) for d in dims)
        if any(v is None or v < 0 for v in values):
            return None
        return values  # type: ignore[return-value]

    def numel(self, value: SSAValue) -> int | None:
        shape = self.shape(value)
        return None if shape is None else math.prod(shape)

    def elem(self, value: SSAValue) -> int:
        """The ONNX element type code (0 when unknown)."""
        code = self.facts.elem(value)
        if not code and isinstance(value.type, TensorType):
            code = value.type.elem
        return code or 0

    def itemsize(self, value: SSAValue) -> int:
        code = self.elem(value)
        if not code:
            return 4
        try:
            return max(1, np_dtype(code).itemsize) if np_dtype(code) != np.dtype(object) else 8
        except (TypeError, ValueError, KeyError):
            return 4

    def nbytes(self, value: SSAValue) -> int | None:
        count = self.numel(value)
        return None if count is None else count * self.itemsize(value)
