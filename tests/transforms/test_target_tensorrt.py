"""``--target=tensorrt`` on every committed fixture: only what TensorRT's ONNX parser reads, verified on onnxruntime.

No TensorRT runs here: "reads" means the published onnx-tensorrt operator matrix encoded in
``onnxforge.transforms.lowering.tensorrt_support`` (TensorRT 10.15, opsets 9 to 24). Each compiled
model must pass ``unsupported_ops``, import no domain but the default one, and agree with the
original within accuracy class 1. What fuses: LayerNormalization from opset 17 and Gelu from opset
20 (the parser reads both); attention, RMSNorm and rotary embeddings stay decomposed even where the
opset has the standard ops (TensorRT's builder fuses them), so at opset 23 the output differs from
``--target=standard`` there.
"""

from __future__ import annotations

from collections import Counter

import onnx
import pytest
from onnx import TensorProto, helper
from paths import FIXTURES
from support import cleaned, compile_state, near_misses

import onnxforge
from onnxforge.errors import ForgeError
from onnxforge.passmanager import Accuracy
from onnxforge.runtime import verify
from onnxforge.transforms.lowering import tensorrt_support
from onnxforge.transforms.lowering.tensorrt_support import unsupported_ops

TRANSFORMERS = ["bert", "gpt2", "vit", "whisper_encoder", "llama"]
VISION = ["resnet", "mobilenet_v2"]
FIXTURE_NAMES = [f"{a}_{e}" for a in TRANSFORMERS + VISION for e in ("ts", "dynamo")]
LEFT_TO_BUILDER = {"Attention", "RMSNormalization", "RotaryEmbedding"}
DIMS = {"batch": 2, "sequence": 5}


def _ops(model: onnx.ModelProto) -> Counter[str]:
    return Counter(f"{n.domain}::{n.op_type}" if n.domain else n.op_type for n in model.graph.node)


def _opset(model: onnx.ModelProto) -> int:
    return next(o.version for o in model.opset_import if o.domain in ("", "ai.onnx"))


def _assert_parses(original: onnx.ModelProto, compiled: onnx.ModelProto) -> None:
    """What the parser needs by the matrix, and no domain the input did not already import."""
    assert unsupported_ops(compiled) == []
    assert {o.domain for o in compiled.opset_import} <= {o.domain for o in original.opset_import} | {""}
    assert not any(n.domain for n in compiled.graph.node), _ops(compiled)
    assert tensorrt_support.MIN_OPSET <= _opset(compiled) <= tensorrt_support.MAX_OPSET


@pytest.mark.parametrize("fixture", FIXTURE_NAMES)
def test_auto_pipeline_for_tensorrt(fixture: str) -> None:
    path = FIXTURES / f"{fixture}.onnx"
    original = onnx.load(path)
    compiled = onnxforge.compile(path, pipeline="auto", target="tensorrt")
    _assert_parses(original, compiled)
    report = verify(path, compiled, dims=DIMS)
    assert report.meets(Accuracy.FLOAT_BOUNDED), report.summary()
    ops = _ops(compiled)
    arch = fixture.rsplit("_", 1)[0]
    assert not LEFT_TO_BUILDER & set(ops), ops
    if arch in ("bert", "gpt2", "vit", "whisper_encoder"):
        # the dynamo exports (opset 20) hold LayerNormalization and keep it; the TorchScript exports are at opset
        # 14, below LayerNormalization: their norms stay decomposed for TensorRT's builder to match
        assert ops["LayerNormalization"] == (5 if fixture.endswith("_dynamo") else 0), ops
    if arch in VISION and fixture.endswith("_ts"):  # Conv + BatchNorm folded (the dynamo exports come folded)
        assert "BatchNormalization" in {n.op_type for n in original.graph.node}
        assert ops["BatchNormalization"] == 0, ops


@pytest.mark.parametrize("fixture", ["bert_ts", "llama_ts", "whisper_encoder_ts"])
def test_tensorrt_at_opset_23_keeps_attention_and_rms_norm_decomposed(fixture: str) -> None:
    """Where ``--target=standard`` writes Attention / RMSNormalization, tensorrt leaves them to the builder."""
    path = FIXTURES / f"{fixture}.onnx"
    standard = _ops(onnxforge.compile(path, pipeline="auto", target="standard", target_opset=23))
    compiled = onnxforge.compile(path, pipeline="auto", target="tensorrt", target_opset=23)
    _assert_parses(onnx.load(path), compiled)
    assert verify(path, compiled, dims=DIMS).meets(Accuracy.FLOAT_BOUNDED)
    ops = _ops(compiled)
    assert LEFT_TO_BUILDER & set(standard), standard
    assert not LEFT_TO_BUILDER & set(ops), ops
    norm_gelu = {"LayerNormalization": 5, "Gelu": 2} if fixture == "bert_ts" else {}
    assert all(ops[op] == count for op, count in norm_gelu.items()), ops


@pytest.mark.parametrize("fixture", ["bert_ts", "gpt2_ts"])
def test_target_opset_17_brings_layer_normalization(fixture: str) -> None:
    """TorchScript exports at opset 14 get LayerNormalization (NVIDIA's fp16 advice) with --target-opset=17."""
    path = FIXTURES / f"{fixture}.onnx"
    compiled = onnxforge.compile(path, pipeline="auto", target="tensorrt", target_opset=17)
    _assert_parses(onnx.load(path), compiled)
    assert _ops(compiled)["LayerNormalization"] == 5
    assert verify(path, compiled, dims=DIMS).meets(Accuracy.FLOAT_BOUNDED)


def test_opset_above_the_parser_is_refused() -> None:
    """--target-opset=25: refused in one line (by the first pass with target=tensorrt, or up front by the API)."""
    with pytest.raises(ForgeError, match=r"opset 25 is outside the opsets 9 to 24 that TensorRT 10\.15's") as raised:
        onnxforge.compile(FIXTURES / "resnet_ts.onnx", pipeline="auto", target="tensorrt", target_opset=25)
    assert "\n" not in str(raised.value)


@pytest.mark.parametrize(("opset", "requested", "message"), [
    (25, False, "x: the model's opset 25 is outside the opsets 9 to 24 that TensorRT 10.15's ONNX parser reads "
                "(export it at opset 24 or below; --target-opset only raises an opset)"),
    (8, False, "x: the model's opset 8 is outside the opsets 9 to 24 that TensorRT 10.15's ONNX parser reads "
               "(convert it: --target-opset=9)"),
    (25, True, "x: opset 25 is outside the opsets 9 to 24 that TensorRT 10.15's ONNX parser reads"),
])
def test_require_opset(opset: int, requested: bool, message: str) -> None:
    tensorrt_support.require_opset(tensorrt_support.MAX_OPSET, "x")
    with pytest.raises(ForgeError) as raised:
        tensorrt_support.require_opset(opset, "x", requested)
    assert str(raised.value) == message


def test_standard_attention_is_caught_by_the_check() -> None:
    """The check sees what --target=tensorrt avoids: --target=standard at opset 23 writes the 3-D Attention."""
    compiled = onnxforge.compile(FIXTURES / "bert_ts.onnx", pipeline="auto", target="standard", target_opset=23)
    found = unsupported_ops(compiled)
    assert len(found) == 2 and all(line.endswith("Q, K, V and attn_mask must be 4-D") for line in found), found


@pytest.mark.parametrize(("fixture", "passes", "pass_name", "reason"), [
    ("bert_ts", "onnx-infer-shapes,nn-fuse-attention,nn-lower", "nn-fuse-attention", "tensorrt keeps attention decomposed"),
    ("llama_ts", "onnx-infer-shapes,nn-fuse-rms-norm,nn-lower", "nn-fuse-rms-norm", "tensorrt keeps RMSNorm decomposed"),
    ("llama_ts", "onnx-infer-shapes,nn-fuse-rotary-embedding,nn-lower", "nn-fuse-rotary-embedding",
     "tensorrt keeps the rotary embedding decomposed"),
])
def test_builder_fused_patterns_are_near_misses(fixture: str, passes: str, pass_name: str, reason: str) -> None:
    """At opset 23, where the standard ops exist, the fusion declines with the reason (``--explain-fusions``)."""
    original = onnx.load_from_string(cleaned(fixture))
    compiled, state = compile_state(original, passes, "tensorrt", 23)
    assert not any(key.startswith(pass_name) for key in state.statistics), state.statistics
    assert any(reason in miss for miss in near_misses(state, pass_name)), near_misses(state, pass_name)
    assert unsupported_ops(compiled) == []


# --- unsupported_ops itself ------------------------------------------------------------------------


def _model(nodes: list[onnx.NodeProto], opset: int = 17, **extra: object) -> onnx.ModelProto:
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 4])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 4])
    graph = helper.make_graph(nodes, "g", [x], [y])
    imports = [helper.make_opsetid("", opset), helper.make_opsetid("com.microsoft", 1), helper.make_opsetid("local", 1)]
    return helper.make_model(graph, opset_imports=imports, **extra)


def test_unsupported_ops_accepts_matrix_ops() -> None:
    model = _model([helper.make_node("LayerNormalization", ["x", "x"], ["y"], axis=-1)])
    assert unsupported_ops(model) == []


def test_unsupported_ops_names_each_problem() -> None:
    then = helper.make_graph([helper.make_node("Unique", ["x"], ["u"])], "then", [],
                             [helper.make_tensor_value_info("u", TensorProto.FLOAT, None)])
    nodes = [
        helper.make_node("FusedConv", ["x"], ["a"], domain="com.microsoft", name="fc"),
        helper.make_node("LayerNormalization", ["x", "x"], ["b", "mean"], name="ln"),
        helper.make_node("If", ["c"], ["d"], then_branch=then, else_branch=then),
        helper.make_node("Swish", ["x"], ["e"]),
        helper.make_node("Helper", ["x"], ["y"], domain="local"),
        helper.make_node("ReduceMean", ["x", "computed_axes"], ["f"], name="mean"),
        helper.make_node("Constant", [], ["axes"], value_ints=[-1]),
        helper.make_node("ReduceSum", ["x", "axes"], ["g"]),
    ]
    function = helper.make_function("local", "Helper", ["x"], ["y"], [helper.make_node("Relu", ["x"], ["y"])],
                                    [helper.make_opsetid("", 17)])
    found = unsupported_ops(_model(nodes, opset=25, functions=[function]))
    assert found[0].startswith("the model's opset 25 is outside")
    assert any(line.startswith("com.microsoft::FusedConv 'fc'") for line in found)
    assert any(line.startswith("LayerNormalization 'ln': only the first output") for line in found)
    assert any(line.startswith("Unique:") for line in found)  # inside the If's branches
    assert any(line.startswith("Swish:") for line in found)
    assert any(line.startswith("ReduceMean 'mean': axes must be an initializer") for line in found)
    assert not any("Helper" in line or "Relu" in line for line in found)  # a model-local function parses
    assert len(found) == 7  # the opset, FusedConv, LayerNormalization, Unique twice (both branches), Swish, ReduceMean
