"""Constants, casts and generators: Constant, Cast/CastLike, ConstantOfShape, Range, Resize, EyeLike, …

ONNX semantics relied on: Constant's tensor comes from exactly one of its
value attributes; Cast keeps the shape and changes the type to ``to``;
ConstantOfShape's shape is its input's contents and its type the ``value``
attribute's (float32 zero by default); Range has
``max(ceil((limit - start) / delta), 0)`` elements; Resize's output is
``sizes`` or ``floor(dim * scale)``.
"""

from __future__ import annotations

import math

import numpy as np
from onnx import TensorProto

from onnxforge.analysis.shapes import dims
from onnxforge.analysis.shapes.context import Ctx, GiveUp
from onnxforge.analysis.shapes.dims import Dim
from onnxforge.analysis.shapes.facts import CONST_LIMIT, INT_ELEMS, VALUE_LIMIT
from onnxforge.analysis.shapes.registry import rule
from onnxforge.analysis.shapes.rules.common import FLOAT, INT64, same_as_input
from onnxforge.ir.tensor import np_dtype


@rule("Constant")
def constant(ctx: Ctx) -> None:
    """The tensor of whichever value attribute is set."""
    tensor = ctx.tensor_attr("value")
    if tensor is not None:
        ctx.set(0, elem=tensor.elem, shape=tensor.dims)
        if tensor.size <= CONST_LIMIT and not tensor.is_elided and tensor.strings is None:
            ctx.set(0, const=tensor.numpy())
        return
    props = ctx.op.properties
    if "value_int" in props:
        ctx.set(0, elem=INT64, shape=(), const=np.array(ctx.int_attr("value_int"), dtype=np.int64))
    elif "value_ints" in props:
        ctx.set(0, elem=INT64, const=np.array(ctx.ints_attr("value_ints"), dtype=np.int64))
    elif "value_float" in props:
        ctx.set(0, elem=FLOAT, shape=(), const=np.array(ctx.float_attr("value_float"), dtype=np.float32))
    elif "value_floats" in props:
        ctx.set(0, elem=FLOAT, const=np.array(ctx.floats_attr("value_floats"), dtype=np.float32))
    elif "value_string" in props:
        ctx.set(0, elem=TensorProto.STRING, shape=())
    elif "value_strings" in props:
        ctx.set(0, elem=TensorProto.STRING, shape=[len(props["value_strings"].data)])  # type: ignore[attr-defined]


def _cast_const(ctx: Ctx, to: int) -> None:
    const = ctx.const(0)
    if const is None or to in (TensorProto.STRING,) or const.dtype.kind not in "iubf":
        return
    try:
        target = np_dtype(to)
    except (KeyError, TypeError, ValueError):
        return
    if target.kind not in "iubf":
        return
    if const.dtype.kind == "f" and target.kind in "iu" and not np.all(np.isfinite(const)):
        return
    if target.kind in "iu" and const.size and const.dtype.kind in "iuf":
        info = np.iinfo(target)
        if const.min() < info.min or const.max() > info.max:
            return  # wrapping: leave it to a real run
    with np.errstate(all="ignore"):
        ctx.set(0, const=const.astype(target))


@rule("Cast")
def cast(ctx: Ctx) -> None:
    """Same shape, element type ``to``; int contents survive casts between int types (when in range)."""
    attr = ctx.attr("to")
    if ctx.since < 6:
        name = ctx.str_attr("to") or ""
        if name.upper() not in TensorProto.DataType:
            raise GiveUp
        to = TensorProto.DataType.Value(name.upper())
    else:
        to = ctx.int_attr("to") if attr is not None else None
        if to is None:
            raise GiveUp
    same_as_input(ctx, elem=to)
    ctx.outs[0].elem = to
    value = ctx.value(0)
    if value is not None and ctx.elem(0) in INT_ELEMS and to in (TensorProto.INT64, TensorProto.INT32):
        limit = 2**31 if to == TensorProto.INT32 else 2**63
        if all(v is None or type(v) is not int or -limit <= v < limit for v in value):
            ctx.set(0, value=value)
    _cast_const(ctx, to)


@rule("CastLike")
def cast_like(ctx: Ctx) -> None:
    """Same shape as input 0, element type of input 1 (unknown when input 1's is: never input 0's)."""
    to = ctx.elem(1)
    ctx.set(0, shape=ctx.shape(0))
    if to is not None:
        ctx.outs[0].elem = to
        value = ctx.value(0)
        if value is not None and ctx.elem(0) in INT_ELEMS and to in (TensorProto.INT64, TensorProto.INT32):
            ctx.set(0, value=value)
        _cast_const(ctx, to)


@rule("ConstantOfShape")
def constant_of_shape(ctx: Ctx) -> None:
    """Shape = the input's contents; filled with ``value`` (default float32 0)."""
    tensor = ctx.tensor_attr("value")
    elem = tensor.elem if tensor is not None else FLOAT
    ctx.set(0, elem=elem)
    shape = ctx.value(0)
    if shape is None:
        length = ctx.shape(0)
        if length is not None and len(length) == 1 and type(length[0]) is int:
            ctx.set(0, shape=[None] * length[0])
        return
    if any(d is not None and type(d) is int and d < 0 for d in shape):
        raise GiveUp
    ctx.set(0, shape=shape)
    if tensor is None or tensor.is_elided or tensor.strings is not None:
        fill = 0.0
    else:
        fill = tensor.numpy().reshape(-1)[0].item()
    if all(type(d) is int for d in shape):
        count = math.prod(shape)  # type: ignore[arg-type]
        if count <= CONST_LIMIT:
            ctx.set(0, const=np.full(shape, fill, dtype=np_dtype(elem)))  # type: ignore[arg-type]
    elif len(shape) == 1 and elem in INT_ELEMS and type(shape[0]) is int and shape[0] <= VALUE_LIMIT:
        ctx.set(0, value=[int(fill)] * shape[0])


def _scalar(ctx: Ctx, i: int) -> Dim:
    value = ctx.value(i)
    return value[0] if value is not None and len(value) == 1 else None


def _float_scalar(ctx: Ctx, i: int) -> float | None:
    const = ctx.const(i)
    return float(const.reshape(-1)[0]) if const is not None and const.size == 1 else None


@rule("Range")
def range_(ctx: Ctx) -> None:
    """1-D with max(ceil((limit - start) / delta), 0) elements, of start's type."""
    elem = ctx.elem(0)
    ctx.set(0, elem=elem)
    if elem in INT_ELEMS:
        start, limit, delta = _scalar(ctx, 0), _scalar(ctx, 1), _scalar(ctx, 2)
    else:
        start, limit, delta = _float_scalar(ctx, 0), _float_scalar(ctx, 1), _float_scalar(ctx, 2)  # type: ignore[assignment]
        if None not in (start, limit, delta) and delta != 0:
            n = max(math.ceil((limit - start) / delta), 0)  # type: ignore[operator]
            ctx.set(0, shape=[n])
            return
        ctx.set(0, shape=[None])
        return
    length: Dim = None
    if type(delta) is int and delta != 0:
        span = dims.sub(limit, start)
        if type(span) is int:
            length = max(-(-span // delta), 0)
        elif span is not None and delta in (1, -1):
            span = span if delta == 1 else dims.neg(span)
            if dims.le(span, 0):
                length = 0
            elif dims.le(0, span):
                length = span
    ctx.set(0, shape=[length])
    if type(length) is int and length <= VALUE_LIMIT and type(start) is int and type(delta) is int:
        ctx.set(0, value=[start + i * delta for i in range(length)])
    elif type(length) is int and length <= VALUE_LIMIT and start is not None and type(delta) is int:
        ctx.set(0, value=[dims.add(start, i * delta) for i in range(length)])


def _resized(src: tuple[Dim, ...], scales: list[float], axes: list[int]) -> list[Dim]:
    out = list(src)
    for axis, scale in zip(axes, scales):
        d = src[axis]
        if type(d) is int:
            out[axis] = math.floor(d * scale)
        elif d is not None and float(scale).is_integer() and scale > 0:
            out[axis] = dims.mul(d, int(scale))
        else:
            out[axis] = None
    return out


@rule("Upsample", since=9)
@rule("Resize")
def resize(ctx: Ctx) -> None:
    """``sizes`` when given, else floor(dim * scale) per axis (``axes`` from opset 18)."""
    ctx.set(0, elem=ctx.elem(0))
    src = ctx.need_shape(0)
    rank = len(src)
    axes = ctx.ints_attr("axes") or list(range(rank))
    axes = [a + rank if a < 0 else a for a in axes]
    scales_index, sizes_index = (1, None) if ctx.kind == "Upsample" or ctx.since < 11 else (2, 3)
    if sizes_index is not None and ctx.has(sizes_index):
        sizes = ctx.value(sizes_index)
        policy = ctx.str_attr("keep_aspect_ratio_policy", "stretch")
        if sizes is None or len(sizes) != len(axes) or policy != "stretch":
            ctx.set(0, shape=[None] * rank)
            return
        out = list(src)
        for axis, size in zip(axes, sizes):
            out[axis] = size
        ctx.set(0, shape=out)
        return
    const = ctx.const(scales_index) if ctx.has(scales_index) else None
    if ctx.str_attr("coordinate_transformation_mode", "") == "tf_crop_and_resize" or const is None or const.size != len(axes):
        ctx.set(0, shape=[None] * rank)
        return
    ctx.set(0, shape=_resized(src, [float(s) for s in const.reshape(-1)], axes))


@rule("EyeLike", "RandomNormalLike", "RandomUniformLike", "Bernoulli")
def like(ctx: Ctx) -> None:
    """The input's shape; element type ``dtype`` when given, else the input's."""
    same_as_input(ctx, elem=ctx.int_attr("dtype") or ctx.elem(0))


@rule("RandomNormal", "RandomUniform")
def random(ctx: Ctx) -> None:
    """Shape from the ``shape`` attribute; type ``dtype`` (float32 by default)."""
    ctx.set(0, elem=ctx.int_attr("dtype", FLOAT), shape=ctx.ints_attr("shape"))


@rule("QuantizeLinear")
def quantize(ctx: Ctx) -> None:
    """x's shape; the zero point's type, else ``output_dtype``, else uint8."""
    elem = ctx.elem(2) if ctx.has(2) else (ctx.int_attr("output_dtype", 0) or TensorProto.UINT8)
    same_as_input(ctx, elem=elem)


@rule("DequantizeLinear")
def dequantize(ctx: Ctx) -> None:
    """x's shape; the scale's type (float32 before opset 19)."""
    elem = ctx.elem(1) if ctx.since >= 13 else FLOAT
    same_as_input(ctx, elem=elem)
    if ctx.since >= 13 and ctx.int_attr("output_dtype", 0):
        ctx.outs[0].elem = ctx.int_attr("output_dtype")


@rule("GridSample")
def grid_sample(ctx: Ctx) -> None:
    """(N, C, grid's spatial dims…)."""
    x, grid = ctx.need_shape(0), ctx.need_shape(1)
    if len(grid) != len(x):
        raise GiveUp
    ctx.set(0, elem=ctx.elem(0), shape=[x[0], x[1], *grid[1:-1]])


