"""Which symbolic dims a model proves nonzero, for rewrites that are wrong at a dim of 0.

Symbols are only ``>= 0`` (a batch of 0 is legal), but a model can rule 0
out: a ``Reshape`` in the main graph whose target holds a literal ``-1``
fails in onnxruntime when the other entries multiply to 0 (``[0, -1]`` on a
``[0, 6]`` tensor), so in every run that succeeds each symbol that is a
factor of those entries is ``>= 1``. (The main graph's ops all run; an op in
an ``If`` branch might not, so subgraphs prove nothing.) A symbolic entry that
would copy the input's dim if it were 0 counts only where that dim would then
be 0 too (``zero_copies_zero``): else the product at run time is not its own.

Identity relied on: a product of integers is nonzero iff each factor is.
"""

from __future__ import annotations

import sympy
from xdsl.ir import Block, Operation, SSAValue

from onnxforge.analysis.shapes import dims
from onnxforge.analysis.shapes.dims import Dim
from onnxforge.analysis.shapes.facts import ShapeFacts
from onnxforge.analysis.shapes.rules.shape_ops import zero_copies_zero
from onnxforge.dialects.onnx.queries import dims_of, int_constant, op_type
from onnxforge.dialects.onnx.structure import ModelOp


class TypeFacts:
    """What ``proven_positive`` reads, from the IR alone (constants and declared types) instead of an
    inference run: for a lowering that looks at one op and has no ``ShapeFacts``."""

    @staticmethod
    def value(value: SSAValue) -> tuple[Dim, ...] | None:
        ints = int_constant(value)
        return None if ints is None else tuple(ints)

    @staticmethod
    def shape(value: SSAValue) -> tuple[Dim, ...] | None:
        declared = dims_of(value)
        return None if declared is None else tuple(dims.parse_dim(d) for d in declared)  # type: ignore[arg-type]


def proven_positive(graph_block_ops: list[Operation], facts: ShapeFacts | TypeFacts) -> frozenset[sympy.Symbol]:
    """The symbols that the main graph's ops ``graph_block_ops`` prove to be ``>= 1``."""
    proven: set[sympy.Symbol] = set()
    for op in graph_block_ops:
        if op_type(op) != "Reshape" or len(op.operands) < 2:
            continue
        target, src = facts.value(op.operands[1]), facts.shape(op.operands[0])
        if target is None or -1 not in target:
            continue
        allowzero = op.properties.get("allowzero")
        copies = not (allowzero is not None and allowzero.value.data)  # type: ignore[attr-defined]
        for index, entry in enumerate(target):
            if entry == 0 and copies:
                entry = src[index] if src is not None and index < len(src) else None
            elif copies and entry is not None and type(entry) is not int and not zero_copies_zero(entry, src, index):
                continue  # at 0 this entry would copy a dim that need not be 0: the product proves nothing of it
            if entry is not None and entry != -1 and type(entry) is not int:
                proven |= _factors(entry)
    return frozenset(proven)


def _factors(expr: sympy.Expr) -> set[sympy.Symbol]:
    """The symbols of a monomial (a nonzero product means each is nonzero); none for anything else."""
    factors = expr.args if expr.is_Mul else (expr,)
    found: set[sympy.Symbol] = set()
    for factor in factors:
        base = factor.base if factor.is_Pow and factor.exp.is_positive else factor
        if base.is_Symbol:
            found.add(base)
        elif not (base.is_Integer and base != 0):
            return set()
    return found


def positive_in_model(value: object, d: Dim | str) -> bool:
    """``d`` (a Dim or a declared dim's text) is ``>= 1`` in every run of the model defining ``value``
    (an SSA value, or a pending result of an op a rewrite has yet to build)."""
    d = dims.parse_dim(d) if isinstance(d, str) else d
    if dims.is_positive(d):
        return True
    model = _model_of(value)
    if model is None:
        return False
    return is_positive_given(d, proven_positive(list(model.graph.block.ops), TypeFacts()))


def _model_of(value: object) -> ModelOp | None:
    for _ in range(64):  # through pending builds (``passmanager.build``) to a value in the IR
        owner = getattr(value, "owner", None)
        if isinstance(owner, Operation):
            op: Operation | None = owner
            break
        if isinstance(owner, Block):
            op = owner.parent_op()
            break
        operands = getattr(owner, "operands", None)
        if not operands:
            return None
        value = operands[0]
    else:
        return None
    while op is not None and not isinstance(op, ModelOp):
        op = op.parent_op()
    return op


def is_positive_given(d: Dim, proven: frozenset[sympy.Symbol]) -> bool:
    """``d >= 1`` in every run, given that the ``proven`` symbols are ``>= 1``."""
    if dims.is_positive(d):
        return True
    if d is None or type(d) is int or not d.free_symbols <= proven:
        return False
    return bool(d.xreplace({s: s + 1 for s in d.free_symbols}).is_positive)
