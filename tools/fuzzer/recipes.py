"""The op vocabulary of the random-graph generator: one recipe per family, each emitting a few nodes.

A recipe takes the builder, picks operands from its pool that fit (dtype, rank, known dims) and returns
False when none fit. The families follow what forgec's passes rewrite, so the fuzzer lands where bugs are
likely: neutral elements and edge constants for the folders (0, -1, 1, NaN, inf, INT_MIN), shape chains
on symbolic dims for the shape simplifier, slices that produce empty tensors for the dims-≥1
assumptions, and the decomposed LayerNorm / RMSNorm / GELU / attention / Conv+BN / linear subgraphs that
the fusions match, in exact and near-miss forms.
"""

from __future__ import annotations

import numpy as np
from onnx import numpy_helper

from .builder import BFLOAT16, BOOL, FLOAT, FLOAT16, INT32, INT64, Builder, Value

F32_EDGES = [0.0, -0.0, 1.0, -1.0, np.nan, np.inf, -np.inf, 1e-30, 3.4e38]
INT_EDGES = {INT64: [0, 1, -1, 7, -7, np.iinfo(np.int64).min, np.iinfo(np.int64).max],
             INT32: [0, 1, -1, 7, -7, np.iinfo(np.int32).min, np.iinfo(np.int32).max]}
INT64_MAX, INT64_MIN = np.iinfo(np.int64).max, np.iinfo(np.int64).min


def _is_float(v: Value) -> bool:
    return v.dtype == FLOAT


def _float_const(b: Builder, shape: tuple[int, ...], edge: float = 0.2) -> np.ndarray:
    """Normal values with some entries replaced by edge values (probability ``edge`` per tensor)."""
    data = b.rng.standard_normal(shape).astype(np.float32)
    if b.rng.random() < edge and data.size:
        flat = data.reshape(-1)
        for i in b.rng.choice(flat.size, size=max(1, flat.size // 3), replace=False):
            flat[i] = F32_EDGES[int(b.rng.integers(len(F32_EDGES)))]
    return data


def unary(b: Builder) -> bool:
    x = b.pick(_is_float)
    if x is None:
        return False
    op = str(b.rng.choice(["Relu", "Sigmoid", "Tanh", "Neg", "Abs", "Exp", "Log", "Sqrt", "Erf", "Reciprocal",
                           "Floor", "Identity", "Softplus", "Sign"]))
    b.op(op, [x], FLOAT, x.shape)
    return True


def binary(b: Builder) -> bool:
    x = b.pick(_is_float)
    if x is None:
        return False
    op = str(b.rng.choice(["Add", "Sub", "Mul", "Div", "Max", "Min", "Pow"]))
    same = [v for v in b.pool if v.dtype == FLOAT and v.shape == x.shape and v is not x]
    roll = b.rng.random()
    if same and roll < 0.35:
        y = same[int(b.rng.integers(len(same)))]
    elif roll < 0.7:  # a neutral or absorbing element: the folders' favourite rewrites
        scalar = float(b.rng.choice([0.0, -0.0, 1.0, -1.0, 2.0, 0.5, np.nan, np.inf]))
        y = b.const(np.array(scalar, dtype=np.float32) if b.rng.random() < 0.5 else np.full([1], scalar, np.float32))
    else:
        last = x.static(-1) if x.rank else None
        shape = (last,) if last is not None and b.rng.random() < 0.7 else ()
        y = b.const(_float_const(b, shape))
    operands = [x, y] if b.rng.random() < 0.7 else [y, x]
    b.op(op, operands, FLOAT, x.shape if x.rank >= y.rank else y.shape)
    return True


def matmul(b: Builder) -> bool:
    x = b.pick(lambda v: _is_float(v) and v.rank >= 2 and v.static(-1) is not None)
    if x is None:
        return False
    k, n = x.static(-1), int(b.rng.choice([1, 3, 4, 8]))
    assert k is not None
    if x.rank == 2 and b.rng.random() < 0.4:
        trans_b = int(b.rng.integers(2))
        w = b.const(_float_const(b, (n, k) if trans_b else (k, n)), as_node=False)
        args = [x, w] + ([b.const(_float_const(b, (n,)))] if b.rng.random() < 0.7 else [])
        b.op("Gemm", args, FLOAT, (x.shape[0], n), transB=trans_b, alpha=float(b.rng.choice([1.0, 0.5])),
             beta=float(b.rng.choice([1.0, 2.0])))
        return True
    w = b.const(_float_const(b, (k, n), edge=0.05), as_node=bool(b.rng.random() < 0.15))
    y = b.op("MatMul", [x, w], FLOAT, (*x.shape[:-1], n))
    if b.rng.random() < 0.6:  # the linear fusion's bias
        bias = b.const(_float_const(b, (n,), edge=0.05))
        b.op("Add", [y, bias] if b.rng.random() < 0.8 else [bias, y], FLOAT, y.shape)
    return True


def reshape(b: Builder) -> bool:
    x = b.pick(lambda v: v.rank >= 2)
    if x is None:
        return False
    a, c = x.shape[-2], x.shape[-1]
    merged = a * c if isinstance(a, int) and isinstance(c, int) else None
    if b.rng.random() < 0.5:
        target = b.const(np.array([0] * (x.rank - 2) + [-1], dtype=np.int64))
    else:  # through a shape chain on symbolic dims: Shape → Slice/Gather → Concat
        shape = b.op("Shape", [x], INT64, (x.rank,), pool=False)
        head = b.op("Slice", [shape, b.const(np.array([0], np.int64)), b.const(np.array([x.rank - 2], np.int64))],
                    INT64, (x.rank - 2,), pool=False)
        target = b.op("Concat", [head, b.const(np.array([-1], np.int64))], INT64, (x.rank - 1,), pool=False, axis=0)
    b.op("Reshape", [x, target], x.dtype, (*x.shape[:-2], merged))
    return True


def transpose(b: Builder) -> bool:
    x = b.pick(lambda v: v.rank >= 2)
    if x is None:
        return False
    perm = [int(p) for p in b.rng.permutation(x.rank)]
    b.op("Transpose", [x], x.dtype, tuple(x.shape[p] for p in perm), perm=perm)
    return True


def concat(b: Builder) -> bool:
    x = b.pick(lambda v: v.rank >= 1)
    if x is None:
        return False
    axis = int(b.rng.integers(-x.rank, x.rank))
    same = [v for v in b.pool if v.shape == x.shape and v.dtype == x.dtype]
    y = same[int(b.rng.integers(len(same)))]
    dim = x.shape[axis]
    shape = list(x.shape)
    shape[axis] = 2 * dim if isinstance(dim, int) else None
    b.op("Concat", [x, y], x.dtype, tuple(shape), axis=axis)
    return True


def slice_(b: Builder) -> bool:
    x = b.pick(lambda v: v.rank >= 1)
    if x is None:
        return False
    axis = int(b.rng.integers(x.rank))
    dim = x.shape[axis]
    choices = [(0, INT64_MAX, 1), (-1, INT64_MIN, -1), (1, INT64_MAX, 1), (0, -1, 1), (INT64_MIN, INT64_MAX, 2),
               (0, 0, 1), (-2, INT64_MAX, 1), (5, 2, 1), (INT64_MAX, INT64_MIN, -2)]
    start, end, step = choices[int(b.rng.integers(len(choices)))]
    shape = list(x.shape)
    shape[axis] = len(range(dim)[slice(start, end, step)]) if isinstance(dim, int) else None
    args = [x, b.const(np.array([start], np.int64)), b.const(np.array([end], np.int64)),
            b.const(np.array([axis if b.rng.random() < 0.5 else axis - x.rank], np.int64))]
    if step != 1 or b.rng.random() < 0.5:
        args.append(b.const(np.array([step], np.int64)))
    b.op("Slice", args, x.dtype, tuple(shape))
    return True


def gather(b: Builder) -> bool:
    x = b.pick(lambda v: v.rank >= 1 and any(isinstance(d, int) and d > 0 for d in v.shape))
    if x is None:
        return False
    axes = [a for a, d in enumerate(x.shape) if isinstance(d, int) and d > 0]
    axis = int(b.rng.choice(axes))
    dim = x.shape[axis]
    assert isinstance(dim, int)
    if b.rng.random() < 0.4:
        index = b.const(np.array(int(b.rng.integers(-dim, dim)), np.int64))
        shape = x.shape[:axis] + x.shape[axis + 1:]
    else:
        count = int(b.rng.integers(1, 4))
        index = b.const(b.rng.integers(-dim, dim, size=count).astype(np.int64))
        shape = x.shape[:axis] + (count,) + x.shape[axis + 1:]
    b.op("Gather", [x, index], x.dtype, shape, axis=axis)
    return True


def shape_chain(b: Builder) -> bool:
    """Shape / Size / Equal / Where on symbolic dims: the chains exporters emit for dynamic reshapes and masks."""
    x = b.pick(lambda v: _is_float(v) and v.rank >= 1)
    if x is None:
        return False
    kind = int(b.rng.integers(3))
    if kind == 0:  # Where(Shape(x)[i] == k, x, c)
        shape = b.op("Shape", [x], INT64, (x.rank,), pool=False)
        dim = b.op("Gather", [shape, b.const(np.array(int(b.rng.integers(x.rank)), np.int64))], INT64, (), pool=False, axis=0)
        cond = b.op("Equal", [dim, b.const(np.array(int(b.rng.choice([0, 1, 2, 4])), np.int64))], BOOL, (), pool=False)
        other = b.const(np.array(float(b.rng.choice([0.0, -np.inf, 1.0])), np.float32))
        b.op("Where", [cond, x, other], FLOAT, x.shape)
    elif kind == 1:  # x / Size(x)  (a mean by hand; Size can be 0)
        size = b.op("Size", [x], INT64, (), pool=False)
        as_float = b.op("Cast", [size], FLOAT, (), pool=False, to=FLOAT)
        b.op("Div", [x, as_float], FLOAT, x.shape)
    else:  # Expand(c, Shape(x)) + x, then ConstantOfShape(Shape(x))
        shape = b.op("Shape", [x], INT64, (x.rank,), pool=False)
        if b.rng.random() < 0.5:
            expanded = b.op("Expand", [b.const(np.array([1.5], np.float32)), shape], FLOAT, x.shape, pool=False)
        else:
            expanded = b.op("ConstantOfShape", [shape], FLOAT, x.shape, pool=False,
                            value=numpy_helper.from_array(np.array([0.25], np.float32), "value"))
        b.op("Mul", [x, expanded], FLOAT, x.shape)
    return True


def reduce(b: Builder) -> bool:
    x = b.pick(lambda v: _is_float(v) and v.rank >= 1)
    if x is None:
        return False
    op = str(b.rng.choice(["ReduceSum", "ReduceMean", "ReduceMax", "ReduceMin", "ReduceProd", "ReduceL2"]))
    axes = sorted({int(a) for a in b.rng.choice(x.rank, size=int(b.rng.integers(1, x.rank + 1)), replace=False)})
    keep = int(b.rng.integers(2))
    shape = tuple((1 if keep else None) if i in axes else d for i, d in enumerate(x.shape))
    shape = tuple(d for d in shape if d is not None) if not keep else shape
    signed = [a - x.rank if b.rng.random() < 0.5 else a for a in axes]
    if op == "ReduceSum" or b.opset >= 18:
        b.op(op, [x, b.const(np.array(signed, np.int64))], FLOAT, shape, keepdims=keep)
    else:
        b.op(op, [x], FLOAT, shape, axes=signed, keepdims=keep)
    return True


def softmax(b: Builder) -> bool:
    x = b.pick(lambda v: _is_float(v) and v.rank >= 1)
    if x is None:
        return False
    op = str(b.rng.choice(["Softmax", "LogSoftmax"]))
    b.op(op, [x], FLOAT, x.shape, axis=int(b.rng.integers(-x.rank, x.rank)))
    return True


def layer_norm(b: Builder) -> bool:
    """LayerNorm decomposed as exporters write it (or, sometimes, with the wrong axis or eps as a near miss)."""
    x = b.pick(lambda v: _is_float(v) and v.rank >= 2 and v.static(-1) is not None)
    if x is None:
        return False
    d = x.static(-1)
    assert d is not None
    axis = -1 if b.rng.random() < 0.85 else -2
    keep = x.shape[:-1] + (1,) if axis == -1 else x.shape[:-2] + (1, x.shape[-1])

    def mean(v: Value) -> Value:
        if b.opset >= 18:
            return b.op("ReduceMean", [v, b.const(np.array([axis], np.int64))], FLOAT, keep, pool=False, keepdims=1)
        return b.op("ReduceMean", [v], FLOAT, keep, pool=False, axes=[axis], keepdims=1)

    centred = b.op("Sub", [x, mean(x)], FLOAT, x.shape, pool=False)
    if b.rng.random() < 0.5:
        squared = b.op("Pow", [centred, b.const(np.array(2.0, np.float32))], FLOAT, x.shape, pool=False)
    else:
        squared = b.op("Mul", [centred, centred], FLOAT, x.shape, pool=False)
    eps = b.const(np.array(float(b.rng.choice([1e-5, 1e-12, 0.0])), np.float32))
    std = b.op("Sqrt", [b.op("Add", [mean(squared), eps], FLOAT, keep, pool=False)], FLOAT, keep, pool=False)
    normed = b.op("Div", [centred, std], FLOAT, x.shape, pool=False)
    scaled = b.op("Mul", [normed, b.const(_float_const(b, (d,), edge=0.05))], FLOAT, x.shape, pool=False)
    b.op("Add", [scaled, b.const(_float_const(b, (d,), edge=0.05))], FLOAT, x.shape)
    return True


def rms_norm(b: Builder) -> bool:
    x = b.pick(lambda v: _is_float(v) and v.rank >= 2 and v.static(-1) is not None)
    if x is None:
        return False
    d = x.static(-1)
    assert d is not None
    keep = x.shape[:-1] + (1,)
    squared = b.op("Pow", [x, b.const(np.array(2.0, np.float32))], FLOAT, x.shape, pool=False)
    if b.opset >= 18:
        mean = b.op("ReduceMean", [squared, b.const(np.array([-1], np.int64))], FLOAT, keep, pool=False, keepdims=1)
    else:
        mean = b.op("ReduceMean", [squared], FLOAT, keep, pool=False, axes=[-1], keepdims=1)
    root = b.op("Sqrt", [b.op("Add", [mean, b.const(np.array(1e-6, np.float32))], FLOAT, keep, pool=False)],
                FLOAT, keep, pool=False)
    inverse = b.op("Reciprocal", [root], FLOAT, keep, pool=False)
    normed = b.op("Mul", [x, inverse], FLOAT, x.shape, pool=False)
    b.op("Mul", [b.const(_float_const(b, (d,), edge=0.05)), normed], FLOAT, x.shape)
    return True


def gelu(b: Builder) -> bool:
    x = b.pick(_is_float)
    if x is None:
        return False
    half = b.op("Mul", [x, b.const(np.array(0.5, np.float32))], FLOAT, x.shape, pool=False)
    if b.rng.random() < 0.5:  # erf form
        scaled = b.op("Div", [x, b.const(np.array(1.4142135, np.float32))], FLOAT, x.shape, pool=False)
        inner = b.op("Erf", [scaled], FLOAT, x.shape, pool=False)
    else:  # tanh form
        cube = b.op("Pow", [x, b.const(np.array(3.0, np.float32))], FLOAT, x.shape, pool=False)
        poly = b.op("Add", [x, b.op("Mul", [cube, b.const(np.array(0.044715, np.float32))], FLOAT, x.shape, pool=False)],
                    FLOAT, x.shape, pool=False)
        inner = b.op("Tanh", [b.op("Mul", [poly, b.const(np.array(0.7978846, np.float32))], FLOAT, x.shape, pool=False)],
                     FLOAT, x.shape, pool=False)
    one = b.op("Add", [inner, b.const(np.array(1.0, np.float32))], FLOAT, x.shape, pool=False)
    b.op("Mul", [half, one], FLOAT, x.shape)
    return True


def attention(b: Builder) -> bool:
    """Multi-head self-attention as exporters decompose it: projections, head split, scaled scores, softmax."""
    x = b.pick(lambda v: _is_float(v) and v.rank == 3 and v.static(-1) in (4, 8))
    if x is None:
        return False
    d = x.static(-1)
    assert d is not None
    heads = int(b.rng.choice([1, 2])) if d == 4 else int(b.rng.choice([1, 2, 4]))
    hd = d // heads
    batch, seq = x.shape[0], x.shape[1]
    v_width = d if b.rng.random() < 0.85 else 2 * d  # near miss: V projection wider than Q/K

    def project(width: int) -> Value:
        w = b.const(_float_const(b, (d, width), edge=0.02), as_node=False)
        y = b.op("MatMul", [x, w], FLOAT, (batch, seq, width), pool=False)
        return b.op("Add", [y, b.const(_float_const(b, (width,), edge=0.02), as_node=False)], FLOAT, y.shape, pool=False)

    def heads_of(v: Value, width: int, perm: list[int]) -> Value:
        split = b.op("Reshape", [v, b.const(np.array([0, 0, heads, width // heads], np.int64))], FLOAT,
                     (batch, seq, heads, width // heads), pool=False)
        shape = tuple((batch, seq, heads, width // heads)[p] for p in perm)
        return b.op("Transpose", [split], FLOAT, shape, pool=False, perm=perm)

    q = heads_of(project(d), d, [0, 2, 1, 3])
    k = heads_of(project(d), d, [0, 2, 3, 1])
    v = heads_of(project(v_width), v_width, [0, 2, 1, 3])
    scores = b.op("MatMul", [q, k], FLOAT, (batch, heads, seq, seq), pool=False)
    if b.rng.random() < 0.5:
        scores = b.op("Div", [scores, b.const(np.array(np.sqrt(hd), np.float32))], FLOAT, scores.shape, pool=False)
    else:
        scores = b.op("Mul", [scores, b.const(np.array(1 / np.sqrt(hd), np.float32))], FLOAT, scores.shape, pool=False)
    if b.rng.random() < 0.4:  # additive mask with -inf / large negatives
        mask = np.where(b.rng.random((1, 1, 1, 1)) < 0.5, 0.0, float(b.rng.choice([-1e9, -np.inf]))).astype(np.float32)
        scores = b.op("Add", [scores, b.const(mask)], FLOAT, scores.shape, pool=False)
    probs = b.op("Softmax", [scores], FLOAT, scores.shape, pool=False, axis=-1)
    context = b.op("MatMul", [probs, v], FLOAT, (batch, heads, seq, v_width // heads), pool=False)
    merged = b.op("Transpose", [context], FLOAT, (batch, seq, heads, v_width // heads), pool=False, perm=[0, 2, 1, 3])
    b.op("Reshape", [merged, b.const(np.array([0, 0, v_width], np.int64))], FLOAT, (batch, seq, v_width))
    return True


def integer_ops(b: Builder) -> bool:
    """Div / Mod on integers with edge values, folded (both constant) or not, then back to float."""
    x = b.pick(lambda v: v.dtype in (INT64, INT32) or _is_float(v))
    if x is None:
        return False
    dtype = x.dtype if x.dtype in (INT64, INT32) else int(b.rng.choice([INT64, INT32]))
    npt = np.int64 if dtype == INT64 else np.int32
    edges = INT_EDGES[dtype]
    divisors = np.array([e for e in edges if e != 0][:5], npt)
    if x.dtype != dtype:
        x = b.op("Cast", [x], dtype, x.shape, pool=False, to=dtype)
    op = str(b.rng.choice(["Div", "Mod"]))
    attrs = {"fmod": int(b.rng.integers(2))} if op == "Mod" else {}
    if b.rng.random() < 0.5:  # both constant: the folder's semantics against onnxruntime's
        left = np.array(edges[1:] + [edges[-2] + 1], npt)  # 1, -1, 7, -7, INT_MIN, INT_MAX, INT_MIN + 1
        right = np.array([7, 7, 3, 2, 3, 7, -7], npt)  # negative inexact quotients: truncation ≠ floor; never INT_MIN / -1
        folded = b.op(op, [b.const(left), b.const(right)], dtype, left.shape, pool=False, **attrs)
        y = b.op("Add", [x, folded] if x.rank == 1 and x.static(0) == left.size else [x, b.op(
            "ReduceSum", [folded, b.const(np.array([0], np.int64))], dtype, (1,), pool=False, keepdims=1)], dtype, x.shape,
            pool=False)
    else:
        divisor = divisors[int(b.rng.integers(1, len(divisors)))]  # never -1 against a runtime INT_MIN
        y = b.op(op, [x, b.const(np.array(divisor, npt))], dtype, x.shape, pool=False, **attrs)
    b.op("Cast", [y], FLOAT, x.shape, to=FLOAT)
    return True


def casts(b: Builder) -> bool:
    """float → float16 / bfloat16 → float, on a value or on a constant (the folder's low-precision paths)."""
    x = b.pick(_is_float)
    if x is None:
        return False
    low = int(b.rng.choice([FLOAT16, BFLOAT16]))
    if b.rng.random() < 0.5:
        narrow = b.op("Cast", [x], low, x.shape, pool=False, to=low)
        b.op("Cast", [narrow], FLOAT, x.shape, to=FLOAT)
    else:
        last = x.static(-1) if x.rank else None
        shape = (last,) if last is not None else ()
        data = _float_const(b, shape, edge=0.5)
        c = b.const(data)
        narrow = b.op("Cast", [c], low, shape, pool=False, to=low)
        wide = b.op("Cast", [narrow], FLOAT, shape, pool=False, to=FLOAT)
        b.op("Add", [x, wide], FLOAT, x.shape)
    return True


def conv_block(b: Builder) -> bool:
    """Conv → BatchNormalization → Relu/Clip: what the vision fusions match."""
    x = b.pick(lambda v: _is_float(v) and v.rank == 4 and v.static(1) is not None
               and all(isinstance(d, int) and d >= 3 for d in v.shape[2:]))
    if x is None:
        return False
    c = x.static(1)
    assert c is not None
    out = int(b.rng.choice([2, 4]))
    group = c if out % c == 0 and b.rng.random() < 0.3 else 1
    w = b.const(_float_const(b, (out, c // group, 3, 3), edge=0.02), as_node=False)
    pad = int(b.rng.integers(2))
    spatial = tuple(d - 2 + 2 * pad for d in x.shape[2:])  # type: ignore[operator]
    args = [x, w] + ([b.const(_float_const(b, (out,)), as_node=False)] if b.rng.random() < 0.5 else [])
    y = b.op("Conv", args, FLOAT, (x.shape[0], out, *spatial), pool=False, group=group, pads=[pad] * 4, kernel_shape=[3, 3])
    if b.rng.random() < 0.8:
        var = np.abs(_float_const(b, (out,), edge=0.0)) + float(b.rng.choice([0.0, 1.0]))
        stats = [b.const(_float_const(b, (out,), edge=0.05), as_node=False) for _ in range(3)]
        y = b.op("BatchNormalization", [y, stats[0], stats[1], stats[2], b.const(var.astype(np.float32), as_node=False)],
                 FLOAT, y.shape, pool=False, epsilon=float(b.rng.choice([1e-5, 0.0])))
    act = str(b.rng.choice(["Relu", "Clip", "Sigmoid", "none"]))
    if act == "Clip":
        y = b.op("Clip", [y, b.const(np.array(0.0, np.float32)), b.const(np.array(6.0, np.float32))], FLOAT, y.shape, pool=False)
    elif act != "none":
        y = b.op(act, [y], FLOAT, y.shape, pool=False)
    b.pool.append(y)
    return True


def unsqueeze(b: Builder) -> bool:
    x = b.pick(lambda v: 1 <= v.rank <= 3)
    if x is None:
        return False
    axis = int(b.rng.integers(x.rank + 1))
    shape = x.shape[:axis] + (1,) + x.shape[axis:]
    y = b.op("Unsqueeze", [x, b.const(np.array([axis], np.int64))], x.dtype, shape, pool=False)
    if b.rng.random() < 0.5:
        b.op("Squeeze", [y, b.const(np.array([axis - len(shape)], np.int64))], x.dtype, x.shape)
    else:
        b.pool.append(y)
    return True


def where_mask(b: Builder) -> bool:
    x = b.pick(_is_float)
    if x is None:
        return False
    cmp = str(b.rng.choice(["Greater", "Less", "Equal", "GreaterOrEqual"]))
    cond = b.op(cmp, [x, b.const(np.array(0.0, np.float32))], BOOL, x.shape, pool=False)
    if b.rng.random() < 0.3:
        cond = b.op("Not", [cond], BOOL, x.shape, pool=False)
    fill = b.const(np.array(float(b.rng.choice([0.0, -np.inf, np.nan, -1e9])), np.float32))
    b.op("Where", [cond, x, fill] if b.rng.random() < 0.5 else [cond, fill, x], FLOAT, x.shape)
    return True


def embedding(b: Builder) -> bool:
    ids = b.pick(lambda v: v.dtype == INT64 and v.rank == 2)
    if ids is None:
        return False
    width = int(b.rng.choice([4, 8]))
    table = b.const(_float_const(b, (int(b.rng.choice([2, 5])), width), edge=0.0), as_node=False)
    b.op("Gather", [table, ids], FLOAT, (*ids.shape, width), axis=0)
    return True


RECIPES = {
    "unary": (unary, 3), "binary": (binary, 5), "matmul": (matmul, 3), "reshape": (reshape, 2),
    "transpose": (transpose, 2), "concat": (concat, 1), "slice": (slice_, 2), "gather": (gather, 1),
    "shape_chain": (shape_chain, 2), "reduce": (reduce, 2), "softmax": (softmax, 1), "layer_norm": (layer_norm, 2),
    "rms_norm": (rms_norm, 1), "gelu": (gelu, 1), "attention": (attention, 2), "integer_ops": (integer_ops, 2),
    "casts": (casts, 2), "conv_block": (conv_block, 2), "unsqueeze": (unsqueeze, 1), "where_mask": (where_mask, 1),
    "embedding": (embedding, 2),
}
"""Recipe name → (recipe, weight)."""
