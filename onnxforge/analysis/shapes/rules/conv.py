"""Convolution and pooling: output spatial sizes from kernel, strides, dilations and padding.

ONNX semantics relied on (Conv/pool operator docs): with explicit pads
``out = floor((in + pad_begin + pad_end - dilation*(k-1) - 1) / stride) + 1``
(``ceil`` for pools with ``ceil_mode``); ``VALID`` is the same with zero pads;
``SAME_UPPER``/``SAME_LOWER`` give ``ceil(in / stride)``. ConvTranspose gives
``stride*(in-1) + output_padding + dilation*(k-1) + 1 - pads`` or ``in*stride``
for SAME, unless ``output_shape`` is given. Symbolic sizes are divided only
when exact; a ceil-mode pool whose division is not exact is left unknown
(runtimes differ on the last partial window).
"""

from __future__ import annotations

from onnxforge.analysis.shapes import dims
from onnxforge.analysis.shapes.context import Ctx, GiveUp
from onnxforge.analysis.shapes.dims import Dim
from onnxforge.analysis.shapes.registry import rule
from onnxforge.analysis.shapes.rules.common import INT32, INT64


def spatial_out(size: Dim, k: int, stride: int, dilation: int, pb: int, pe: int, auto_pad: str, ceil: bool) -> Dim:
    if auto_pad in ("SAME_UPPER", "SAME_LOWER"):
        if type(size) is int:
            return -(-size // stride)
        return dims.exact_div(size, stride)
    if auto_pad == "VALID":
        pb = pe = 0
    numer = dims.sub(dims.add(size, pb + pe), dilation * (k - 1) + 1)
    if numer is None:
        return None
    if type(numer) is int:
        if ceil:
            exact = numer % stride == 0
            return numer // stride + 1 if exact else None
        return numer // stride + 1
    return dims.add(dims.exact_div(numer, stride), 1)


def _window(ctx: Ctx, x: tuple[Dim, ...], kernel: list[int] | None) -> tuple[list[int], list[int], list[int], list[int], str]:
    n = len(x) - 2
    if kernel is None or len(kernel) != n:
        raise GiveUp
    strides = ctx.ints_attr("strides") or [1] * n
    dilations = ctx.ints_attr("dilations") or [1] * n
    pads = ctx.ints_attr("pads") or [0] * (2 * n)
    auto_pad = ctx.str_attr("auto_pad", "NOTSET") or "NOTSET"
    if len(strides) != n or len(dilations) != n or len(pads) != 2 * n:
        raise GiveUp
    return strides, dilations, pads, kernel, auto_pad


def _spatial(ctx: Ctx, x: tuple[Dim, ...], kernel: list[int] | None, ceil: bool = False) -> list[Dim]:
    strides, dilations, pads, kernel, auto_pad = _window(ctx, x, kernel)
    n = len(x) - 2
    return [
        spatial_out(x[2 + i], kernel[i], strides[i], dilations[i], pads[i], pads[n + i], auto_pad, ceil)
        for i in range(n)
    ]


def _kernel_from_weight(ctx: Ctx, w_index: int) -> list[int] | None:
    kernel = ctx.ints_attr("kernel_shape")
    if kernel is not None:
        return kernel
    w = ctx.shape(w_index)
    if w is None or any(type(d) is not int for d in w[2:]):
        return None
    return list(w[2:])  # type: ignore[arg-type]


@rule("Conv", "ConvInteger", "QLinearConv")
def conv(ctx: Ctx) -> None:
    """(N, M, spatial…): M is the weight's dim 0; spatial from the window formula."""
    w_index = 3 if ctx.kind == "QLinearConv" else 1
    elem = {"Conv": ctx.elem(0), "ConvInteger": INT32, "QLinearConv": ctx.elem(7)}[ctx.kind]
    x, w = ctx.shape(0), ctx.shape(w_index)
    ctx.set(0, elem=elem)
    if x is None or len(x) < 3:
        return
    m = w[0] if w is not None and len(w) == len(x) else None
    ctx.set(0, shape=[x[0], m, *_spatial(ctx, x, _kernel_from_weight(ctx, w_index))])


@rule("ConvTranspose")
def conv_transpose(ctx: Ctx) -> None:
    """(N, C_out*group… , spatial…): channels are weight dim 1 × group; spatial by the transpose formula."""
    x, w = ctx.shape(0), ctx.shape(1)
    ctx.set(0, elem=ctx.elem(0))
    if x is None or len(x) < 3:
        return
    n = len(x) - 2
    group = ctx.int_attr("group", 1)
    m = dims.mul(w[1], group) if w is not None and len(w) == len(x) else None
    output_shape = ctx.ints_attr("output_shape")
    if output_shape is not None:
        if len(output_shape) != n:
            raise GiveUp
        ctx.set(0, shape=[x[0], m, *output_shape])
        return
    strides, dilations, pads, kernel, auto_pad = _window(ctx, x, _kernel_from_weight(ctx, 1))
    out_pad = ctx.ints_attr("output_padding") or [0] * n
    spatial: list[Dim] = []
    for i in range(n):
        if auto_pad in ("SAME_UPPER", "SAME_LOWER"):
            spatial.append(dims.mul(x[2 + i], strides[i]))
            continue
        pb, pe = (0, 0) if auto_pad == "VALID" else (pads[i], pads[n + i])
        base = dims.mul(dims.sub(x[2 + i], 1), strides[i])
        spatial.append(dims.add(base, out_pad[i] + dilations[i] * (kernel[i] - 1) + 1 - pb - pe))
    ctx.set(0, shape=[x[0], m, *spatial])


@rule("MaxPool", "AveragePool", "LpPool")
def pool(ctx: Ctx) -> None:
    """(N, C, spatial…) by the window formula; MaxPool's Indices output has the same shape, int64."""
    x = ctx.shape(0)
    ctx.set(0, elem=ctx.elem(0))
    ctx.set(1, elem=INT64)
    if x is None or len(x) < 3:
        return
    ceil = bool(ctx.int_attr("ceil_mode", 0))
    shape = [x[0], x[1], *_spatial(ctx, x, ctx.ints_attr("kernel_shape"), ceil)]
    ctx.set(0, shape=shape)
    ctx.set(1, shape=shape)


@rule("GlobalAveragePool", "GlobalMaxPool", "GlobalLpPool")
def global_pool(ctx: Ctx) -> None:
    """(N, C, 1, 1, …)."""
    x = ctx.shape(0)
    ctx.set(0, elem=ctx.elem(0), shape=None if x is None or len(x) < 2 else [x[0], x[1], *([1] * (len(x) - 2))])


@rule("DepthToSpace")
def depth_to_space(ctx: Ctx) -> None:
    """(N, C/b², H*b, W*b)."""
    x = ctx.need_shape(0)
    b = ctx.int_attr("blocksize")
    if len(x) != 4 or not b:
        raise GiveUp
    ctx.set(0, elem=ctx.elem(0), shape=[x[0], dims.exact_div(x[1], b * b), dims.mul(x[2], b), dims.mul(x[3], b)])


@rule("SpaceToDepth")
def space_to_depth(ctx: Ctx) -> None:
    """(N, C*b², H/b, W/b)."""
    x = ctx.need_shape(0)
    b = ctx.int_attr("blocksize")
    if len(x) != 4 or not b:
        raise GiveUp
    ctx.set(0, elem=ctx.elem(0), shape=[x[0], dims.mul(x[1], b * b), dims.exact_div(x[2], b), dims.exact_div(x[3], b)])
