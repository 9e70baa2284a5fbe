"""Textual IR: MLIR generic syntax via xDSL, with node names shown as locations.

Weights print as ``elided`` unless asked for (``weights=True``); text that
holds elided weights parses back (``onnxforge.dialects.context.parse_ir``) but
cannot be exported. Parsing costs ~1 ms per op, so text is for dumps, tests
and reproducers, not the compile path.
"""

from __future__ import annotations

import hashlib
import io

from xdsl.dialects.builtin import ArrayAttr, ModuleOp, StringAttr
from xdsl.printer import Printer

from onnxforge.ir.tensor import INLINE_LIMIT, DenseAttr, printing_weights


def print_ir(module: ModuleOp, weights: bool = False) -> str:
    stream = io.StringIO()
    with printing_weights(weights):
        Printer(stream, print_generic_format=True, print_debuginfo=True).print_op(module)
    stream.write("\n")
    return stream.getvalue().replace(" loc(unknown)", "")


def elided_weights(module: ModuleOp) -> list[str]:
    """``name: f32 [768, 768] sha256:…`` for each tensor that prints as ``elided``: text without the
    weights still says which weights it was made from (a reproducer, a bug report)."""
    lines = []
    for op in module.walk():
        for key, attr in op.properties.items():
            for index, item in enumerate(attr.data if isinstance(attr, ArrayAttr) else (attr,)):
                if not isinstance(item, DenseAttr) or item.value.raw is None or item.value.size <= INLINE_LIMIT:
                    continue
                value = item.value
                name = op.properties.get("name")
                label = name.data if isinstance(name, StringAttr) else f"{op.name}.{key}" + (f"[{index}]" if isinstance(attr, ArrayAttr) else "")
                digest = hashlib.sha256(value.raw).hexdigest()
                lines.append(f"{label}: {value.elem} {list(value.dims)} sha256:{digest}")
    return lines
