"""``onnx-cancel-reshape-pairs``: Reshape → pointwise ops → Reshape back, on GPT-2's MLP and small graphs;
the result is bit-identical, and every region that must keep its reshapes keeps them."""

from __future__ import annotations

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper
from paths import FIXTURES
from support import compile_state, op_types

from onnxforge.runtime import verify

PASSES = "onnx-infer-shapes,onnx-cancel-reshape-pairs,onnx-eliminate-dead"
PATTERN = "onnx-cancel-reshape-pairs/CancelReshapePair"


def _graph(middle: list[onnx.NodeProto], inits: dict[str, np.ndarray], first: list[int], back: list[int],
           outputs: tuple[str, ...] = ("out",)) -> onnx.ModelProto:
    """x [6, 4] → Reshape(first) → middle (reads ``r``, writes ``m``) → Reshape(back) → out."""
    tensors = {"first": np.array(first, np.int64), "back": np.array(back, np.int64), **inits}
    nodes = [helper.make_node("Reshape", ["x", "first"], ["r"]), *middle, helper.make_node("Reshape", ["m", "back"], ["out"])]
    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [6, 4])],
                              [helper.make_tensor_value_info(o, TensorProto.FLOAT, None) for o in outputs],
                              [numpy_helper.from_array(v, k) for k, v in tensors.items()])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8  # what the oldest supported onnxruntime reads
    return model


def _gelu_chain() -> tuple[list[onnx.NodeProto], dict[str, np.ndarray]]:
    """GELU in basic ops as GPT-2 exports it (x used three times), plus a bias along the last axis."""
    f = np.float32
    inits = {"half": np.array(0.5, f), "three": np.array(3.0, f), "k": np.array(0.044715, f),
             "s": np.array(0.7978846, f), "one": np.array(1.0, f), "bias": np.arange(4, dtype=f)}
    nodes = [helper.make_node("Add", ["r", "bias"], ["b"]),
             helper.make_node("Pow", ["b", "three"], ["p"]), helper.make_node("Mul", ["p", "k"], ["q"]),
             helper.make_node("Add", ["b", "q"], ["t"]), helper.make_node("Mul", ["t", "s"], ["u"]),
             helper.make_node("Tanh", ["u"], ["v"]), helper.make_node("Add", ["v", "one"], ["w"]),
             helper.make_node("Mul", ["b", "half"], ["h"]), helper.make_node("Mul", ["h", "w"], ["m"])]
    return nodes, inits


def test_gpt2_mlp_reshapes_cancel_bit_identically() -> None:
    original = onnx.load(FIXTURES / "gpt2_dynamo.onnx")
    compiled, state = compile_state(original, PASSES)
    assert state.statistics[PATTERN] == 2  # one MLP per layer
    assert op_types(compiled)[("", "Reshape")] == op_types(original)[("", "Reshape")] - 4
    report = verify(original, compiled)
    assert report.identical, report.summary()


def test_a_pointwise_region_with_constants() -> None:
    nodes, inits = _gelu_chain()
    original = _graph(nodes, inits, [2, 3, 4], [-1, 4])
    compiled, state = compile_state(original, PASSES)
    assert state.statistics[PATTERN] == 1 and ("", "Reshape") not in op_types(compiled)
    assert verify(original, compiled).identical
    again, state = compile_state(compiled, PASSES)  # a second run finds nothing
    assert PATTERN not in state.statistics and op_types(again) == op_types(compiled)


@pytest.mark.parametrize("case", ["read outside", "not back", "last axis changes", "middle axis constant", "reduction"])
def test_regions_that_must_keep_their_reshapes(case: str) -> None:
    f = np.float32
    middle = [helper.make_node("Relu", ["r"], ["a"]), helper.make_node("Add", ["a", "c"], ["m"])]
    inits = {"c": np.ones(4, f)}
    first, back, outputs = [2, 3, 4], [-1, 4], ("out",)
    if case == "read outside":  # `a` is also an output: it is needed in the reshaped form
        outputs = ("out", "a")
    elif case == "not back":
        back = [4, 6]
    elif case == "last axis changes":  # the vector constant would broadcast along another axis
        first, back, inits = [2, 12], [6, 4], {"c": np.ones(12, f)}
    elif case == "middle axis constant":
        inits = {"c": np.ones((3, 1), f)}
    else:
        middle = [helper.make_node("Relu", ["r"], ["a"]), helper.make_node("Softmax", ["a"], ["m"], axis=1)]
        inits = {}
    original = _graph(middle, inits, first, back, outputs)
    compiled, state = compile_state(original, PASSES)
    assert PATTERN not in state.statistics
    assert op_types(compiled)[("", "Reshape")] == 2
    assert verify(original, compiled).identical
