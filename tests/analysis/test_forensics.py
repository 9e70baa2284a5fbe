"""The forensics audit and the architecture fingerprint, on every fixture and on hand-built graphs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from onnx import TensorProto, helper, numpy_helper
from paths import FIXTURES

from onnxforge.analysis.fingerprint import choose_pipelines, fingerprint
from onnxforge.analysis.forensics import audit
from onnxforge.analysis.graph import node_count
from onnxforge.analysis.shapes import infer_and_apply
from onnxforge.compiler import load_model, to_ir

EXPECTED_PIPELINES = {
    "bert": ("transformer",),
    "gpt2": ("transformer",),
    "vit": ("transformer",),
    "llama": ("transformer",),
    "whisper_encoder": ("transformer",),
    "resnet": ("vision",),
    "mobilenet_v2": ("vision",),
}


def _fixture(name: str):  # type: ignore[no-untyped-def]
    module = to_ir(load_model(FIXTURES / f"{name}.onnx"))
    return module


def _audited(name: str):  # type: ignore[no-untyped-def]
    module = _fixture(name)
    infer_and_apply(module)
    return audit(module)


@pytest.mark.parametrize("path", sorted(FIXTURES.glob("*.onnx")), ids=lambda p: p.stem)
def test_every_fixture_gets_its_pipeline(path: Path) -> None:
    architecture = path.stem.rsplit("_", 1)[0]
    fp = fingerprint(to_ir(load_model(path)))
    assert choose_pipelines(fp) == EXPECTED_PIPELINES[architecture], fp.reasons
    assert fp.nodes == len(load_model(path).proto.graph.node)


def test_vit_patch_embedding_is_not_a_backbone() -> None:
    fp = fingerprint(_fixture("vit_dynamo"))
    assert fp.convs == 1 and fp.attention_blocks == 2 and fp.verdict == "transformer"
    assert fp.matmul_conv_ratio is not None and fp.matmul_conv_ratio > 10


@pytest.mark.parametrize("name", ["llama_ts", "llama_dynamo"])
def test_llama_features(name: str) -> None:
    fp = fingerprint(_fixture(name))
    assert (fp.rms_norm, fp.silu, fp.rope, fp.sin_cos, fp.layer_norm, fp.gelu) == (True, True, True, True, False, False)
    found = _audited(name)
    assert found.rms_norm == {"decomposed": 5}
    assert found.rotate_half == 4 and found.silu == 2 and found.qkv_triples == 2 and found.attention_blocks == 2


def test_layer_norm_and_gelu_forms() -> None:
    assert _audited("bert_ts").layer_norm == {"decomposed-attr-axes": 5}
    assert _audited("bert_ts").gelu == {"erf": 2}
    assert _audited("bert_dynamo").layer_norm == {"op": 5}
    assert _audited("gpt2_ts").gelu == {"tanh": 2}
    assert _audited("whisper_encoder_dynamo").gelu == {"op": 4}


def test_bert_audit() -> None:
    found = _audited("bert_ts")
    assert found.matmul_add_by_rank == {"3": 12}
    assert found.attention_blocks == 2 and found.qkv_triples == 2
    assert found.identity_ops == 20 and found.constant_nodes == 101
    assert found.foldable_constant_ops > 0 and found.shape_ops == 13


def test_conv_batchnorm_pairs() -> None:
    assert _audited("resnet_ts").conv_bn_pairs == 8
    assert _audited("mobilenet_v2_ts").conv_bn_pairs == 52
    assert _audited("resnet_dynamo").conv_bn_pairs == 0


# --- hand-built graphs --------------------------------------------------------------------------


def _module(nodes, inputs, outputs, initializers=(), opset: int = 17):  # type: ignore[no-untyped-def]
    graph = helper.make_graph(nodes, "g", inputs, outputs, list(initializers))
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    module = to_ir(load_model(model))
    infer_and_apply(module)
    return module


def _f32(name: str, dims):  # type: ignore[no-untyped-def]
    return helper.make_tensor_value_info(name, TensorProto.FLOAT, dims)


def _const(name: str, array) -> TensorProto:  # type: ignore[no-untyped-def]
    return numpy_helper.from_array(np.asarray(array), name)


def test_structural_counts() -> None:
    nodes = [
        helper.make_node("Transpose", ["x"], ["t0"], perm=[0, 1, 2]),
        helper.make_node("Transpose", ["t0"], ["t1"], perm=[0, 2, 1]),
        helper.make_node("Cast", ["t1"], ["c0"], to=TensorProto.DOUBLE),
        helper.make_node("Cast", ["c0"], ["c1"], to=TensorProto.FLOAT),
        helper.make_node("Expand", ["c1", "ones"], ["e"]),
        helper.make_node("Reshape", ["e", "same"], ["r"]),
        helper.make_node("MatMul", ["r", "w3"], ["m3"]),
        helper.make_node("Add", ["m3", "b"], ["a3"]),
        helper.make_node("Reshape", ["a3", "flat"], ["f"]),
        helper.make_node("MatMul", ["f", "w3"], ["m2"]),
        helper.make_node("Add", ["b", "m2"], ["y"]),
    ]
    inits = [_const("ones", [1, 1, 1]), _const("same", [2, 4, 4]), _const("w3", np.ones((4, 4), np.float32)),
             _const("b", np.ones(4, np.float32)), _const("flat", [8, 4])]
    found = audit(_module(nodes, [_f32("x", [2, 4, 4])], [_f32("y", [8, 4])], inits))
    assert found.noop_transposes == 1 and found.transpose_pairs == 1
    assert found.cast_chains == 1 and found.identity_expands == 1
    assert found.noop_reshapes == 1 and found.reshape_chains == 0
    assert found.matmul_add_by_rank == {"2": 1, "3": 1}


def test_reshape_that_changes_the_shape_is_not_a_noop() -> None:
    nodes = [helper.make_node("Reshape", ["x", "s"], ["y"])]
    found = audit(_module(nodes, [_f32("x", [2, 4])], [_f32("y", [4, 2])], [_const("s", [4, 2])]))
    assert found.noop_reshapes == 0


def test_layer_norm_axes_input_form_and_rms_norm() -> None:
    nodes = [
        helper.make_node("ReduceMean", ["x", "axes"], ["mean"]),
        helper.make_node("Sub", ["x", "mean"], ["centred"]),
        helper.make_node("Pow", ["centred", "two"], ["sq"]),
        helper.make_node("ReduceMean", ["sq", "axes"], ["var"]),
        helper.make_node("Pow", ["x", "two"], ["xsq"]),
        helper.make_node("ReduceMean", ["xsq", "axes"], ["ms"]),
        helper.make_node("Add", ["var", "ms"], ["y"]),
    ]
    inits = [_const("axes", [-1]), _const("two", np.float32(2.0))]
    found = audit(_module(nodes, [_f32("x", [2, 4])], [_f32("y", [2, 1])], inits, opset=18))
    assert found.layer_norm == {"decomposed-axes-input": 1}
    assert found.rms_norm == {"decomposed": 1}  # the variance of centred x is not an RMS


def _attention_nodes() -> list:  # type: ignore[type-arg]
    return [
        helper.make_node("MatMul", ["q", "k"], ["scores"]),
        helper.make_node("Div", ["scores", "scale"], ["scaled"]),
        helper.make_node("Softmax", ["scaled"], ["probs"], axis=-1),
        helper.make_node("MatMul", ["probs", "v"], ["ctx"]),
    ]


def test_softmax_between_matmuls_is_attention_but_a_classifier_softmax_is_not() -> None:
    inputs = [_f32("q", [2, 3, 4]), _f32("k", [2, 4, 3]), _f32("v", [2, 3, 4])]
    found = audit(_module(_attention_nodes(), inputs, [_f32("ctx", [2, 3, 4])], [_const("scale", np.float32(2.0))]))
    assert found.attention_blocks == 1
    classifier = [helper.make_node("MatMul", ["q", "k"], ["logits"]), helper.make_node("Softmax", ["logits"], ["p"])]
    assert audit(_module(classifier, inputs[:2], [_f32("p", [2, 3, 3])])).attention_blocks == 0


def test_single_op_graph_is_generic() -> None:
    conv = helper.make_node("Conv", ["x", "w"], ["y"])
    fp = fingerprint(_module([conv], [_f32("x", [1, 1, 4, 4])], [_f32("y", [1, 1, 4, 4])],
                             [_const("w", np.ones((1, 1, 1, 1), np.float32))]))
    assert fp.verdict == "generic" and choose_pipelines(fp) == ("cleanup",)


def test_convolutions_with_attention_are_hybrid() -> None:
    convs = [helper.make_node("Conv", [f"c{i}", "w"], [f"c{i + 1}"]) for i in range(4)]
    to_tokens = [helper.make_node("Reshape", ["c4", "tokens"], ["q"]), helper.make_node("Transpose", ["q"], ["k"], perm=[0, 2, 1]),
                 helper.make_node("Identity", ["q"], ["v"])]
    module = _module(convs + to_tokens + _attention_nodes(), [_f32("c0", [1, 4, 2, 2])], [_f32("ctx", [1, 4, 4])],
                     [_const("w", np.ones((4, 4, 1, 1), np.float32)), _const("tokens", [1, 4, 4]),
                      _const("scale", np.float32(2.0))])
    fp = fingerprint(module)
    assert (fp.convs, fp.attention_blocks, fp.verdict) == (4, 1, "hybrid")
    assert choose_pipelines(fp) == ("vision", "transformer")


def test_fingerprint_is_json_able_and_read_only() -> None:
    import json

    module = _fixture("bert_dynamo")
    before = node_count(module)
    data = fingerprint(module).to_json()
    assert json.loads(json.dumps(data))["verdict"] == "transformer"
    assert node_count(module) == before
