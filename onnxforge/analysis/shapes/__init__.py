"""Symbolic shape inference for the onnx dialect (DESIGN decision 3).

``infer(module)`` walks each graph once and returns ``ShapeFacts``: element
types, shapes with symbolic dims (sympy expressions over nonnegative integer
symbols, one per ``dim_param`` name) and the symbolic contents of shape
tensors, so ``Shape→Gather→Unsqueeze→Concat→Reshape`` chains fold without
fixing batch or sequence. It is an analysis: the IR is untouched until
``apply_types`` writes the shapes into result types.

Best-effort and sound: an unknown dim is ``None``; a rule that lacks a fact
gives up rather than guess.
"""

from onnxforge.analysis.shapes.apply import apply_types, infer_and_apply
from onnxforge.analysis.shapes.dims import Dim, parse_dim, print_dim
from onnxforge.analysis.shapes.engine import infer
from onnxforge.analysis.shapes.facts import ShapeFacts

__all__ = ["Dim", "ShapeFacts", "apply_types", "infer", "infer_and_apply", "parse_dim", "print_dim"]
