"""Which symbolic dims a model proves nonzero, for rewrites that are wrong at a dim of 0.

Symbols are only ``>= 0`` (a batch of 0 is legal), but a model can rule 0
out: a ``Reshape`` in the main graph whose target holds a literal ``-1``
fails in onnxruntime when the other entries multiply to 0 (``[0, -1]`` on a
``[0, 6]`` tensor), so in every run that succeeds each symbol that is a
factor of those entries is ``>= 1``. (The main graph's ops all run; an op in
an ``If`` branch might not, so subgraphs prove nothing.)

Identity relied on: a product of integers is nonzero iff each factor is.
"""

from __future__ import annotations

import sympy
from xdsl.ir import Operation

from onnxforge.analysis.shapes import dims
from onnxforge.analysis.shapes.dims import Dim
from onnxforge.analysis.shapes.facts import ShapeFacts
from onnxforge.dialects.onnx.queries import op_type


def proven_positive(graph_block_ops: list[Operation], facts: ShapeFacts) -> frozenset[sympy.Symbol]:
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


def is_positive_given(d: Dim, proven: frozenset[sympy.Symbol]) -> bool:
    """``d >= 1`` in every run, given that the ``proven`` symbols are ``>= 1``."""
    if dims.is_positive(d):
        return True
    if d is None or type(d) is int or not d.free_symbols <= proven:
        return False
    return bool(d.xreplace({s: s + 1 for s in d.free_symbols}).is_positive)
