"""Property: ``cleanup`` keeps the function of random graphs of shape and elementwise ops.

Hypothesis builds graphs over a dynamic input ``[batch, seq, width]`` that mix
what exporters emit: run-time shape chains (Shape→Gather→Unsqueeze→Concat→
Reshape/Expand), transposes, identities, cast chains (some value-preserving,
some not), neutral constants and duplicate subexpressions. The cleaned model
must agree with the original under onnxruntime at two bindings of the dims.
"""

from __future__ import annotations

import numpy as np
import onnx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from onnx import TensorProto, helper, numpy_helper

import onnxforge
from onnxforge.runtime import run


class _Builder:
    def __init__(self, draw: st.DrawFn) -> None:
        self.draw = draw
        self.nodes: list[onnx.NodeProto] = []
        self.inits: list[onnx.TensorProto] = []
        self.count = 0

    def name(self, prefix: str = "v") -> str:
        self.count += 1
        return f"{prefix}{self.count}"

    def const(self, array: np.ndarray) -> str:
        name = self.name("c")
        self.inits.append(numpy_helper.from_array(array, name))
        return name

    def node(self, op: str, inputs: list[str], **attrs: object) -> str:
        out = self.name()
        self.nodes.append(helper.make_node(op, inputs, [out], name=f"n{self.count}", **attrs))
        return out

    def dim(self, value: str, axis: int) -> str:
        """A run-time dim of ``value``: Shape → Gather → Unsqueeze, as TorchScript exports do."""
        shape = self.node("Shape", [value])
        gathered = self.node("Gather", [shape, self.const(np.array(axis, np.int64))], axis=0)
        return self.node("Unsqueeze", [gathered, self.const(np.array([0], np.int64))])


@st.composite
def graphs(draw: st.DrawFn) -> onnx.ModelProto:
    width = draw(st.sampled_from([2, 4, 6]))
    b = _Builder(draw)
    value = "x"  # [batch, seq, width], always 3-D between steps
    for _ in range(draw(st.integers(1, 8))):
        kind = draw(st.sampled_from(["unary", "reshape_chain", "expand_chain", "transpose", "identity",
                                     "cast_chain", "neutral", "duplicate", "binary_const"]))
        if kind == "unary":
            value = b.node(draw(st.sampled_from(["Relu", "Neg", "Tanh", "Abs"])), [value])
        elif kind == "reshape_chain":  # [b, s, w] → [b, s, w/2, 2] → back, targets built at run time
            parts = [b.dim(value, 0), b.dim(value, 1), b.const(np.array([width // 2, 2], np.int64))]
            split = b.node("Reshape", [value, b.node("Concat", parts, axis=0)])
            back = [b.dim(split, 0), b.dim(split, 1), b.const(np.array([-1], np.int64))]
            value = b.node("Reshape", [split, b.node("Concat", back, axis=0)])
        elif kind == "expand_chain":
            shape = b.node("Shape", [value])
            value = b.node("Expand", [value, shape])
        elif kind == "transpose":
            perm = draw(st.sampled_from([[0, 1, 2], [0, 2, 1], [1, 0, 2], [2, 1, 0]]))
            value = b.node("Transpose", [value], perm=perm)
            if perm != [0, 1, 2] and perm != [0, 2, 1]:  # keep batch first for the shape chains
                value = b.node("Transpose", [value], perm=perm)
            elif perm == [0, 2, 1]:
                value = b.node("Transpose", [value], perm=perm)
        elif kind == "identity":
            value = b.node("Identity", [value])
        elif kind == "cast_chain":
            via = draw(st.sampled_from([TensorProto.DOUBLE, TensorProto.FLOAT16, TensorProto.INT32]))
            value = b.node("Cast", [b.node("Cast", [value], to=via)], to=TensorProto.FLOAT)
        elif kind == "neutral":
            op, element = draw(st.sampled_from([("Mul", 1.0), ("Add", 0.0), ("Div", 1.0), ("Sub", 0.0)]))
            value = b.node(op, [value, b.const(np.full([width], element, np.float32))])
        elif kind == "duplicate":
            left, right = b.node("Sigmoid", [value]), b.node("Sigmoid", [value])
            value = b.node("Add", [left, right])
        else:
            data = np.asarray(draw(st.lists(st.floats(-2, 2, width=32), min_size=width, max_size=width)), np.float32)
            value = b.node(draw(st.sampled_from(["Add", "Mul", "Sub"])), [value, b.const(data)])
    graph = helper.make_graph(
        b.nodes, "random",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", "seq", width])],
        [helper.make_tensor_value_info(value, TensorProto.FLOAT, ["batch", "seq", width])],
        b.inits,
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(model=graphs())
def test_cleanup_keeps_the_function_of_random_graphs(model: onnx.ModelProto) -> None:
    onnx.checker.check_model(model, full_check=True)
    result = onnxforge.compile(model, pipeline="cleanup")
    onnx.checker.check_model(result, full_check=True)
    assert len(result.graph.node) <= len(model.graph.node)
    width = model.graph.input[0].type.tensor_type.shape.dim[2].dim_value
    for batch, seq in ((1, 3), (3, 5)):
        feeds = {"x": np.random.default_rng(batch).standard_normal((batch, seq, width)).astype(np.float32)}
        expected, actual = run(model, feeds), run(result, feeds)
        for name, want in expected.items():
            got = actual[name]
            assert want.shape == got.shape
            np.testing.assert_allclose(got, want, rtol=0, atol=1e-6)


def test_lossy_cast_chain_is_kept() -> None:
    """f32 → f16 → f32 rounds: the pair must survive cleanup (f32 → f64 → f32 need not)."""
    nodes = [helper.make_node("Cast", ["x"], ["h"], to=TensorProto.FLOAT16), helper.make_node("Cast", ["h"], ["y"], to=TensorProto.FLOAT)]
    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["n"])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["n"])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)
    result = onnxforge.compile(model, pipeline="cleanup")
    assert [n.op_type for n in result.graph.node] == ["Cast", "Cast"]
