"""Greedy reduction of a failing model: drop outputs and nodes while the same finding still shows.

The moves, tried until none helps: drop one graph output; drop a node nothing reads; *bypass* a node (its
first input takes the place of its output, which keeps elementwise chains connected); *cut* a node (its
output becomes a new graph input of the type shape inference gives it); drop an unused graph input.
Unread initializers go after each move. Dead nodes are not swept wholesale: a pass may trip over exactly
the node nothing reads (constant folding runs before dead-code elimination). The predicate is the whole oracle for one matrix entry, so a move is
kept only when the finding's signature is unchanged; a reduction that merely trades one bug for another
is refused.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import onnx
from onnx import ModelProto, helper

from fuzzer.mutate import bypass


def tidy(model: ModelProto) -> ModelProto:
    """Drop initializers nothing reads (never nodes: a dead node may be what a pass trips over)."""
    graph = model.graph
    read = {i for n in graph.node for i in n.input} | {o.name for o in graph.output}
    for node in graph.node:
        for attr in node.attribute:  # subgraphs read outer names
            for sub in [attr.g, *attr.graphs]:
                read.update(i for n in sub.node for i in n.input)
    initializers = [t for t in graph.initializer if t.name in read]
    del graph.initializer[:]
    graph.initializer.extend(initializers)
    return model


def _without_output(model: ModelProto, index: int) -> ModelProto:
    smaller = ModelProto()
    smaller.CopyFrom(model)
    del smaller.graph.output[index]
    return tidy(smaller)


def _bypass(model: ModelProto, index: int) -> ModelProto | None:
    node = model.graph.node[index]
    if not node.input or not node.input[0] or len(node.output) != 1:
        return None
    smaller = ModelProto()
    smaller.CopyFrom(model)
    bypass(smaller, index)
    return tidy(smaller)


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
    return tidy(smaller)


def _drop_dead(model: ModelProto, index: int) -> ModelProto | None:
    """Remove a node none of whose outputs is read."""
    node = model.graph.node[index]
    read = {i for n in model.graph.node for i in n.input} | {o.name for o in model.graph.output}
    if any(o in read for o in node.output):
        return None
    smaller = _copy(model)
    del smaller.graph.node[index]
    return tidy(smaller)


def _drop_input(model: ModelProto, index: int) -> ModelProto | None:
    name = model.graph.input[index].name
    if any(name in n.input for n in model.graph.node) or name in {o.name for o in model.graph.output}:
        return None
    smaller = _copy(model)
    del smaller.graph.input[index]
    return smaller


def _types(model: ModelProto) -> dict[str, onnx.TypeProto]:
    try:
        inferred = onnx.shape_inference.infer_shapes(model)
    except Exception:
        return {}
    return {v.name: v.type for v in inferred.graph.value_info if v.type.tensor_type.HasField("shape")}


def reduce(model: ModelProto, still_fails: Callable[[ModelProto], bool], budget_s: float = 120.0) -> ModelProto:
    """The smallest model these moves reach on which ``still_fails`` holds (``model`` itself must fail)."""
    deadline = time.monotonic() + budget_s
    current = model
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
                for candidate in (_drop_dead(current, index), _bypass(current, index), _cut(current, index, types)):
                    if candidate is not None and len(candidate.graph.node) < len(current.graph.node) \
                            and still_fails(candidate):
                        current, progress = candidate, True
                        types = _types(current)
                        break
            index -= 1
        for index in reversed(range(len(current.graph.input))):
            candidate = _drop_input(current, index)
            if candidate is not None and time.monotonic() < deadline and still_fails(candidate):
                current, progress = candidate, True
    return current


def _copy(model: ModelProto) -> ModelProto:
    copy = ModelProto()
    copy.CopyFrom(model)
    return copy
