"""FLOP, MAC and byte counts: published model sizes, and each op family on hand-built graphs.

Published figures: torchvision's ``weights.meta["_ops"]`` (GMACs of convolutions,
linear layers and attention products at 224²) and ``num_params``, for the
weightless fixtures of ``tools/make_cost_fixtures.py`` (TorchScript, opset 17).
"""

from __future__ import annotations

import numpy as np
import pytest
from onnx import TensorProto, helper, numpy_helper
from paths import FIXTURES

from onnxforge.compiler import load_model, to_ir
from onnxforge.cost.model import Kernel, analyze, kernels

COST_FIXTURES = FIXTURES / "cost"
F = TensorProto.FLOAT

PUBLISHED_GMACS = {"resnet18": 1.814, "resnet50": 4.089, "mobilenet_v2": 0.301, "vgg16": 15.47, "vit_b_16": 17.564}
"""torchvision 0.28 ``<Model>_Weights.IMAGENET1K_V1.meta["_ops"]``."""


def _module(name: str):  # type: ignore[no-untyped-def]
    return to_ir(load_model(COST_FIXTURES / f"{name}.onnx"))


@pytest.mark.parametrize("name", sorted(PUBLISHED_GMACS))
def test_macs_equal_published_figures(name: str) -> None:
    macs = sum(k.macs for k in kernels(_module(name), execution="eager"))
    digits = len(str(PUBLISHED_GMACS[name]).split(".")[1])
    assert round(macs / 1e9, digits) == PUBLISHED_GMACS[name]


def test_resnet50_exact_macs_and_flops() -> None:
    found = kernels(_module("resnet50"), execution="fused")
    assert sum(k.macs for k in found) == 4_089_184_256  # 53 convolutions + the classifier
    conv = [k for k in found if k.op_class == "conv"]
    assert len(conv) == 53 and sum(k.flops for k in conv) >= 2 * sum(k.macs for k in conv)


def test_vgg16_reads_every_weight_once() -> None:
    """138,357,544 parameters (torchvision's num_params), each read by exactly one kernel."""
    for execution in ("eager", "ort"):
        assert sum(k.weight_bytes for k in kernels(_module("vgg16"), execution=execution)) == 4 * 138_357_544


# --- op families on hand-built graphs ------------------------------------------------------------


def _single(node, inputs, outputs, initializers=(), execution: str = "fused", opset: int = 18) -> list[Kernel]:  # type: ignore[no-untyped-def]
    graph = helper.make_graph([node] if not isinstance(node, list) else node, "g",
                              [helper.make_tensor_value_info(n, t, s) for n, t, s in inputs],
                              [helper.make_tensor_value_info(n, t, s) for n, t, s in outputs],
                              initializer=list(initializers))
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    return kernels(to_ir(load_model(model)), execution=execution)


def test_grouped_dilated_strided_conv() -> None:
    node = helper.make_node("Conv", ["x", "w", "b"], ["y"], group=2, dilations=[2, 2], pads=[2, 2, 2, 2], strides=[1, 1])
    [k] = _single(node, [("x", F, [1, 8, 16, 16]), ("w", F, [16, 4, 3, 3]), ("b", F, [16])], [("y", F, None)])
    assert k.macs == 16 * 16 * 16 * 4 * 9  # each output element: C/group · kh · kw
    assert k.flops == 2 * k.macs + 16 * 16 * 16  # + the bias
    assert k.bytes_read == 4 * (8 * 16 * 16 + 16 * 4 * 9 + 16) and k.bytes_written == 4 * 16 * 16 * 16


def test_conv_transpose() -> None:
    node = helper.make_node("ConvTranspose", ["x", "w"], ["y"], strides=[2, 2])
    [k] = _single(node, [("x", F, [1, 4, 8, 8]), ("w", F, [4, 6, 3, 3])], [("y", F, None)])
    assert k.macs == 4 * 8 * 8 * 6 * 9  # each input element scatters into (M/group) · kh · kw outputs


def test_batched_matmul_and_gemm() -> None:
    [k] = _single(helper.make_node("MatMul", ["a", "b"], ["y"]), [("a", F, [2, 3, 5, 7]), ("b", F, [2, 3, 7, 4])],
                  [("y", F, None)])
    assert k.macs == 2 * 3 * 5 * 4 * 7 and k.bytes == 4 * (210 + 168 + 120)
    [g] = _single(helper.make_node("Gemm", ["a", "b", "c"], ["y"], transA=1), [("a", F, [7, 5]), ("b", F, [7, 4]),
                  ("c", F, [4])], [("y", F, None)])
    assert g.macs == 5 * 4 * 7 and g.flops == 2 * g.macs + 20


def test_einsum_sums_over_contracted_letters() -> None:
    node = helper.make_node("Einsum", ["q", "k"], ["s"], equation="bhqd,bhkd->bhqk")
    [k] = _single(node, [("q", F, [1, 2, 3, 4]), ("k", F, [1, 2, 5, 4])], [("s", F, None)])
    assert k.macs == 1 * 2 * 3 * 5 * 4


def test_onnx_attention_counts_both_products() -> None:
    node = helper.make_node("Attention", ["q", "k", "v"], ["y"])
    [k] = _single(node, [("q", F, [1, 4, 8, 16]), ("k", F, [1, 4, 10, 16]), ("v", F, [1, 4, 10, 16])],
                  [("y", F, None)], opset=23)
    assert k.op_class == "attention" and k.macs == 4 * 8 * 10 * (16 + 16)


def test_gather_reads_rows_not_the_table() -> None:
    table = numpy_helper.from_array(np.zeros((1000, 64), np.float32), "table")
    [k] = _single(helper.make_node("Gather", ["table", "ids"], ["y"]), [("ids", TensorProto.INT64, [1, 8])],
                  [("y", F, None)], initializers=[table])
    assert k.bytes_read == 8 * 64 * 4 + 8 * 8 and k.weight_bytes == 8 * 64 * 4


def test_views_shape_arithmetic_and_constant_folding_launch_nothing() -> None:
    shape = numpy_helper.from_array(np.array([2, 8, 4, 8], np.int64), "shape")
    w = numpy_helper.from_array(np.ones((32, 32), np.float32), "w")
    nodes = [
        helper.make_node("Transpose", ["w"], ["wt"]),  # constant only: folded at load time
        helper.make_node("Shape", ["x"], ["s"]),  # host-side shape arithmetic
        helper.make_node("Reshape", ["x", "shape"], ["r"]),
        helper.make_node("Transpose", ["r"], ["t"], perm=[0, 2, 1, 3]),
        helper.make_node("Relu", ["t"], ["y"]),
        helper.make_node("Identity", ["wt"], ["z"]),
    ]
    inputs, outputs = [("x", F, [2, 8, 32])], [("y", F, None), ("s", TensorProto.INT64, None), ("z", F, None)]
    eager = _single(nodes, inputs, outputs, [shape, w], execution="eager")
    fused = _single(nodes, inputs, outputs, [shape, w], execution="fused")
    assert [k.op for k in eager] == ["Relu"]  # transpose is a strided view in PyTorch
    assert [k.op for k in fused] == ["Transpose", "Relu"]


def test_symbolic_dims_are_bound_and_reported() -> None:
    module = to_ir(load_model(FIXTURES / "bert_ts.onnx"))
    default = analyze(module, execution="fused")
    assert default.dims == {"batch": 1, "sequence": 128} and default.assumed == default.dims
    bound = analyze(module, {"batch": 2, "sequence": 64}, execution="fused")
    assert bound.assumed == {}
    matmul = next(k for k in bound.kernels if k.op == "MatMul" and k.module.endswith("query"))
    assert matmul.macs == 2 * 64 * 32 * 32  # hidden 32
