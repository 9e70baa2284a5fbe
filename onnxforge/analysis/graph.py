"""A read-only view of a model's IR for the analyses and instruments: nodes, producers, users.

The instruments count ONNX *nodes*: every op of a graph except the IR's
structure (model, graph, return, initializers, absent-input markers), so a
count here equals ``len(graph.node)`` of the exported model. ``nn`` ops count
as nodes too (one fused op is one node). Op types are the dialect's one
spelling (``queries.op_type``): ``MatMul``, ``com.microsoft.Attention``,
``nn.attention``.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
from xdsl.dialects.builtin import ModuleOp
from xdsl.ir import Operation, SSAValue

from onnxforge.dialects.onnx.queries import is_constant_op, op_type, scalar
from onnxforge.dialects.onnx.structure import (
    FunctionOp,
    GraphOp,
    InitializerOp,
    ModelOp,
    NoValueOp,
    ReturnOp,
)
from onnxforge.errors import ForgeError

_NOT_NODES = (ModelOp, GraphOp, FunctionOp, ReturnOp, InitializerOp, NoValueOp)


def is_node(op: Operation) -> bool:
    return not isinstance(op, _NOT_NODES)


def model_op(module: ModuleOp) -> ModelOp:
    for op in module.ops:
        if isinstance(op, ModelOp):
            return op
    raise ForgeError("the IR holds no onnx.model")


def main_graph(module: ModuleOp) -> GraphOp:
    return model_op(module).graph


def main_nodes(module: ModuleOp) -> list[Operation]:
    """The main graph's own nodes (what ``len(model.graph.node)`` counts)."""
    return [op for op in main_graph(module).block.ops if is_node(op)]


def all_nodes(module: ModuleOp) -> Iterator[Operation]:
    """Every node of the main graph and of the If/Loop/Scan subgraphs inside it (not local functions)."""
    return (op for op in main_graph(module).walk() if is_node(op))


def node_count(module: ModuleOp) -> int:
    return len(main_nodes(module))


def producer(value: SSAValue) -> Operation | None:
    """The node computing a value (None for graph inputs, initializers and absent inputs)."""
    owner = value.owner
    return owner if isinstance(owner, Operation) and is_node(owner) else None


def producer_type(value: SSAValue) -> str | None:
    op = producer(value)
    return None if op is None else op_type(op)


def users(value: SSAValue) -> list[Operation]:
    return [use.operation for use in value.uses]


def is_constant(value: SSAValue) -> bool:
    """Bound to an initializer or a ``Constant`` node (without reading its bytes)."""
    owner = value.owner
    if isinstance(owner, InitializerOp):
        return not owner.is_input_default()
    return isinstance(owner, Operation) and is_constant_op(owner)


def close_to(value: SSAValue, *targets: float, rtol: float = 1e-3) -> bool:
    found = scalar(value)
    return found is not None and any(bool(np.isclose(found, t, rtol=rtol, atol=0.0)) for t in targets)
