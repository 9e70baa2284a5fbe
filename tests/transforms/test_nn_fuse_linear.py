"""``nn-fuse-linear`` on the transformer fixtures and on small graphs, checked on onnxruntime.

The fixtures get trained-looking biases (``trained``): freshly initialised
biases are zero and cleanup removes their Adds. Every MatMul + bias of BERT and
ViT (q, k, v, output, two FFN: 6 per layer × 2) and of the Whisper encoder (its
key projection has no bias: 5 × 2) becomes ``nn.linear``; GPT-2's projections
are Gemms already and Llama's have no bias.
"""

from __future__ import annotations

import numpy as np
import onnx
import pytest
from conv_linear_support import model, random, tensor, trained
from onnx import helper
from support import assert_close, compile_state, near_misses, op_types

PASSES = "onnx-infer-shapes,nn-fuse-linear,nn-lower"
PASS = "nn-fuse-linear"
FUSED = f"{PASS}/FuseLinear"


@pytest.mark.parametrize(("name", "kind", "count"), [
    ("bert_ts", "standard", 12), ("bert_dynamo", "ort", 12), ("vit_ts", "portable", 12),
    ("whisper_encoder_dynamo", "standard", 10), ("gpt2_dynamo", "standard", 0), ("llama_ts", "standard", 0),
])
def test_fixtures(name: str, kind: str, count: int) -> None:
    original = onnx.load_from_string(trained(name))
    compiled, state = compile_state(original, PASSES, kind)
    assert state.statistics[FUSED] == count
    assert state.statistics["nn-lower/nn.linear"] == count
    assert op_types(compiled).get(("", "MatMul"), 0) == op_types(original).get(("", "MatMul"), 0)
    assert not near_misses(state, PASS)
    assert_close(original, compiled)


def _projection(x_shape: list[int | str], bias: np.ndarray, bias_first: bool = False, extra: list[onnx.NodeProto] = ()) -> onnx.ModelProto:
    add_inputs = ["b", "m"] if bias_first else ["m", "b"]
    nodes = [helper.make_node("MatMul", ["x", "w"], ["m"], name="matmul"), helper.make_node("Add", add_inputs, ["y"], name="add"), *extra]
    outputs = ["y", *(n.output[0] for n in extra)]
    return model(nodes, [tensor("x", x_shape)], outputs, {"w": random(6, 5, seed=1), "b": bias})


@pytest.mark.parametrize(("bias", "bias_first"), [(random(5, seed=2), False), (random(1, 5, seed=2), True)])
def test_two_dimensional_input_is_gemm(bias: np.ndarray, bias_first: bool) -> None:
    original = _projection(["rows", 6], bias, bias_first)
    compiled, state = compile_state(original, PASSES)
    assert state.statistics[FUSED] == 1
    assert op_types(compiled) == {("", "Gemm"): 1}
    gemm = compiled.graph.node[0]
    assert gemm.name == "matmul" and not gemm.attribute
    assert {m.key: m.value for m in gemm.metadata_props}["onnxforge.fused_from"] == "matmul,add"
    assert_close(original, compiled)


@pytest.mark.parametrize("bias", [random(5, seed=2), random(1, 1, 5, seed=2)])
def test_higher_rank_input_is_linear(bias: np.ndarray) -> None:
    """[1, 1, N] broadcasts like [N]: nn.linear reads it as [N] (the same bytes, a new name)."""
    original = _projection(["batch", "sequence", 6], bias)
    compiled, state = compile_state(original, PASSES)
    assert state.statistics[FUSED] == 1
    assert op_types(compiled) == {("", "MatMul"): 1, ("", "Add"): 1}
    assert [list(t.dims) for t in compiled.graph.initializer if t.name != "w"] == [[5]]
    assert_close(original, compiled)


@pytest.mark.parametrize(("x_shape", "bias", "reason"), [
    (["batch", 4, 6], random(4, 5, seed=2), "not broadcast along the last dim only"),
    (["batch", 4, 6], random(1, seed=2), "not broadcast along the last dim only"),
    (["rows", 6], random(1, 1, 5, seed=2), "more dims than the input"),
    ([6], random(5, seed=2), "vector"),
])
def test_near_misses_change_nothing(x_shape: list[int | str], bias: np.ndarray, reason: str) -> None:
    original = _projection(x_shape, bias)
    compiled, state = compile_state(original, PASSES)
    assert FUSED not in state.statistics
    assert any(reason in r for r in near_misses(state, PASS))
    assert op_types(compiled) == {("", "MatMul"): 1, ("", "Add"): 1}


def test_matmul_read_twice_is_a_near_miss() -> None:
    original = _projection(["batch", "sequence", 6], random(5, seed=2), extra=[helper.make_node("Relu", ["m"], ["r"])])
    _, state = compile_state(original, PASSES)
    assert FUSED not in state.statistics
    assert any("other readers" in r for r in near_misses(state, PASS))
