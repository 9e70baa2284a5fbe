"""Rules by op type: ``Add`` → the function that infers its results, for every opset form it covers.

Rules are keyed by the dialect's domain-qualified op type (``queries.op_type``),
the same key cost counting and forensics use. A rule covers every opset form of
its op unless it names a range (``since``/``before``, opset versions): the
pre-opset-7 elementwise ops broadcast differently, and Tile-1 and Upsample
before 9 take other inputs. A form no rule covers gets no inference at all,
rather than a rule written for different semantics.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable

from xdsl.ir import Operation

from onnxforge.analysis.shapes.context import Ctx
from onnxforge.dialects.onnx.queries import op_type, since

Rule = Callable[[Ctx], None]
RULES: dict[str, list[tuple[int, int, Rule]]] = defaultdict(list)
"""Op type → (first opset version, first version after, rule) entries."""
NO_END = 1 << 30


def rule(*op_types: str, since: int = 0, before: int = NO_END) -> Callable[[Rule], Rule]:
    """Register a rule for ONNX op types (``"Add"``, ``"ai.onnx.ml.LabelEncoder"``), for the opset forms whose
    first version is in ``[since, before)``."""

    def register(fn: Rule) -> Rule:
        for name in op_types:
            overlapping = [e for e in RULES[name] if e[0] < before and since < e[1]]
            if overlapping:
                raise ValueError(f"two shape rules for {name} in opsets [{since}, {before})")
            RULES[name].append((since, before, fn))
        return fn

    return register


def rule_for(op: Operation) -> Rule | None:
    """The rule covering ``op``'s opset form, if any."""
    entries = RULES.get(op_type(op))
    if not entries:
        return None
    version = since(op)
    return next((fn for first, end, fn in entries if first <= version < end), None)
