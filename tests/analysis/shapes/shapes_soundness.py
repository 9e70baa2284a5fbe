"""Checking inferred facts against onnxruntime: every intermediate becomes a graph output.

A dim inferred as an int must equal the actual size; a symbolic dim, evaluated
at the binding the inputs were made with, must equal it too; inferred
shape-tensor contents must equal the actual contents. Unknown is always fine.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import onnx
import onnxruntime as ort
import sympy

from onnxforge.analysis.shapes import ShapeFacts, dims
from onnxforge.dialects.onnx.structure import NAMES_ATTR, GraphOp, InitializerOp, ModelOp


def evaluate(dim: object, binding: dict[sympy.Symbol, int]) -> int | None:
    if dim is None:
        return None
    if isinstance(dim, int):
        return dim
    value = sympy.sympify(dim).xreplace(binding)
    return int(value) if value.is_Integer else None


@dataclass
class Report:
    checked_dims: int = 0
    checked_values: int = 0
    errors: list[str] = field(default_factory=list)


def named_values(module) -> dict[str, object]:  # type: ignore[no-untyped-def]
    """ONNX name → SSA value for the main graph (inputs, initializers, node outputs)."""
    model = next(op for op in module.body.block.ops if isinstance(op, ModelOp))
    graph: GraphOp = model.graph
    names: dict[str, object] = {}
    for arg, name in zip(graph.block.args, graph.input_names.data):
        names[name.data] = arg  # type: ignore[attr-defined]
    for op in graph.block.ops:
        if isinstance(op, InitializerOp):
            names.setdefault(op.tensor_name.data, op.results[0])
            continue
        attr = op.attributes.get(NAMES_ATTR)
        if attr is None:
            continue
        for result, name in zip(op.results, attr.data):  # type: ignore[attr-defined]
            if name.data:
                names[name.data] = result
    return names


def run_all_values(model: onnx.ModelProto, feeds: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Every node output of the main graph, as onnxruntime computes it (optimisations off)."""
    exposed = onnx.ModelProto()
    exposed.CopyFrom(model)
    present = {o.name for o in exposed.graph.output}
    for node in exposed.graph.node:
        for name in node.output:
            if name and name not in present:
                exposed.graph.output.add().name = name
                present.add(name)
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    options.log_severity_level = 3
    session = ort.InferenceSession(exposed.SerializeToString(), options, providers=["CPUExecutionProvider"])
    names = [o.name for o in session.get_outputs()]
    actual = dict(zip(names, session.run(names, feeds)))
    actual.update(feeds)
    return actual


def check(facts: ShapeFacts, values: dict[str, object], actual: dict[str, np.ndarray], binding: dict[str, int],
          report: Report) -> None:
    symbols = {dims.symbol(k): sympy.Integer(v) for k, v in binding.items()}
    for name, array in actual.items():
        value = values.get(name)
        if value is None or not isinstance(array, np.ndarray):
            continue
        shape = facts.shape(value)  # type: ignore[arg-type]
        if shape is not None:
            if len(shape) != array.ndim:
                report.errors.append(f"{name}: rank {len(shape)} inferred, actual shape {array.shape}")
                continue
            for i, (dim, real) in enumerate(zip(shape, array.shape)):
                if dim is None:
                    continue
                report.checked_dims += 1
                got = evaluate(dim, symbols)
                if got != real:
                    report.errors.append(f"{name}: dim {i} inferred {dim} = {got}, actual {real} (shape {array.shape})")
        contents = facts.value(value)  # type: ignore[arg-type]
        if contents is not None:
            flat = array.reshape(-1)
            if len(contents) != flat.size:
                report.errors.append(f"{name}: {len(contents)} elements inferred, actual {flat.tolist()}")
                continue
            for i, (item, real) in enumerate(zip(contents, flat.tolist())):
                if item is None:
                    continue
                report.checked_values += 1
                got = evaluate(item, symbols)
                if got != real:
                    report.errors.append(f"{name}: element {i} inferred {item} = {got}, actual {real}")
        const = facts.const(value)  # type: ignore[arg-type]
        if const is not None and const.dtype.kind in "iubf" and (
            const.shape != array.shape or not np.array_equal(const, array, equal_nan=const.dtype.kind == "f")
        ):
            report.errors.append(f"{name}: constant inferred {const.tolist()}, actual {array.tolist()}")
        elem = facts.elem(value)  # type: ignore[arg-type]
        if elem:
            expected = onnx.helper.np_dtype_to_tensor_dtype(array.dtype)
            if elem != expected:
                report.errors.append(f"{name}: element type {elem} inferred, actual {expected}")
