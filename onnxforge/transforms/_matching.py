"""Reading the IR around a fusion candidate: what the ``nn-fuse-*`` passes ask of the ops near an anchor.

Producer/consumer walking, one-element constants, the operands of binary ops, plain Casts,
sole users, the trailing axes a ReduceMean normalises over, last-dim bias Adds and
projections ``x @ W (+ b)`` with a constant weight. Like ``_common``, everything answers
"no" (``None``) rather than guess: a fusion that is not proven does not fire.
"""

from __future__ import annotations

from dataclasses import dataclass

from onnx import TensorProto
from xdsl.ir import Operation, SSAValue

from onnxforge.dialects.nn import ConvOp as NNConvOp
from onnxforge.dialects.nn import LinearOp
from onnxforge.dialects.onnx.generated import (
    AddOp,
    CastOp,
    CastV6Op,
    CastV19Op,
    ConvOp,
    DivOp,
    MatMulOp,
    ReciprocalOp,
    ReduceMeanV1Op,
    SqrtOp,
)
from onnxforge.ir.types import Dim
from onnxforge.transforms._common import (
    constant_of,
    dims_of,
    elem_of,
    int_constant,
    int_prop,
    ints_prop,
    is_absent,
    small_constant,
)

FLOAT_ELEMS = frozenset({TensorProto.FLOAT, TensorProto.FLOAT16, TensorProto.BFLOAT16, TensorProto.DOUBLE})
"""The float element types (what RMSNormalization, Gemm and the fused ops accept)."""
CAST_OPS = (CastOp, CastV19Op, CastV6Op)
"""Every opset form of Cast."""


# --- producers, users, operands ------------------------------------------------------------------


def producer(value: SSAValue, *classes: type[Operation]) -> Operation | None:
    """The op defining ``value`` when it is one of ``classes``."""
    op = value.owner
    return op if isinstance(op, classes) else None


def sole_user(value: SSAValue) -> Operation | None:
    """The one op reading ``value`` (None when unused, read twice, or by several ops)."""
    uses = list(value.uses)
    return uses[0].operation if len(uses) == 1 else None


def only_used_by(value: SSAValue, ops: list[Operation]) -> bool:
    """Every use of ``value`` is by one of ``ops`` (so erasing them leaves it unused)."""
    return all(use.operation in ops for use in value.uses)


def other_operand(op: Operation, value: SSAValue) -> SSAValue:
    """The operand of binary ``op`` that is not ``value`` (the second when both are)."""
    a, b = op.operands
    return b if a == value else a


def cast_target(op: Operation) -> int | None:
    """The ``to`` of a plain Cast (None for a saturating or rounding variant)."""
    if int_prop(op, "saturate", 1) != 1 or op.properties.get("round_mode") is not None:
        return None
    return int_prop(op, "to")


# --- scalar constants --------------------------------------------------------------------------------


def scalar(value: SSAValue) -> float | None:
    """The value of a one-element numeric constant (any rank), else None."""
    array = small_constant(value, limit=1)
    if array is None or array.size != 1 or array.dtype.kind not in "fiu":
        return None
    return float(array.reshape(-1)[0])


def scalar_into(value: SSAValue, like: SSAValue) -> float | None:
    """A one-element constant's value when it broadcasts into ``like`` without enlarging it
    (its rank is at most ``like``'s), else None."""
    found = scalar(value)
    dims, like_dims = dims_of(value), dims_of(like)
    if found is None or dims is None or (len(dims) > 0 and (like_dims is None or len(dims) > len(like_dims))):
        return None
    return found


# --- normalisations ----------------------------------------------------------------------------------


def rms_operand(op: Operation) -> tuple[SSAValue, SSAValue, list[Operation]] | None:
    """(x, rms, [the inverting op]) for ``Div(x, rms)``, ``Mul(x, Reciprocal(rms))`` or ``Mul(x, Div(1, rms))``
    with ``rms`` computed by a Sqrt."""
    if isinstance(op, DivOp):
        x, rms = op.operands
        if scalar(x) is not None:
            return None  # Div(1, rms) is the reciprocal: its Mul user is the anchor
        return (x, rms, []) if producer(rms, SqrtOp) is not None else None
    for value in op.operands:
        inv = producer(value, ReciprocalOp, DivOp)
        if inv is None or (isinstance(inv, DivOp) and scalar(inv.operands[0]) != 1.0):
            continue
        if producer(inv.operands[-1], SqrtOp) is not None:
            return other_operand(op, value), inv.operands[-1], [inv]
    return None


def normalised_axis(mean: Operation, x: SSAValue) -> int | str:
    """The first reduced dim (negative) when the mean is over trailing dims and keeps them; else a reason."""
    dims = dims_of(x)
    if dims is None:
        return "the rank of the normalised value is unknown"
    rank = len(dims)
    if int_prop(mean, "keepdims", 1) != 1:
        return "ReduceMean drops the reduced dims (keepdims = 0)"
    if isinstance(mean, ReduceMeanV1Op):
        axes = ints_prop(mean, "axes") if mean.properties.get("axes") is not None else tuple(range(rank))
    elif is_absent(mean.operands[1]):
        if int_prop(mean, "noop_with_empty_axes", 0) != 0:
            return "ReduceMean with no axes and noop_with_empty_axes reduces nothing"
        axes = tuple(range(rank))
    else:
        found = int_constant(mean.operands[1])
        axes = tuple(found) if found is not None else None
    if axes is None or not axes:
        return "ReduceMean axes are not constant"
    normal = sorted({a + rank if a < 0 else a for a in axes})
    if len(normal) != len(axes) or normal != list(range(rank - len(normal), rank)) or normal[0] < 0:
        return f"ReduceMean axes {list(axes)} are not the trailing dims of a rank-{rank} tensor"
    return normal[0] - rank


def normalised_parameter(out: SSAValue, kind: type[Operation], normalised: tuple[Dim, ...]) -> tuple[SSAValue, Operation] | None:
    """(γ, the Mul) or (β, the Add) for the one ``kind(out, p)`` reading ``out``, when ``p`` is exactly of the
    normalised shape and of ``out``'s type (so it neither broadcasts ``out`` larger nor varies along other dims)."""
    user = sole_user(out)
    if not isinstance(user, kind):
        return None
    param = other_operand(user, out)
    dims = dims_of(param)
    if param == out or dims is None or tuple(dims) != normalised or None in dims or elem_of(param) != elem_of(out):
        return None
    return param, user


# --- biases and projections ----------------------------------------------------------------------


def bias_add(value: SSAValue) -> tuple[SSAValue, SSAValue, Operation] | None:
    """``(h, bias, add)`` when ``value = Add(h, bias)`` with ``bias`` a 1-D constant as long as the last dim
    and ``h`` of ``value``'s whole, known shape (so the Add broadcasts ``bias`` over the last dim only):
    the bias that onnxruntime's BiasGelu / FastGelu / SkipLayerNormalization take as an input."""
    add = producer(value, AddOp)
    dims = dims_of(value)
    if add is None or not dims or None in dims or not isinstance(dims[-1], int):
        return None
    for h in add.operands:
        bias = other_operand(add, h)
        if h != bias and constant_of(bias) is not None and tuple(dims_of(bias) or ()) == (dims[-1],) \
                and elem_of(bias) == elem_of(value) and tuple(dims_of(h) or ()) == tuple(dims):
            return h, bias, add
    return None


def weight_shape(value: SSAValue) -> tuple[int, int] | None:
    """``(K, N)`` of a constant 2-D float weight, else None."""
    tensor = constant_of(value)
    if tensor is None or tensor.strings is not None or len(tensor.dims) != 2 or tensor.elem not in FLOAT_ELEMS:
        return None
    return tensor.dims  # type: ignore[return-value]


def bias_reason(bias: SSAValue, n: int, x: SSAValue) -> str | None:
    """Why constant ``bias`` is not added along the last dim of a ``[…, N]`` product of ``x`` (None when it is)."""
    tensor = constant_of(bias)
    if tensor is None or tensor.strings is not None:
        return "the bias is not a constant"
    dims = tensor.dims
    if not dims or dims[-1] != n or any(d != 1 for d in dims[:-1]):
        return f"bias of shape {list(dims)} is not broadcast along the last dim only (wanted [{n}] or [1, …, {n}])"
    x_dims = dims_of(x)
    if x_dims is not None and len(dims) > len(x_dims):
        return f"bias of shape {list(dims)} has more dims than the input (rank {len(x_dims)})"
    if tensor.elem != elem_of(bias) or tensor.elem != elem_of(x):
        return "the bias and the input have different element types"
    return None


def product_bias_add(matmul: Operation) -> tuple[Operation, SSAValue] | None:
    """The ``Add(matmul, b)`` that is the MatMul's only reader, with ``b``, when ``b`` is a constant."""
    uses = list(matmul.results[0].uses)
    if len(uses) != 1 or not isinstance(add := uses[0].operation, AddOp):
        return None
    a, b = add.operands
    bias = b if a == matmul.results[0] else a
    return (add, bias) if bias != matmul.results[0] and constant_of(bias) is not None else None


@dataclass
class Projection:
    """``output = x @ weight (+ bias)`` found in the graph; ``ops`` are the matched ops (MatMul [+ Add], or nn.linear)."""

    x: SSAValue
    weight: SSAValue
    bias: SSAValue | None
    output: SSAValue
    ops: list[Operation]

    @property
    def width(self) -> int:
        """``N``, the width of the weight's output dim."""
        shape = weight_shape(self.weight)
        assert shape is not None
        return shape[1]


def projection_of(op: Operation) -> Projection | None:
    """The projection ``op`` computes: ``nn.linear`` with a constant weight, or ``MatMul(x, W)`` with a
    constant 2-D ``W`` and the bias Add that follows it when it is a last-dim bias."""
    if isinstance(op, LinearOp):
        bias = None if is_absent(op.bias) else op.bias
        if weight_shape(op.weight) is None or (bias is not None and constant_of(bias) is None):
            return None
        return Projection(op.input, op.weight, bias, op.output, [op])
    if not isinstance(op, MatMulOp) or (shape := weight_shape(op.operands[1])) is None:
        return None
    x = op.operands[0]
    if elem_of(x) != elem_of(op.operands[1]):
        return None
    found = product_bias_add(op)
    if found is not None and bias_reason(found[1], shape[1], x) is None:
        add, bias = found
        return Projection(x, op.operands[1], bias, add.results[0], [op, add])
    return Projection(x, op.operands[1], None, op.results[0], [op])


def plain_conv(value: SSAValue) -> Operation | None:
    """The ``onnx.Conv``, or ``nn.conv`` without activation, that defines ``value``."""
    op = value.owner
    if isinstance(op, ConvOp) or (isinstance(op, NNConvOp) and not op.activation.data):
        return op
    return None


@dataclass
class NormMatch:
    """A proved normalisation core (LayerNorm or RMSNorm): the normalised value, the ops of its
    statistics chain, ε, and the first normalised dim counted from the back (negative)."""

    x: SSAValue
    ops: list[Operation]
    epsilon: float
    axis: int
