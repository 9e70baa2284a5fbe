"""Structure-aware mutations of the committed fixtures (tests/fixtures/*.onnx).

A case takes one fixture, usually *crops* it to a window of consecutive nodes (the window's free inputs
become graph inputs typed by onnx shape inference, so the piece stays meaningful and small), then applies
one to three mutations: swap two inputs of a node, change an attribute, drop a node (its first input takes
its place), make an input dim symbolic or 0 or 1, change an input's dtype or a Cast's target, duplicate a
window of nodes as an extra output, insert an Identity or a lossless Cast pair on an edge, and set
constant elements to edge values (0, -1, INT_MIN, NaN, inf).

Mutated models need not be valid: forgec must then reject them in one line, never crash, and still
compile correctly whatever onnxruntime runs. The mutation log says what was done, for the finding report.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
from onnx import ModelProto, TensorProto, helper, numpy_helper

FIXTURES = Path(__file__).resolve().parent.parent.parent / "tests" / "fixtures"
WHOLE_LIMIT = 120
"""Fixtures with at most this many nodes are sometimes mutated whole (bigger ones cost seconds a run)."""


def fixtures() -> list[Path]:
    return sorted(FIXTURES.glob("*.onnx"))


def _copy(model: ModelProto) -> ModelProto:
    copy = ModelProto()
    copy.CopyFrom(model)
    return copy


def _types(model: ModelProto) -> dict[str, onnx.TypeProto]:
    try:
        inferred = onnx.shape_inference.infer_shapes(model)
    except Exception:
        inferred = model
    graph = inferred.graph
    return {v.name: v.type for v in [*graph.input, *graph.value_info, *graph.output] if v.type.HasField("tensor_type")}


def crop(model: ModelProto, rng: np.random.Generator) -> ModelProto | None:
    """A window of consecutive nodes as a model of its own (None when a free input has no known type)."""
    nodes = list(model.graph.node)
    size = int(rng.integers(4, 40))
    start = int(rng.integers(0, max(1, len(nodes) - size)))
    window = nodes[start:start + size]
    types = _types(model)
    initializers = {t.name: t for t in model.graph.initializer}
    constants = {n.output[0]: n for n in nodes if n.op_type == "Constant"}
    produced = {o for n in window for o in n.output}
    needed = [i for n in window for i in n.input if i and i not in produced]
    extra = [constants[i] for i in dict.fromkeys(needed) if i in constants and i not in initializers]
    inputs, inits = [], []
    for name in dict.fromkeys(needed):
        if name in initializers:
            inits.append(initializers[name])
        elif name not in constants:
            if name not in types or not types[name].tensor_type.HasField("shape"):
                return None
            inputs.append(helper.make_value_info(name, types[name]))
    if not inputs:
        return None
    used_later = {i for n in nodes[start + size:] for i in n.input} | {o.name for o in model.graph.output}
    outs = [o for n in window for o in n.output if o in used_later] or [o for o in window[-1].output if o]
    outs = [o for o in outs if o in types][:4]
    if not outs:
        return None
    graph = helper.make_graph(extra + window, f"crop_{start}", inputs, [helper.make_value_info(o, types[o]) for o in outs], inits)
    cropped = helper.make_model(graph, opset_imports=list(model.opset_import), producer_name="onnxforge-fuzz")
    cropped.ir_version = model.ir_version
    return cropped


def swap_input(model: ModelProto, rng: np.random.Generator) -> str | None:
    nodes = [n for n in model.graph.node if len([i for i in n.input if i]) >= 2]
    if not nodes:
        return None
    node = nodes[int(rng.integers(len(nodes)))]
    a, b = (int(i) for i in rng.choice(len(node.input), size=2, replace=False))
    node.input[a], node.input[b] = node.input[b], node.input[a]
    return f"swap inputs {a},{b} of {node.op_type} {node.name or node.output[0]}"


def change_attribute(model: ModelProto, rng: np.random.Generator) -> str | None:
    candidates = [(n, a) for n in model.graph.node for a in n.attribute
                  if a.type in (onnx.AttributeProto.INT, onnx.AttributeProto.FLOAT, onnx.AttributeProto.INTS)]
    if not candidates:
        return None
    node, attr = candidates[int(rng.integers(len(candidates)))]
    if attr.type == onnx.AttributeProto.INT:
        attr.i = int(rng.choice([0, 1, -1, attr.i + 1, attr.i - 1, 2**31]))
    elif attr.type == onnx.AttributeProto.FLOAT:
        attr.f = float(rng.choice([0.0, -1.0, np.nan, np.inf, attr.f * 10]))
    elif attr.ints:
        values = list(attr.ints)
        i = int(rng.integers(len(values)))
        values[i] = int(rng.choice([0, 1, -1, values[i] + 1]))
        if rng.random() < 0.3:
            values.reverse()
        attr.ints[:] = values
    return f"attribute {attr.name} of {node.op_type} {node.name or node.output[0]}"


def drop_node(model: ModelProto, rng: np.random.Generator) -> str | None:
    nodes = [i for i, n in enumerate(model.graph.node) if n.input and n.input[0] and len(n.output) == 1]
    if not nodes:
        return None
    index = nodes[int(rng.integers(len(nodes)))]
    op_type = model.graph.node[index].op_type
    bypass(model, index)
    return f"drop {op_type}"


def bypass(model: ModelProto, index: int) -> None:
    """Remove node ``index`` (one output and a first input): its readers, graph outputs included, read that input instead."""
    node = model.graph.node[index]
    old, new = node.output[0], node.input[0]
    del model.graph.node[index]
    for other in model.graph.node:
        other.input[:] = [new if i == old else i for i in other.input]
    for out in model.graph.output:
        if out.name == old:
            out.name = new


def change_dim(model: ModelProto, rng: np.random.Generator) -> str | None:
    dims = [(i, d) for i in model.graph.input for d in i.type.tensor_type.shape.dim]
    if not dims:
        return None
    info, dim = dims[int(rng.integers(len(dims)))]
    choice = int(rng.integers(3))
    if choice == 0:
        dim.dim_param = f"fuzz_{int(rng.integers(2))}"
        return f"dim of {info.name} → symbolic"
    dim.dim_value = choice - 1
    return f"dim of {info.name} → {choice - 1}"


def change_dtype(model: ModelProto, rng: np.random.Generator) -> str | None:
    casts = [n for n in model.graph.node if n.op_type == "Cast"]
    dtypes = [TensorProto.FLOAT16, TensorProto.BFLOAT16, TensorProto.DOUBLE, TensorProto.INT32, TensorProto.INT64]
    dtype = int(rng.choice(dtypes))
    if casts and rng.random() < 0.5:
        node = casts[int(rng.integers(len(casts)))]
        for attr in node.attribute:
            if attr.name == "to":
                attr.i = dtype
        return f"Cast to {TensorProto.DataType.Name(dtype)}"
    info = model.graph.input[int(rng.integers(len(model.graph.input)))]
    info.type.tensor_type.elem_type = dtype
    return f"input {info.name} → {TensorProto.DataType.Name(dtype)}"


def duplicate(model: ModelProto, rng: np.random.Generator) -> str | None:
    """A copy of a window of nodes, renamed, whose last value becomes an extra output (CSE and DCE bait)."""
    nodes = [n for n in model.graph.node if n.op_type != "Constant"]
    if not nodes:
        return None
    types = _types(model)
    size = int(rng.integers(1, 6))
    start = int(rng.integers(0, max(1, len(nodes) - size)))
    window = nodes[start:start + size]
    renamed = {o: f"{o}__dup" for n in window for o in n.output if o}
    copies = []
    for node in window:
        copy = onnx.NodeProto()
        copy.CopyFrom(node)
        copy.name = f"{node.name}__dup" if node.name else ""
        copy.input[:] = [renamed.get(i, i) for i in node.input]
        copy.output[:] = [renamed.get(o, o) for o in node.output]
        copies.append(copy)
    last = window[-1].output[0]
    position = list(model.graph.node).index(window[-1]) + 1
    for offset, copy in enumerate(copies):
        model.graph.node.insert(position + offset, copy)
    if last in types:
        model.graph.output.append(helper.make_value_info(renamed[last], types[last]))
    return f"duplicate {len(window)} nodes from {window[0].op_type}"


def insert_pair(model: ModelProto, rng: np.random.Generator) -> str | None:
    types = _types(model)
    edges = [(i, n) for n in model.graph.node for i in n.input if i in types
             and types[i].tensor_type.elem_type == TensorProto.FLOAT]
    if not edges:
        return None
    name, node = edges[int(rng.integers(len(edges)))]
    mid, out = f"{name}__mid", f"{name}__pair"
    if rng.random() < 0.5:
        new = [helper.make_node("Identity", [name], [out])]
    else:
        new = [helper.make_node("Cast", [name], [mid], to=TensorProto.DOUBLE), helper.make_node("Cast", [mid], [out], to=TensorProto.FLOAT)]
    node.input[:] = [out if i == name else i for i in node.input]
    position = list(model.graph.node).index(node)
    for offset, n in enumerate(new):
        model.graph.node.insert(position + offset, n)
    return f"{new[0].op_type} pair before {node.op_type}"


def perturb_constant(model: ModelProto, rng: np.random.Generator) -> str | None:
    tensors = list(model.graph.initializer) + [a.t for n in model.graph.node if n.op_type == "Constant" for a in n.attribute if a.name == "value"]
    tensors = [t for t in tensors if t.data_type in (TensorProto.FLOAT, TensorProto.INT64, TensorProto.INT32)]
    if not tensors:
        return None
    tensor = tensors[int(rng.integers(len(tensors)))]
    array = numpy_helper.to_array(tensor).copy()
    if array.size == 0:
        return None
    flat = array.reshape(-1)
    if np.issubdtype(array.dtype, np.floating):
        edges = [0.0, -1.0, np.nan, np.inf, -np.inf]
    else:
        info = np.iinfo(array.dtype)
        edges = [0, -1, 1, info.min, info.max]
    for i in rng.choice(flat.size, size=min(flat.size, int(rng.integers(1, 4))), replace=False):
        flat[i] = edges[int(rng.integers(len(edges)))]
    tensor.CopyFrom(numpy_helper.from_array(array, tensor.name))
    return f"constant {tensor.name} edge values"


MUTATIONS = [swap_input, change_attribute, drop_node, change_dim, change_dtype, duplicate, insert_pair, perturb_constant]


def mutate(seed: int) -> tuple[ModelProto, str]:
    """The mutated fixture of ``seed`` and a one-line description of what was done."""
    rng = np.random.default_rng([seed, 13])
    paths = fixtures()
    for _ in range(20):
        path = paths[int(rng.integers(len(paths)))]
        base = onnx.load(str(path))
        whole = len(base.graph.node) <= WHOLE_LIMIT and rng.random() < 0.15
        model = _copy(base) if whole else crop(base, rng)
        if model is None:
            continue
        done = []
        for _ in range(int(rng.integers(1, 4))):
            what = MUTATIONS[int(rng.integers(len(MUTATIONS)))](model, rng)
            if what:
                done.append(what)
        scope = "whole" if whole else f"{model.graph.name}+{len(model.graph.node)} nodes"
        return model, f"{path.stem} ({scope}): {'; '.join(done) or 'crop only'}"
    raise RuntimeError(f"seed {seed}: no croppable window in 20 tries")
