"""``onnx-canonicalize``'s DropZeroInitialState: an RNN/GRU/LSTM whose initial state is zeros built at run time
(TorchScript's ``zeros(layers, batch, hidden)`` and its per-layer slices) loses the operand and the shape
chain behind it, bit-identically; a nonzero state stays."""

from __future__ import annotations

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

import onnxforge
from onnxforge.runtime import verify

HIDDEN = 4


def _model(fill: float, op: str) -> onnx.ModelProto:
    """x [seq, batch, 3] → op with initial_h (and initial_c) = Slice(ConstantOfShape([2, batch, H], fill))[:1]."""
    rng = np.random.default_rng(0)
    gates = {"LSTM": 4, "GRU": 3, "RNN": 1}[op]
    inits = {"W": rng.normal(size=(1, gates * HIDDEN, 3)), "R": rng.normal(size=(1, gates * HIDDEN, HIDDEN)),
             "B": rng.normal(size=(1, 2 * gates * HIDDEN)), "one": np.array([1]), "zero": np.array([0]),
             "two": np.array([2]), "hidden": np.array([HIDDEN])}
    tensors = [numpy_helper.from_array(v.astype(np.float32 if v.dtype.kind == "f" else np.int64), k) for k, v in inits.items()]
    nodes = [helper.make_node("Shape", ["x"], ["shape"]),
             helper.make_node("Gather", ["shape", "one"], ["batch"]),
             helper.make_node("Concat", ["two", "batch", "hidden"], ["dims"], axis=0),
             helper.make_node("ConstantOfShape", ["dims"], ["zeros"],
                              value=numpy_helper.from_array(np.array([fill], np.float32))),
             helper.make_node("Slice", ["zeros", "zero", "one", "zero"], ["h0"])]
    inputs = ["x", "W", "R", "B", "", "h0"] + (["h0"] if op == "LSTM" else [])
    nodes.append(helper.make_node(op, inputs, ["y", "y_h"], hidden_size=HIDDEN))
    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["seq", "batch", 3])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["seq", 1, "batch", HIDDEN]),
                               helper.make_tensor_value_info("y_h", TensorProto.FLOAT, [1, "batch", HIDDEN])], tensors)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 14)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


@pytest.mark.parametrize("op", ["LSTM", "GRU", "RNN"])
def test_a_zero_initial_state_and_its_shape_chain_go(op: str) -> None:
    original = _model(0.0, op)
    compiled = onnxforge.compile(original, pipeline="cleanup")
    assert [n.op_type for n in compiled.graph.node] == [op]
    node = compiled.graph.node[0]
    assert all(name == "" for name in node.input[4:])  # no initial state (trailing absent inputs may be dropped)
    report = verify(original, compiled, dims={"seq": 5, "batch": 3})
    assert report.identical, report.summary()


def test_a_nonzero_initial_state_stays() -> None:
    original = _model(0.5, "LSTM")
    compiled = onnxforge.compile(original, pipeline="cleanup")
    lstm = next(n for n in compiled.graph.node if n.op_type == "LSTM")
    assert lstm.input[5] and lstm.input[6]
    assert verify(original, compiled, dims={"seq": 5, "batch": 3}).identical


def test_zero_states_per_direction_built_by_expand_and_concat_go() -> None:
    """tf2onnx's bidirectional GRU state: Concat(z, z) of Unsqueeze(Expand(0.0, [batch, H]))."""
    rng = np.random.default_rng(1)
    tensors = [numpy_helper.from_array(rng.normal(size=(2, 3 * HIDDEN, 3)).astype(np.float32), "W"),
               numpy_helper.from_array(rng.normal(size=(2, 3 * HIDDEN, HIDDEN)).astype(np.float32), "R"),
               numpy_helper.from_array(np.array(0.0, np.float32), "zero"), numpy_helper.from_array(np.array([1]), "one"),
               numpy_helper.from_array(np.array([HIDDEN]), "hidden"), numpy_helper.from_array(np.array([0]), "axis0"),
               numpy_helper.from_array(np.array([2]), "two")]
    nodes = [helper.make_node("Shape", ["x"], ["shape"]), helper.make_node("Slice", ["shape", "one", "two", "axis0"], ["batch"]),
             helper.make_node("Concat", ["batch", "hidden"], ["dims"], axis=0),
             helper.make_node("Expand", ["zero", "dims"], ["z"]), helper.make_node("Unsqueeze", ["z", "axis0"], ["z1"]),
             helper.make_node("Concat", ["z1", "z1"], ["h0"], axis=0),
             helper.make_node("GRU", ["x", "W", "R", "", "", "h0"], ["y", "y_h"], hidden_size=HIDDEN, direction="bidirectional")]
    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["seq", "batch", 3])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["seq", 2, "batch", HIDDEN]),
                               helper.make_tensor_value_info("y_h", TensorProto.FLOAT, [2, "batch", HIDDEN])], tensors)
    original = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 14)])
    original.ir_version = 8
    compiled = onnxforge.compile(original, pipeline="cleanup")
    assert [n.op_type for n in compiled.graph.node] == ["GRU"]
    assert verify(original, compiled, dims={"seq": 5, "batch": 3}).identical
