"""Textual IR: MLIR generic syntax via xDSL, with node names shown as locations.

Weights print as ``elided`` unless asked for (``weights=True``); text that
holds elided weights parses back (``onnxforge.dialects.context.parse_ir``) but
cannot be exported. Parsing costs ~1 ms per op, so text is for dumps, tests
and reproducers, not the compile path.
"""

from __future__ import annotations

import io

from xdsl.dialects.builtin import ModuleOp
from xdsl.printer import Printer

from onnxforge.ir.tensor import printing_weights


def print_ir(module: ModuleOp, weights: bool = False) -> str:
    stream = io.StringIO()
    with printing_weights(weights):
        Printer(stream, print_generic_format=True, print_debuginfo=True).print_op(module)
    stream.write("\n")
    return stream.getvalue().replace(" loc(unknown)", "")
