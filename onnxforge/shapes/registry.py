"""Rules by op name: ``onnx.Add`` → the function that infers its results.

Old-opset classes (``onnx.Squeeze_v1``) are registered explicitly by the rule
that knows their signature; an unregistered class gets no inference at all
rather than a rule written for different semantics.
"""

from __future__ import annotations

from collections.abc import Callable

from onnxforge.shapes.context import Ctx

Rule = Callable[[Ctx], None]
RULES: dict[str, Rule] = {}


def rule(*op_types: str) -> Callable[[Rule], Rule]:
    """Register a rule for ONNX op types (``"Add"``, ``"Add_v1"``, ``"ml.LabelEncoder"``)."""

    def register(fn: Rule) -> Rule:
        for op_type in op_types:
            name = f"onnx.{op_type}"
            assert name not in RULES, f"two shape rules for {name}"
            RULES[name] = fn
        return fn

    return register
