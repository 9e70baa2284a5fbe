"""A small typed graph builder: values carry a dtype and a shape the generator can reason about.

Shapes are tracked by the builder, not by onnx shape inference, so a recipe can ask "a float value whose
last dim is a known integer" before it emits a node. A dim is an ``int``, a symbol name (``str``, a graph
input's ``dim_param``) or ``None`` when the builder does not know it; recipes that need a dim's value only
pick values where it is an ``int``. The model is checked afterwards (``onnx.checker`` and onnxruntime), so a
wrong guess here costs a retry, never a false finding.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from onnx import ModelProto, TensorProto, helper, numpy_helper

Dim = int | str | None

FLOAT, INT64, INT32, BOOL = TensorProto.FLOAT, TensorProto.INT64, TensorProto.INT32, TensorProto.BOOL
FLOAT16, BFLOAT16 = TensorProto.FLOAT16, TensorProto.BFLOAT16


@dataclass(frozen=True)
class Value:
    name: str
    dtype: int
    shape: tuple[Dim, ...]

    @property
    def rank(self) -> int:
        return len(self.shape)

    def static(self, axis: int) -> int | None:
        dim = self.shape[axis]
        return dim if isinstance(dim, int) else None


@dataclass
class Builder:
    """Nodes, initializers and graph inputs of one model under construction, plus the pool of values."""

    rng: np.random.Generator
    opset: int
    nodes: list = field(default_factory=list)  # type: ignore[type-arg]
    initializers: list = field(default_factory=list)  # type: ignore[type-arg]
    inputs: list = field(default_factory=list)  # type: ignore[type-arg]
    pool: list[Value] = field(default_factory=list)
    counter: int = 0

    def fresh(self, prefix: str) -> str:
        self.counter += 1
        return f"{prefix}_{self.counter}"

    def input(self, dtype: int, shape: tuple[Dim, ...]) -> Value:
        value = Value(self.fresh("in"), dtype, shape)
        dims = [d if d is not None else "unk" for d in shape]
        self.inputs.append(helper.make_tensor_value_info(value.name, dtype, dims))
        self.pool.append(value)
        return value

    def const(self, array: np.ndarray, as_node: bool | None = None, dtype: int | None = None) -> Value:
        """An initializer or a ``Constant`` node (chosen at random unless ``as_node`` says), not in the pool."""
        array = np.asarray(array)
        name = self.fresh("c")
        if dtype == BFLOAT16:
            tensor = helper.make_tensor(name, BFLOAT16, array.shape, array.astype(np.float32).flatten().tolist())
        else:
            tensor = numpy_helper.from_array(array, name)
        elem = tensor.data_type
        if as_node is None:
            as_node = bool(self.rng.random() < 0.3)
        if as_node:
            self.nodes.append(helper.make_node("Constant", [], [name], value=tensor))
        else:
            self.initializers.append(tensor)
        return Value(name, elem, tuple(array.shape))

    def op(self, op_type: str, inputs: list[Value | str], dtype: int, shape: tuple[Dim, ...], *,
           pool: bool = True, **attrs: object) -> Value:
        """Emit one node with one output; the output joins the pool unless ``pool`` is false."""
        out = Value(self.fresh(op_type.lower()), dtype, shape)
        names = [v if isinstance(v, str) else v.name for v in inputs]
        self.nodes.append(helper.make_node(op_type, names, [out.name], **attrs))
        if pool:
            self.pool.append(out)
        return out

    def pick(self, want=lambda v: True) -> Value | None:  # type: ignore[no-untyped-def]
        """A random pool value satisfying ``want``, favouring recent ones (deeper graphs)."""
        found = [v for v in self.pool if want(v)]
        if not found:
            return None
        weights = np.arange(1, len(found) + 1, dtype=np.float64)
        return found[int(self.rng.choice(len(found), p=weights / weights.sum()))]

    def model(self, outputs: list[Value]) -> ModelProto:
        outs = [helper.make_tensor_value_info(v.name, v.dtype, [None] * v.rank) for v in outputs]  # rank only
        graph = helper.make_graph(self.nodes, "fuzz", self.inputs, outs, self.initializers)
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", self.opset)], producer_name="onnxforge-fuzz")
        model.ir_version = 8 if self.opset <= 18 else 10
        return model
