"""Shape-value arithmetic: elementwise ops over the contents of small rank-0/1 int tensors.

Contents are tuples of Dims; a rank-0 tensor is a 1-tuple. Two operands
broadcast like numpy (a 1-element side repeats). Each element is computed
with the dim algebra, so an undecidable element is ``None`` while its
neighbours stay known.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from onnx import TensorProto

from onnxforge.analysis.shapes import dims
from onnxforge.analysis.shapes.dims import Dim

Values = tuple[Dim, ...]


_WIDTHS = {
    TensorProto.INT8: (8, True), TensorProto.INT16: (16, True), TensorProto.INT32: (32, True),
    TensorProto.INT64: (64, True), TensorProto.UINT8: (8, False), TensorProto.UINT16: (16, False),
    TensorProto.UINT32: (32, False), TensorProto.UINT64: (64, False),
}


def wrap(values: Sequence[Dim], elem: int | None) -> Values:
    """Integer contents as the runtime holds them: Python ints wrapped to the element type's width
    (two's complement, numpy's and onnxruntime's overflow), so ``Mul`` of two large int64 dims is the
    wrapped product, not an int that no tensor can hold. With the element type unknown, an int
    outside int64 becomes unknown. Symbolic entries are sizes and stay as they are."""
    width = _WIDTHS.get(elem)  # type: ignore[arg-type]
    if width is None:
        if elem == TensorProto.BOOL:
            return tuple(values)
        return tuple(None if type(v) is int and not -(1 << 63) <= v < 1 << 63 else v for v in values)
    bits, signed = width
    low = -(1 << (bits - 1)) if signed else 0
    span = 1 << bits
    return tuple(v if type(v) is not int or low <= v < low + span else (v - low) % span + low for v in values)


def broadcast_values(parts: list[Values]) -> list[Values] | None:
    """The operands repeated to a common length, or None when the lengths disagree."""
    n = max(len(p) for p in parts)
    out = []
    for p in parts:
        if len(p) == n:
            out.append(p)
        elif len(p) == 1:
            out.append(p * n)
        else:
            return None
    return out


def elementwise(fn: Callable[..., Dim], parts: list[Values]) -> Values | None:
    aligned = broadcast_values(parts)
    if aligned is None:
        return None
    return tuple(fn(*items) for items in zip(*aligned))


def as_bool(decision: bool | None) -> Dim:
    return None if decision is None else int(decision)


def truth(v: Dim) -> bool | None:
    """A value used as a condition: nonzero is true (a symbolic size may be 0: undecided unless proven)."""
    if v is None:
        return None
    if type(v) is int:
        return v != 0
    return True if v.is_zero is False else None


BINARY: dict[str, Callable[[Dim, Dim], Dim]] = {
    "Add": dims.add,
    "Sub": dims.sub,
    "Mul": dims.mul,
    "Div": dims.trunc_div,
    "Mod": dims.mod,
    "Equal": lambda a, b: as_bool(dims.eq(a, b)),
    "Less": lambda a, b: as_bool(dims.lt(a, b)),
    "Greater": lambda a, b: as_bool(dims.lt(b, a)),
    "LessOrEqual": lambda a, b: as_bool(dims.le(a, b)),
    "GreaterOrEqual": lambda a, b: as_bool(dims.le(b, a)),
    "And": lambda a, b: _logic(a, b, all),
    "Or": lambda a, b: _logic(a, b, any),
    "Xor": lambda a, b: None if truth(a) is None or truth(b) is None else int(truth(a) != truth(b)),
    "Max": dims.dmax,
    "Min": dims.dmin,
}
"""ONNX binary op → elementwise function on Dims (integer semantics)."""


def _logic(a: Dim, b: Dim, combine: Callable[[list[bool]], bool]) -> Dim:
    ta, tb = truth(a), truth(b)
    if ta is None or tb is None:
        # And with a known false, Or with a known true, decides anyway
        known = [t for t in (ta, tb) if t is not None]
        if combine is all and False in known:
            return 0
        if combine is any and True in known:
            return 1
        return None
    return int(combine([ta, tb]))
