"""Shared by the extraction tests (library and CLI)."""

from __future__ import annotations

import onnx


def constant_only(model: onnx.ModelProto, name: str) -> bool:
    """Whether ``name`` is computed from initializers and Constant nodes alone (no graph input upstream)."""
    producer = {o: n for n in model.graph.node for o in n.output}
    initializers = {t.name for t in model.graph.initializer}
    inputs = {i.name for i in model.graph.input} - initializers
    stack, seen = [name], set()
    while stack:
        value = stack.pop()
        if value in seen or value in initializers:
            continue
        seen.add(value)
        if value in inputs or value not in producer:
            return False
        stack += [i for i in producer[value].input if i]
    return True
