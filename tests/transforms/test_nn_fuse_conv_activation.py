"""``nn-fuse-conv-activation`` on the vision fixtures and every activation form, checked on onnxruntime.

Every target writes Conv + the activation back (onnxruntime fuses them itself at
session time; a pre-fused ``com.microsoft::FusedConv`` measured slower, see
``onnxforge/transforms/lowering/conv.py``). Counts on the fixtures: ResNet has 7 Relus, 5
directly after a conv (2 follow a residual Add); MobileNetV2 has 35 Clip(0, 6),
each after a conv whose output nothing else reads.
"""

from __future__ import annotations

import numpy as np
import onnx
import pytest
from conv_linear_support import model, random, tensor, trained
from onnx import TensorProto, helper
from support import assert_close, compile_state, near_misses, op_types

PASSES = "onnx-infer-shapes,nn-fuse-conv-batchnorm,nn-fuse-conv-activation,nn-lower"
PASS = "nn-fuse-conv-activation"
FUSED = f"{PASS}/FuseConvActivation"
FUSED_CONV = ("com.microsoft", "FusedConv")


@pytest.mark.parametrize(("name", "count"), [("resnet_ts", 5), ("resnet_dynamo", 5), ("mobilenet_v2_ts", 35), ("mobilenet_v2_dynamo", 35)])
@pytest.mark.parametrize("kind", ["standard", "ort"])
def test_fixtures(name: str, count: int, kind: str) -> None:
    original = onnx.load_from_string(trained(name))
    compiled, state = compile_state(original, PASSES, kind)
    assert state.statistics[FUSED] == count
    assert FUSED_CONV not in op_types(compiled)
    assert_close(original, compiled)


def _conv_then(nodes: list[onnx.NodeProto], inits: dict[str, np.ndarray] | None = None, opset: int = 17,
               elem: int = TensorProto.FLOAT) -> onnx.ModelProto:
    dtype = helper.tensor_dtype_to_np_dtype(elem)
    weights = {"w": random(6, 3, 3, 3, seed=1, dtype=dtype), "b": random(6, seed=2, dtype=dtype), **(inits or {})}
    conv = helper.make_node("Conv", ["x", "w", "b"], ["y"], name="conv", pads=[1, 1, 1, 1])
    return model([conv, *nodes], [tensor("x", ["batch", 3, 8, 8], elem)], ["out"], weights, opset, elem)


SCALAR = {"lo": np.array(-0.5, np.float32), "hi": np.array(0.75, np.float32)}
CASES = {
    "Relu": ([helper.make_node("Relu", ["y"], ["out"])], {}, 17),
    "Tanh": ([helper.make_node("Tanh", ["y"], ["out"])], {}, 17),
    "Sigmoid": ([helper.make_node("Sigmoid", ["y"], ["out"])], {}, 17),
    "LeakyRelu": ([helper.make_node("LeakyRelu", ["y"], ["out"], alpha=0.3)], {}, 17),
    "LeakyRelu-default": ([helper.make_node("LeakyRelu", ["y"], ["out"])], {}, 17),
    "HardSigmoid": ([helper.make_node("HardSigmoid", ["y"], ["out"], alpha=0.3, beta=0.4)], {}, 17),
    "HardSwish": ([helper.make_node("HardSwish", ["y"], ["out"])], {}, 17),
    "Clip-inputs": ([helper.make_node("Clip", ["y", "lo", "hi"], ["out"])], SCALAR, 17),
    "Clip-no-min": ([helper.make_node("Clip", ["y", "", "hi"], ["out"])], SCALAR, 17),
    "Clip-attributes": ([helper.make_node("Clip", ["y"], ["out"], min=-0.5, max=0.75)], {}, 10),
    "Swish": ([helper.make_node("Sigmoid", ["y"], ["s"]), helper.make_node("Mul", ["y", "s"], ["out"])], {}, 17),
    "Swish-swapped": ([helper.make_node("Sigmoid", ["y"], ["s"]), helper.make_node("Mul", ["s", "y"], ["out"])], {}, 17),
}


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("kind", ["standard", "ort"])
def test_activations(case: str, kind: str) -> None:
    nodes, inits, opset = CASES[case]
    original = _conv_then(nodes, inits, opset)
    compiled, state = compile_state(original, PASSES, kind)
    assert state.statistics[FUSED] == 1
    counts = op_types(compiled)
    assert FUSED_CONV not in counts and counts[("", "Conv")] == 1
    assert_close(original, compiled)


def test_after_folded_batchnorm() -> None:
    """Conv → BN → Relu: the BN fold makes an nn.conv, which takes the activation in turn."""
    bn = {"gamma": random(6, seed=3) ** 2, "beta": random(6, seed=4), "mean": random(6, seed=5), "var": random(6, seed=6) ** 2 + 0.1}
    nodes = [helper.make_node("BatchNormalization", ["y", "gamma", "beta", "mean", "var"], ["n"], name="bn"),
             helper.make_node("Relu", ["n"], ["out"], name="relu")]
    original = _conv_then(nodes, bn)
    compiled, state = compile_state(original, PASSES, "ort")
    assert state.statistics[FUSED] == 1
    assert op_types(compiled) == {("", "Conv"): 1, ("", "Relu"): 1}
    fused = compiled.graph.node[0]
    assert fused.name == "conv"
    assert {m.key: m.value for m in fused.metadata_props}["onnxforge.fused_from"] == "conv,bn,relu"
    assert_close(original, compiled)


def test_half_precision_conv_activation() -> None:
    """An f16 conv fuses and lowers back to Conv + Relu like a float one."""
    original = _conv_then([helper.make_node("Relu", ["y"], ["out"])], elem=TensorProto.FLOAT16)
    compiled, state = compile_state(original, PASSES, "ort")
    assert state.statistics[FUSED] == 1
    assert op_types(compiled) == {("", "Conv"): 1, ("", "Relu"): 1}
    assert_close(original, compiled, atol=1e-2)


def test_near_misses_change_nothing() -> None:
    """A conv read by another op, and a Clip whose bound is computed, stay as they are."""
    nodes = [helper.make_node("Relu", ["y"], ["out"]), helper.make_node("Conv", ["x", "w", "b"], ["z"]),
             helper.make_node("Clip", ["z", "lo"], ["clipped"])]
    original = model(
        [helper.make_node("Conv", ["x", "w", "b"], ["y"]), *nodes],
        [tensor("x", ["batch", 3, 8, 8]), tensor("lo", [])], ["out", "y", "clipped"],
        {"w": random(6, 3, 3, 3, seed=1), "b": random(6, seed=2)},
    )
    compiled, state = compile_state(original, PASSES, "ort")
    assert FUSED not in state.statistics
    reasons = near_misses(state, PASS)
    assert any("other readers" in r for r in reasons) and any("not constant" in r for r in reasons)
    assert op_types(compiled) == {("", "Conv"): 2, ("", "Relu"): 1, ("", "Clip"): 1}
