"""Elementwise ops: same-shape unary ops, broadcasting binary/variadic ops, Where, Expand.

ONNX semantics relied on: unary elementwise ops keep their input's shape;
binary and variadic ops (Add…Max, comparisons, logic) use multidirectional
numpy broadcasting (opset ≥ 7); comparisons and logic yield bool; the legacy
forms (Add_v1/v6 etc.) broadcast B into A, so the result has A's shape.
Shape values are computed elementwise with integer semantics.
"""

from __future__ import annotations

from onnxforge.analysis.shapes import dims
from onnxforge.analysis.shapes.context import Ctx
from onnxforge.analysis.shapes.facts import INT_ELEMS
from onnxforge.analysis.shapes.registry import rule
from onnxforge.analysis.shapes.rules.common import BOOL, broadcast_shapes, first_elem, same_as_input
from onnxforge.analysis.shapes.values import BINARY, elementwise, truth
from onnxforge.dialects.onnx import queries

_UNARY = ["Abs", "Acos", "Acosh", "Asin", "Asinh", "Atan", "Atanh", "Ceil", "Cos", "Cosh", "Elu", "Erf", "Exp", "Floor", "Gelu", "HardSigmoid", "HardSwish", "Hardmax", "LeakyRelu", "Log", "LogSoftmax", "LpNormalization", "Mish", "Neg", "Reciprocal", "Relu", "Round", "Selu", "Shrink", "Sigmoid", "Sign", "Sin", "Sinh", "Softmax", "Softplus", "Softsign", "Sqrt", "Tan", "Tanh", "ThresholdedRelu", "Celu", "Identity", "Not", "BitwiseNot", "Clip", "CumSum", "Trilu", "MeanVarianceNormalization", "LRN", "Swish"]


@rule(*_UNARY)
def unary(ctx: Ctx) -> None:
    """Elementwise: the result has the input's shape and element type."""
    same_as_input(ctx)
    op_type = ctx.op.name.removeprefix("onnx.").split("_v")[0]
    value = ctx.value(0)
    if value is None or ctx.elem(0) not in INT_ELEMS:
        if op_type == "Identity":
            ctx.set(0, const=ctx.const(0))
        return
    if op_type == "Identity":
        ctx.set(0, value=value, const=ctx.const(0))
    elif op_type in ("Neg", "Neg_v1"):
        ctx.set(0, value=[dims.neg(v) for v in value])
    elif op_type == "Abs":
        ctx.set(0, value=[v if v is not None and dims.le(0, v) else (dims.neg(v) if v is not None and dims.lt(v, 0) else None) for v in value])
    elif op_type == "Not":
        ctx.set(0, value=[None if truth(v) is None else int(not truth(v)) for v in value])


@rule("IsNaN", "IsInf")
def predicate(ctx: Ctx) -> None:
    """Elementwise test: input's shape, bool."""
    same_as_input(ctx, elem=BOOL)


@rule("Dropout")
def dropout(ctx: Ctx) -> None:
    """Output and mask have the input's shape; the mask is bool (opset ≥ 10) — left untyped before."""
    same_as_input(ctx)
    if ctx.since >= 10:
        ctx.set(1, shape=ctx.shape(0), elem=BOOL)
        if ctx.value(0) is not None:
            ctx.set(0, value=ctx.value(0))


_COMPARE = {"Equal", "Less", "Greater", "LessOrEqual", "GreaterOrEqual", "And", "Or", "Xor"}
_LEGACY_BROADCAST = ["Add", "Sub", "Mul", "Div", "Pow", "And", "Or", "Xor", "Equal", "Less", "Greater"]
"""Before opset 7 these broadcast B into A (``broadcast``/``axis`` attributes)."""
_VARIADIC = ["Max", "Min", "Sum", "Mean"]
"""Before opset 6 these take inputs of one shape."""
_BROADCAST = ["Mod", "LessOrEqual", "GreaterOrEqual", "BitShift", "BitwiseAnd", "BitwiseOr", "BitwiseXor"]


@rule(*_LEGACY_BROADCAST, since=7)
@rule(*_VARIADIC, since=6)
@rule(*_BROADCAST)
def broadcast(ctx: Ctx) -> None:
    """Multidirectional broadcasting of all inputs; comparisons and logic give bool."""
    op_type = queries.op_type(ctx.op)
    shapes = [ctx.shape(i) for i in range(ctx.n_in) if ctx.has(i)]
    shape = broadcast_shapes(shapes)
    in_elem = first_elem(ctx)
    elem = BOOL if op_type in _COMPARE else in_elem
    ctx.set(0, shape=shape, elem=elem)
    fn = dims.fmod if op_type == "Mod" and ctx.int_attr("fmod", 0) else BINARY.get(op_type)
    if fn is None or in_elem not in INT_ELEMS:
        return
    parts = [ctx.value(i) for i in range(ctx.n_in) if ctx.has(i)]
    if any(p is None for p in parts) or any(s is None or len(s) > 1 for s in shapes):
        return
    if op_type in ("Max", "Min"):
        result = parts[0]
        for part in parts[1:]:
            result = elementwise(fn, [result, part])  # type: ignore[list-item]
            if result is None:
                return
    elif len(parts) == 2:
        result = elementwise(fn, parts)  # type: ignore[arg-type]
    else:
        return
    if result is not None and (shape is None or len(shape) <= 1):
        ctx.set(0, value=result)


@rule(*_LEGACY_BROADCAST, before=7)
def legacy_broadcast(ctx: Ctx) -> None:
    """Legacy broadcasting (opset < 7): B is broadcast into A, so the result has A's shape."""
    op_type = queries.op_type(ctx.op)
    ctx.set(0, shape=ctx.shape(0), elem=BOOL if op_type in _COMPARE else first_elem(ctx))


@rule(*_VARIADIC, before=6)
def legacy_variadic(ctx: Ctx) -> None:
    """Opset-1 variadic ops take inputs of one shape (no broadcasting)."""
    shapes = [ctx.shape(i) for i in range(ctx.n_in)]
    ctx.set(0, shape=broadcast_shapes(shapes), elem=first_elem(ctx))


@rule("PRelu")
def prelu(ctx: Ctx) -> None:
    """Slope broadcasts unidirectionally into X: the result has X's shape."""
    same_as_input(ctx)


@rule("Where")
def where(ctx: Ctx) -> None:
    """Broadcast of condition, X and Y; the element type is X's. Values pick per decided condition."""
    shapes = [ctx.shape(i) for i in range(3)]
    shape = broadcast_shapes(shapes)
    ctx.set(0, shape=shape, elem=first_elem(ctx, 1, 2))
    parts = [ctx.value(i) for i in range(3)]
    if any(p is None for p in parts) or any(s is None or len(s) > 1 for s in shapes):
        return

    def pick(c, x, y):  # type: ignore[no-untyped-def]
        t = truth(c)
        return None if t is None else (x if t else y)

    result = elementwise(pick, parts)  # type: ignore[arg-type]
    if result is not None:
        ctx.set(0, value=result)


@rule("Expand")
def expand(ctx: Ctx) -> None:
    """Bidirectional broadcast of the input's shape with the ``shape`` input's contents."""
    target = ctx.value(1)
    if target is None:
        length = ctx.shape(1)
        if length is not None and len(length) == 1 and type(length[0]) is int and ctx.rank(0) is not None:
            # rank only: max of both ranks; dims where the input is known and not 1 may still grow → unknown
            rank = max(length[0], ctx.rank(0))  # type: ignore[type-var]
            ctx.set(0, shape=[None] * rank, elem=ctx.elem(0))
        else:
            ctx.set(0, elem=ctx.elem(0))
        return
    shape = broadcast_shapes([ctx.shape(0), target])
    ctx.set(0, shape=shape, elem=ctx.elem(0))
    value = ctx.value(0)
    if value is not None and shape is not None and len(shape) <= 1 and ctx.elem(0) in INT_ELEMS:
        if len(shape) == 1 and type(shape[0]) is int and len(value) in (1, shape[0]):
            ctx.set(0, value=value * (shape[0] // len(value)))
        elif len(shape) == 0:
            ctx.set(0, value=value)
