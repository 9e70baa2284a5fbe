"""Greedy reduction of a failing model: drop outputs and nodes while the same finding still shows.

Three moves, tried until none helps: drop one graph output; *bypass* a node (its first input takes the
place of its output, which keeps elementwise chains connected); *cut* a node (its output becomes a new
graph input of the type shape inference gives it). After each move, nodes nothing uses and unused
initializers and inputs are dropped. The predicate is the whole oracle for one matrix entry, so a move is
kept only when the finding's signature is unchanged; a reduction that merely trades one bug for another
is refused.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import onnx
from onnx import ModelProto, helper


def prune(model: ModelProto) -> ModelProto:
    """Drop nodes whose outputs nothing reads, then initializers and inputs nothing reads."""
    graph = model.graph
    live = {o.name for o in graph.output}
    kept = []
    for node in reversed(list(graph.node)):
        if any(o in live for o in node.output):
            kept.append(node)
            live.update(node.input)
            for attr in node.attribute:  # subgraphs read outer names
                for sub in [attr.g, *attr.graphs]:
                    live.update(i for n in sub.node for i in n.input)
    del graph.node[:]
    graph.node.extend(reversed(kept))
    initializers = [t for t in graph.initializer if t.name in live]
    del graph.initializer[:]
    graph.initializer.extend(initializers)
    inputs = [i for i in graph.input if i.name in live]
    del graph.input[:]
    graph.input.extend(inputs)
    return model


def _without_output(model: ModelProto, index: int) -> ModelProto:
    smaller = ModelProto()
    smaller.CopyFrom(model)
    del smaller.graph.output[index]
    return prune(smaller)


def _bypass(model: ModelProto, index: int) -> ModelProto | None:
    node = model.graph.node[index]
    if not node.input or not node.input[0] or len(node.output) != 1:
        return None
    smaller = ModelProto()
    smaller.CopyFrom(model)
    old, new = node.output[0], node.input[0]
    del smaller.graph.node[index]
    for other in smaller.graph.node:
        other.input[:] = [new if i == old else i for i in other.input]
    for out in smaller.graph.output:
        if out.name == old:
            out.name = new
    return prune(smaller)


def _cut(model: ModelProto, index: int, types: dict[str, onnx.TypeProto]) -> ModelProto | None:
    node = model.graph.node[index]
    outputs = {o.name for o in model.graph.output}
    if any(o in outputs or o not in types for o in node.output if o):
        return None
    smaller = ModelProto()
    smaller.CopyFrom(model)
    del smaller.graph.node[index]
    for name in node.output:
        if name:
            smaller.graph.input.append(helper.make_value_info(name, types[name]))
    return prune(smaller)


def _types(model: ModelProto) -> dict[str, onnx.TypeProto]:
    try:
        inferred = onnx.shape_inference.infer_shapes(model)
    except Exception:
        return {}
    return {v.name: v.type for v in inferred.graph.value_info if v.type.tensor_type.HasField("shape")}


def reduce(model: ModelProto, still_fails: Callable[[ModelProto], bool], budget_s: float = 120.0) -> ModelProto:
    """The smallest model these moves reach on which ``still_fails`` holds (``model`` itself must fail)."""
    deadline = time.monotonic() + budget_s
    current = prune(_copy(model)) if still_fails(prune(_copy(model))) else model
    progress = True
    while progress and time.monotonic() < deadline:
        progress = False
        for index in reversed(range(len(current.graph.output))):
            if len(current.graph.output) > 1 and time.monotonic() < deadline:
                candidate = _without_output(current, index)
                if still_fails(candidate):
                    current, progress = candidate, True
        types = _types(current)
        index = len(current.graph.node) - 1
        while index >= 0 and time.monotonic() < deadline:
            if index < len(current.graph.node):
                for candidate in (_bypass(current, index), _cut(current, index, types)):
                    if candidate is not None and len(candidate.graph.node) < len(current.graph.node) \
                            and still_fails(candidate):
                        current, progress = candidate, True
                        types = _types(current)
                        break
            index -= 1
    return current


def _copy(model: ModelProto) -> ModelProto:
    copy = ModelProto()
    copy.CopyFrom(model)
    return copy
