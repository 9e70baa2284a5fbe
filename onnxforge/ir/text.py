"""Textual IR: MLIR generic syntax via xDSL, with node names shown as locations.

Weights print as ``elided`` unless asked for (``weights=True``); text that
holds elided weights parses back but cannot be exported. Parsing costs ~1 ms
per op, so text is for dumps, tests and reproducers, not the compile path.
"""

from __future__ import annotations

import io

from xdsl.dialects.builtin import ModuleOp
from xdsl.parser import Parser
from xdsl.printer import Printer
from xdsl.utils.exceptions import ParseError

from onnxforge.errors import ForgeError
from onnxforge.ir.context import make_context
from onnxforge.ir.tensor import printing_weights


def print_ir(module: ModuleOp, weights: bool = False) -> str:
    stream = io.StringIO()
    with printing_weights(weights):
        Printer(stream, print_generic_format=True, print_debuginfo=True).print_op(module)
    stream.write("\n")
    return stream.getvalue().replace(" loc(unknown)", "")


def parse_ir(text: str, source: str = "<ir>") -> ModuleOp:
    try:
        module = Parser(make_context(), text, source).parse_module()
    except ParseError as err:
        lines = [line for line in str(err).strip().splitlines() if line.strip()]
        where, reason = lines[0], lines[-1].strip()
        raise ForgeError(f"{source}: cannot parse IR: {where}: {reason}" if reason != where else f"{source}: cannot parse IR: {where}") from None
    return module
