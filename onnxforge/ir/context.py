"""The xDSL context with every onnxforge dialect registered (for parsing textual IR)."""

from __future__ import annotations

from xdsl.context import Context
from xdsl.dialects.builtin import Builtin


def make_context() -> Context:
    """A fresh context that knows builtin and all onnxforge dialects."""
    from onnxforge.dialects.cost import COST
    from onnxforge.dialects.nn import NN
    from onnxforge.dialects.onnx import ONNX

    ctx = Context()
    ctx.load_dialect(Builtin)
    ctx.load_dialect(ONNX)
    ctx.load_dialect(NN)
    ctx.load_dialect(COST)
    return ctx
