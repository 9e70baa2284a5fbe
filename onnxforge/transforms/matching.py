"""Reading the IR around a fusion candidate: what several ``nn-fuse-*`` passes ask of the ops near an anchor.

Producer/consumer walking, one-element constants that broadcast into a value,
the trailing axes a ReduceMean normalises over, the γ/β of a normalisation,
last-dim bias Adds and constant 2-D weights. Questions answer ``None`` when the
IR does not prove the answer; checks that have a reason to give fail with it
(``fail``), like the patterns themselves. What one pass alone asks lives in it.
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.ir import Operation, SSAValue

from onnxforge.dialects.nn import FLOAT_ELEMS
from onnxforge.dialects.onnx.generated import AddOp, DivOp, ReciprocalOp, ReduceMeanFamily, SqrtOp
from onnxforge.dialects.onnx.queries import axes_of, constant_of, dims_of, elem_of, int_prop, scalar
from onnxforge.ir.types import Dim
from onnxforge.passmanager import fail

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
    """Every use of ``value`` is by one of ``ops`` (so replacing them leaves it unused)."""
    return all(use.operation in ops for use in value.uses)


def read_only_inside(ops: list[Operation], output: Operation, what: str) -> None:
    """Fail when a result of ``ops`` other than ``output``'s is read outside ``ops``: the fused op would not remove it."""
    if not all(only_used_by(r, ops) for o in ops if o is not output for r in o.results):
        fail(f"an intermediate value of the {what} is read outside it")


def other_operand(op: Operation, value: SSAValue) -> SSAValue:
    """The operand of binary ``op`` that is not ``value`` (the second when both are)."""
    a, b = op.operands
    return b if a == value else a


# --- scalar constants --------------------------------------------------------------------------------


def scalar_into(value: SSAValue, like: SSAValue) -> float | None:
    """A one-element constant's value when it broadcasts into ``like`` without enlarging it
    (its rank is at most ``like``'s), else None."""
    found = scalar(value)
    dims, like_dims = dims_of(value), dims_of(like)
    if found is None or dims is None or (len(dims) > 0 and (like_dims is None or len(dims) > len(like_dims))):
        return None
    return found


# --- normalisations ----------------------------------------------------------------------------------


@dataclass
class NormMatch:
    """A proved normalisation core (LayerNorm or RMSNorm): the normalised value, the ops of its
    statistics chain, ε, and the first normalised dim counted from the back (negative)."""

    x: SSAValue
    ops: list[Operation]
    epsilon: float
    axis: int


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


def normalised_axis(mean: ReduceMeanFamily, x: SSAValue) -> int:
    """The first reduced dim (negative) when the mean is over trailing dims and keeps them; else fail."""
    dims = dims_of(x)
    if dims is None:
        fail("the rank of the normalised value is unknown")
    rank = len(dims)
    if int_prop(mean, "keepdims", 1) != 1:
        fail("ReduceMean drops the reduced dims (keepdims = 0)")
    axes = axes_of(mean)
    if axes == ():
        if int_prop(mean, "noop_with_empty_axes", 0) != 0:
            fail("ReduceMean with no axes and noop_with_empty_axes reduces nothing")
        axes = tuple(range(rank))
    if not axes:
        fail("ReduceMean axes are not constant")
    normal = sorted({a + rank if a < 0 else a for a in axes})
    if len(normal) != len(axes) or normal != list(range(rank - len(normal), rank)) or normal[0] < 0:
        fail(f"ReduceMean axes {list(axes)} are not the trailing dims of a rank-{rank} tensor")
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


# --- biases and weights ---------------------------------------------------------------------------


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


def check_bias(bias: SSAValue, n: int, x: SSAValue) -> None:
    """Fail unless constant ``bias`` is added along the last dim of a ``[…, N]`` product of ``x`` only."""
    tensor = constant_of(bias)
    if tensor is None or tensor.strings is not None:
        fail("the bias is not a constant")
    dims = tensor.dims
    if not dims or dims[-1] != n or any(d != 1 for d in dims[:-1]):
        fail(f"bias of shape {list(dims)} is not broadcast along the last dim only (wanted [{n}] or [1, …, {n}])")
    x_dims = dims_of(x)
    if x_dims is not None and len(dims) > len(x_dims):
        fail(f"bias of shape {list(dims)} has more dims than the input (rank {len(x_dims)})")
    if tensor.elem != elem_of(bias) or tensor.elem != elem_of(x):
        fail("the bias and the input have different element types")
