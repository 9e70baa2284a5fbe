"""``nn-fuse-qkv`` on the transformer fixtures and small graphs, checked on onnxruntime.

In the planned order ``nn-fuse-attention`` runs first: its ``nn.attention`` reads
the q, k and v projections, which this pass packs into one (BERT, ViT, Whisper:
2 layers each). Under ``ort`` the packed attention lowers to one
``com.microsoft::Attention`` (projection included) when q and kv heads are
equal; at opset 23 to a MatMul, a Split and ``Attention``. Llama's grouped-query
attention packs too (MultiHeadAttention after a Split); its MLP's gate/up pair
is two projections, below the Split rule. GPT-2's ``c_attn`` is packed already.
"""

from __future__ import annotations

import numpy as np
import onnx
import pytest
from conv_linear_support import model, random, tensor, trained
from onnx import helper
from support import assert_close, compile_state, near_misses, op_types

PASS = "nn-fuse-qkv"
FUSED = f"{PASS}/FuseQKV"
TRANSFORMER = ("onnx-infer-shapes,nn-fuse-rms-norm,nn-fuse-rotary-embedding,nn-fuse-attention,nn-fuse-qkv,"
               "nn-fuse-linear,nn-lower")


@pytest.mark.parametrize(("name", "kind", "opset", "lowered"), [
    ("bert_ts", "ort", None, {("com.microsoft", "Attention"): 2}),
    ("vit_dynamo", "ort", None, {("com.microsoft", "Attention"): 2}),
    ("whisper_encoder_ts", "standard", 23, {("", "Attention"): 2, ("", "Split"): 2}),
    ("llama_dynamo", "ort", None, {("com.microsoft", "MultiHeadAttention"): 2, ("", "Split"): 2}),
])
def test_packed_attention_in_the_transformer_order(name: str, kind: str, opset: int | None,
                                                   lowered: dict[tuple[str, str], int]) -> None:
    original = onnx.load_from_string(trained(name))
    compiled, state = compile_state(original, TRANSFORMER, kind, opset)
    assert state.statistics[FUSED] == 2
    counts = op_types(compiled)
    assert {k: counts.get(k) for k in lowered} == lowered
    if name != "llama_dynamo":  # the other biased projections (output, two FFN) of 2 layers become nn.linear
        assert state.statistics["nn-fuse-linear/FuseLinear"] == 6
    assert_close(original, compiled)


def test_llama_mlp_pair_is_a_near_miss() -> None:
    original = onnx.load_from_string(trained("llama_ts"))
    _, state = compile_state(original, TRANSFORMER, "ort")
    assert [r for r in near_misses(state, PASS) if r.startswith("2 projections")]


def test_split_form_without_attention() -> None:
    """Alone (no nn.attention), q/k/v become one nn.linear and a Split: 4 MatMuls fewer for 2 layers."""
    original = onnx.load_from_string(trained("bert_dynamo"))
    compiled, state = compile_state(original, "onnx-infer-shapes,nn-fuse-qkv,nn-lower")
    assert state.statistics[FUSED] == 2
    assert op_types(compiled)[("", "Split")] == 2
    assert op_types(original)[("", "MatMul")] - op_types(compiled)[("", "MatMul")] == 4
    assert_close(original, compiled)


@pytest.mark.parametrize("opset", [11, 17])
def test_mixed_biases_and_split_forms(opset: int) -> None:
    """A projection without bias adds zeros in the concatenated bias; Split sizes are an attribute before 13."""
    inits = {"wq": random(6, 4, seed=1), "wk": random(6, 2, seed=2), "wv": random(6, 3, seed=3),
             "bq": random(4, seed=4), "bv": random(1, 3, seed=5)}
    nodes = [
        helper.make_node("MatMul", ["x", "wq"], ["mq"]), helper.make_node("Add", ["mq", "bq"], ["q"]),
        helper.make_node("MatMul", ["x", "wk"], ["k"]),
        helper.make_node("MatMul", ["x", "wv"], ["mv"]), helper.make_node("Add", ["bv", "mv"], ["v"]),
    ]
    original = model(nodes, [tensor("x", ["rows", 6])], ["q", "k", "v"], inits, opset)
    compiled, state = compile_state(original, "onnx-infer-shapes,nn-fuse-qkv,nn-lower")
    assert state.statistics[FUSED] == 1
    assert op_types(compiled) == {("", "MatMul"): 1, ("", "Add"): 1, ("", "Split"): 1}
    split = next(n for n in compiled.graph.node if n.op_type == "Split")
    assert (len(split.input), [a.name for a in split.attribute]) == ((2, ["axis"]) if opset >= 13 else (1, ["axis", "split"]))
    weights = {t.name: list(t.dims) for t in compiled.graph.initializer}
    assert sorted(weights.values()) == ([[3], [6, 9], [9]] if opset >= 13 else [[6, 9], [9]])
    assert_close(original, compiled)



def _three_projections(weights: list[np.ndarray], x_dim: object = 4) -> onnx.ModelProto:
    """``MatMul(x, Wᵢ)`` for each weight, each result a graph output."""
    nodes = [helper.make_node("MatMul", ["x", f"w{i}"], [f"y{i}"]) for i in range(len(weights))]
    graph = helper.make_graph(
        nodes, "g", [helper.make_tensor_value_info("x", onnx.TensorProto.FLOAT, ["b", x_dim])],
        [helper.make_tensor_value_info(f"y{i}", onnx.TensorProto.FLOAT, None) for i in range(len(weights))],
        [onnx.numpy_helper.from_array(w, f"w{i}") for i, w in enumerate(weights)])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)], ir_version=9)


@pytest.mark.parametrize("case", ["inner dim", "inner dim, x unknown", "dtype", "dtype of the first"])
def test_mismatched_weights_are_declined(case: str) -> None:
    """Q/K/V MatMuls whose weights differ in inner dim or element type (invalid or mixed models) crashed
    in np.concatenate; they are a near miss now."""
    w, w6, h16 = np.ones((4, 8), np.float32), np.ones((6, 8), np.float32), np.ones((4, 8), np.float16)
    weights, x_dim = {
        "inner dim": ([w, w6, w], 4), "inner dim, x unknown": ([w, w6, w], "k"),
        "dtype": ([w, h16, w], 4), "dtype of the first": ([h16, w, w], 4),
    }[case]
    model = _three_projections(weights, x_dim)
    compiled, state = compile_state(model, f"onnx-infer-shapes,{PASS},nn-lower")
    assert [n.op_type for n in compiled.graph.node] == ["MatMul"] * 3
    if case.startswith("inner"):
        assert [r for r in near_misses(state, PASS) if "inner dims" in r]


def test_matching_weights_still_fuse() -> None:
    model = _three_projections([np.full((4, 8), i, np.float32) for i in range(3)])
    compiled, _ = compile_state(model, f"onnx-infer-shapes,{PASS},nn-lower")
    assert op_types(compiled)[("", "Split")] == 1
    assert_close(model, compiled)
