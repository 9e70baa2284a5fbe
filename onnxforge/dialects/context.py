"""The xDSL context with every onnxforge dialect registered, and parsing textual IR in it."""

from __future__ import annotations

from xdsl.context import Context
from xdsl.dialects.builtin import Builtin, ModuleOp
from xdsl.parser import Parser
from xdsl.utils.exceptions import ParseError

from onnxforge.dialects.cost import COST
from onnxforge.dialects.nn import NN
from onnxforge.dialects.onnx import ONNX
from onnxforge.errors import ForgeError


def make_context() -> Context:
    """A fresh context that knows builtin and all onnxforge dialects."""
    ctx = Context()
    ctx.load_dialect(Builtin)
    ctx.load_dialect(ONNX)
    ctx.load_dialect(NN)
    ctx.load_dialect(COST)
    return ctx


def parse_ir(text: str, source: str = "<ir>") -> ModuleOp:
    """Textual IR (MLIR generic syntax) → a module; a parse error is one ``ForgeError`` line naming the place."""
    try:
        module = Parser(make_context(), text, source).parse_module()
    except ParseError as err:
        lines = [line for line in str(err).strip().splitlines() if line.strip()]
        where, reason = lines[0], lines[-1].strip()
        raise ForgeError(f"{source}: cannot parse IR: {where}: {reason}" if reason != where else f"{source}: cannot parse IR: {where}") from None
    return module
