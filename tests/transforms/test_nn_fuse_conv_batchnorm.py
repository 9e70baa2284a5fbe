"""``nn-fuse-conv-batchnorm`` on the vision fixtures and on small graphs, checked on onnxruntime.

The TorchScript exports keep their BatchNormalizations (ResNet 8, MobileNetV2 52,
given random statistics by ``trained``); the dynamo exports have them folded
already. Every target lowers ``nn.conv`` without activation to a plain Conv.
"""

from __future__ import annotations

import numpy as np
import onnx
import pytest
from conv_linear_support import model, random, tensor, trained
from onnx import TensorProto, helper
from support import assert_close, compile_state, near_misses, op_types

PASSES = "onnx-infer-shapes,nn-fuse-conv-batchnorm,nn-lower"
PASS = "nn-fuse-conv-batchnorm"
FOLDED = f"{PASS}/FoldBatchNorm"


def _bn_params(channels: int, seed: int, dtype: type = np.float32) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {
        "gamma": rng.uniform(0.5, 2.0, channels).astype(dtype),
        "beta": rng.normal(0, 1, channels).astype(dtype),
        "mean": rng.normal(0, 1, channels).astype(dtype),
        "var": rng.uniform(0.2, 3.0, channels).astype(dtype),
    }


BN = helper.make_node("BatchNormalization", ["y", "gamma", "beta", "mean", "var"], ["out"], epsilon=1e-3)


@pytest.mark.parametrize(("name", "count"), [("resnet_ts", 8), ("mobilenet_v2_ts", 52)])
@pytest.mark.parametrize("kind", ["standard", "ort", "portable", "tensorrt"])
def test_torchscript_fixtures(name: str, count: int, kind: str) -> None:
    original = onnx.load_from_string(trained(name))
    compiled, state = compile_state(original, PASSES, kind)
    assert state.statistics[FOLDED] == count
    assert ("", "BatchNormalization") not in op_types(compiled)
    assert_close(original, compiled)


def test_dynamo_fixture_has_nothing_to_fold() -> None:
    _, state = compile_state(onnx.load_from_string(trained("resnet_dynamo")), PASSES)
    assert FOLDED not in state.statistics


@pytest.mark.parametrize(("group", "bias"), [(1, True), (2, False), (4, True)])
def test_conv_groups_and_bias(group: int, bias: bool) -> None:
    """Output channel m is row m of W whatever the group; a conv bias is folded as (b − mean)·s + β."""
    inits = {"w": random(4, 4 // group, 3, 3, seed=1), **_bn_params(4, 2)}
    inputs = ["x", "w"]
    if bias:
        inits["b"] = random(4, seed=3)
        inputs.append("b")
    conv = helper.make_node("Conv", inputs, ["y"], group=group, pads=[1, 1, 1, 1], strides=[2, 1])
    original = model([conv, BN], [tensor("x", ["batch", 4, 9, 7])], ["out"], inits)
    compiled, state = compile_state(original, PASSES)
    assert state.statistics[FOLDED] == 1
    assert op_types(compiled) == {("", "Conv"): 1}
    assert_close(original, compiled)


def test_half_precision_weights_stay_half() -> None:
    inits = {"w": random(6, 3, 3, 3, seed=1, dtype=np.float16), **_bn_params(6, 2, np.float16)}
    conv = helper.make_node("Conv", ["x", "w"], ["y"], pads=[1, 1, 1, 1])
    original = model([conv, BN], [tensor("x", ["batch", 3, 8, 8], TensorProto.FLOAT16)], ["out"], inits,
                     elem=TensorProto.FLOAT16)
    compiled, state = compile_state(original, PASSES)
    assert state.statistics[FOLDED] == 1
    assert {t.data_type for t in compiled.graph.initializer} == {TensorProto.FLOAT16}
    assert_close(original, compiled, atol=2e-2)  # f16 results of magnitude ~10: a few ulps


@pytest.mark.parametrize("group", [1, 2])
def test_conv_transpose_scales_by_group_and_column(group: int) -> None:
    """ConvTranspose W is [C_in, M/group, k…]: output channel g·(M/group) + j is column j of group g's rows."""
    inits = {"w": random(4, 6 // group, 3, 3, seed=1), "b": random(6, seed=4), **_bn_params(6, 2)}
    conv = helper.make_node("ConvTranspose", ["x", "w", "b"], ["y"], group=group, strides=[2, 2])
    original = model([conv, BN], [tensor("x", ["batch", 4, 5, 5])], ["out"], inits)
    compiled, state = compile_state(original, PASSES)
    assert state.statistics[FOLDED] == 1
    assert op_types(compiled) == {("", "ConvTranspose"): 1}
    assert_close(original, compiled)


@pytest.mark.parametrize("trans_b", [0, 1])
@pytest.mark.parametrize("c_shape", [None, [6], [1, 6], [3, 1], []])
def test_gemm_columns(trans_b: int, c_shape: list[int] | None) -> None:
    """Gemm + BN over its 2-D output: per-column scale of B (transB-aware), C becomes β_g·C·s + t."""
    inits = {"w": random(*([6, 5] if trans_b else [5, 6]), seed=1), **_bn_params(6, 2)}
    inputs = ["x", "w"]
    if c_shape is not None:
        inits["c"] = random(*c_shape, seed=3) if c_shape else np.array(0.7, np.float32)
        inputs.append("c")
    gemm = helper.make_node("Gemm", inputs, ["y"], alpha=0.5, beta=2.0, transB=trans_b)
    original = model([gemm, BN], [tensor("x", [3, 5])], ["out"], inits)
    compiled, state = compile_state(original, PASSES)
    assert state.statistics[FOLDED] == 1
    assert op_types(compiled) == {("", "Gemm"): 1}
    assert_close(original, compiled)


def test_near_misses_change_nothing() -> None:
    """BN before a conv (pre-activation), a conv read twice, and a non-constant variance are left alone."""
    inits = {"w": random(4, 4, 1, 1, seed=1), **_bn_params(4, 2)}
    nodes = [
        helper.make_node("BatchNormalization", ["x", "gamma", "beta", "mean", "var"], ["pre"]),
        helper.make_node("Conv", ["pre", "w"], ["y"]),
        helper.make_node("BatchNormalization", ["y", "gamma", "beta", "mean", "var"], ["out"]),
        helper.make_node("Conv", ["x", "w"], ["z"]),
        helper.make_node("BatchNormalization", ["z", "gamma", "beta", "mean", "v"], ["out2"]),
    ]
    original = model(nodes, [tensor("x", ["batch", 4, 5, 5]), tensor("v", [4])], ["out", "out2", "y"], inits)
    compiled, state = compile_state(original, PASSES)
    assert FOLDED not in state.statistics
    reasons = near_misses(state, PASS)
    assert any("before a Conv" in r for r in reasons)
    assert any("other readers" in r for r in reasons)
    assert any("not a float constant" in r for r in reasons)
    assert op_types(compiled)[("", "BatchNormalization")] == 3
