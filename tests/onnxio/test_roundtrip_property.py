"""Property: any valid graph of elementwise, shape and reduction ops round-trips bit-identically.

Hypothesis builds random DAGs (random op choice, random wiring to earlier
values, symbolic and static dims, absent optional inputs, initializers) and
checks that import → export keeps the model's function exactly.
"""

from __future__ import annotations

import numpy as np
import onnx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from onnx import TensorProto, helper, numpy_helper

import onnxforge
from onnxforge.runtime import run

UNARY = ["Relu", "Neg", "Abs", "Sigmoid", "Tanh", "Exp", "Identity", "Softmax"]
BINARY = ["Add", "Mul", "Sub", "Max", "Min"]


@st.composite
def graphs(draw: st.DrawFn) -> onnx.ModelProto:
    width = draw(st.integers(1, 4))
    dims = ["batch", width]
    values = ["x"]
    nodes = []
    initializers = []
    for index in range(draw(st.integers(1, 12))):
        kind = draw(st.sampled_from(["unary", "binary", "const", "reduce", "clip"]))
        out = f"v{index}"
        pick = lambda: draw(st.sampled_from(values))  # noqa: E731
        if kind == "unary":
            nodes.append(helper.make_node(draw(st.sampled_from(UNARY)), [pick()], [out], name=f"n{index}"))
        elif kind == "binary":
            nodes.append(helper.make_node(draw(st.sampled_from(BINARY)), [pick(), pick()], [out], name=f"n{index}"))
        elif kind == "const":
            data = np.asarray(draw(st.lists(st.floats(-4, 4, width=32), min_size=width, max_size=width)), np.float32)
            initializers.append(numpy_helper.from_array(data, f"w{index}"))
            nodes.append(helper.make_node("Mul", [pick(), f"w{index}"], [out], name=f"n{index}"))
        elif kind == "reduce":
            nodes.append(helper.make_node("ReduceSum", [pick(), "axes"], [out], keepdims=1, name=f"n{index}"))
        else:  # Clip with an absent min: exercises optional inputs in the middle
            bound = f"c{index}"
            initializers.append(numpy_helper.from_array(np.float32(draw(st.floats(0, 3, width=32))), bound))
            nodes.append(helper.make_node("Clip", [pick(), "", bound], [out], name=f"n{index}"))
        values.append(out)
    initializers.append(numpy_helper.from_array(np.array([1], np.int64), "axes"))
    outputs = draw(st.lists(st.sampled_from(values[1:]), min_size=1, max_size=3, unique=True))
    graph = helper.make_graph(
        nodes,
        "random",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, dims)],
        [helper.make_tensor_value_info(o, TensorProto.FLOAT, [None, None]) for o in outputs],
        initializers,
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(model=graphs(), batch=st.integers(1, 4))
def test_random_graphs_round_trip_bit_identically(model: onnx.ModelProto, batch: int) -> None:
    onnx.checker.check_model(model, full_check=True)
    feeds = {"x": np.random.default_rng(batch).standard_normal((batch, model.graph.input[0].type.tensor_type.shape.dim[1].dim_value)).astype(np.float32)}
    result = onnxforge.compile(model, pipeline="none")
    onnx.checker.check_model(result, full_check=True)
    expected, actual = run(model, feeds), run(result, feeds)
    assert expected.keys() == actual.keys()
    for name in expected:
        assert expected[name].tobytes() == actual[name].tobytes(), name
