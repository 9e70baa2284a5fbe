"""The analyses passes share through the run's cache (``RunState.analysis``), by name.

Shape inference is the one every cleanup and fusion pass reads. Computing it
once per IR state instead of once per reader is what MLIR's analysis manager
does: a pass that changes nothing leaves it valid for the next, and
``onnx-infer-shapes``, which only writes the facts into the types, declares
it preserved.
"""

from __future__ import annotations

from xdsl.dialects.builtin import ModuleOp

from onnxforge.analysis.shapes import ShapeFacts, infer
from onnxforge.passmanager.base import RunState, current_state

SHAPES = "shapes"


def shape_facts(module: ModuleOp, state: RunState | None = None) -> ShapeFacts:
    """The shape facts of ``module`` as it is now: kept from an earlier pass of the run when the IR has not
    changed since, else inferred (and kept)."""
    return (state or current_state()).analysis(SHAPES, module, infer)
