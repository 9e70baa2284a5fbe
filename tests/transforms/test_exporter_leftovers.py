"""What other exporters leave and onnxslim/onnxsim remove (issue 14's corpus, benchmarks/corpus/FINDINGS.md),
each on a small graph in the exporter's own form: the default pipeline removes it, bit-identically (or
within class 1 for folded weights), and keeps what must stay."""

from __future__ import annotations

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

import onnxforge
from onnxforge.runtime import verify


def _model(nodes: list[onnx.NodeProto], inputs: list[onnx.ValueInfoProto], outputs: list[onnx.ValueInfoProto],
           inits: dict[str, np.ndarray], opset: int = 11, ml: bool = False) -> onnx.ModelProto:
    graph = helper.make_graph(nodes, "g", inputs, outputs, [numpy_helper.from_array(v, k) for k, v in inits.items()])
    imports = [helper.make_opsetid("", opset)] + ([helper.make_opsetid("ai.onnx.ml", 1)] if ml else [])
    model = helper.make_model(graph, opset_imports=imports)
    model.ir_version = 7
    onnx.checker.check_model(model)
    return model


def _ops(model: onnx.ModelProto) -> list[str]:
    return [n.op_type for n in model.graph.node]


def test_a_flatten_computed_from_the_batch_size_becomes_a_constant_target() -> None:
    """TorchScript (opset 11, Reshape-5) and paddle2onnx: Reshape(x, Concat(Unsqueeze(Shape(x)[0]), [-1])) is
    Reshape(x, [0, -1]): the same entries, so the same result, and the same failure where -1 cannot be inferred."""
    nodes = [helper.make_node("Shape", ["x"], ["s"]), helper.make_node("Gather", ["s", "zero"], ["b"], axis=0),
             helper.make_node("Unsqueeze", ["b"], ["u"], axes=[0]), helper.make_node("Concat", ["u", "minus"], ["t"], axis=0),
             helper.make_node("Reshape", ["x", "t"], ["y"])]
    original = _model(nodes, [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 4, 2, 2])],
                      [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 16])],
                      {"zero": np.array(0), "minus": np.array([-1])})
    compiled = onnxforge.compile(original, pipeline="cleanup")
    assert _ops(compiled) == ["Reshape"]
    assert verify(original, compiled).identical


def test_a_global_mean_over_a_one_by_one_map_goes() -> None:
    nodes = [helper.make_node("ReduceMean", ["x"], ["m"], axes=[2, 3], keepdims=1), helper.make_node("Relu", ["m"], ["y"]),
             helper.make_node("ReduceMean", ["x"], ["z"], axes=[1], keepdims=1)]  # a channel mean stays
    original = _model(nodes, [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 3, 1, 1])],
                      [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 3, 1, 1]),
                       helper.make_tensor_value_info("z", TensorProto.FLOAT, ["batch", 1, 1, 1])], {})
    compiled = onnxforge.compile(original, pipeline="cleanup")
    assert _ops(compiled) == ["Relu", "ReduceMean"]
    assert verify(original, compiled).identical


def test_the_int64_cast_of_a_classifiers_int64_label_goes() -> None:
    """skl2onnx/onnxmltools: Cast(label, to=INT64) after a classifier whose labels are int64 already."""
    nodes = [helper.make_node("LinearClassifier", ["x"], ["label", "scores"], domain="ai.onnx.ml",
                              coefficients=[0.5, -1.0, 2.0, 1.0, 0.0, -0.5], intercepts=[0.1, -0.2, 0.3],
                              classlabels_ints=[0, 1, 2]),
             helper.make_node("Cast", ["label"], ["y"], to=TensorProto.INT64)]
    original = _model(nodes, [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 2])],
                      [helper.make_tensor_value_info("y", TensorProto.INT64, ["batch"]),
                       helper.make_tensor_value_info("scores", TensorProto.FLOAT, ["batch", 3])], {}, ml=True)
    compiled = onnxforge.compile(original, pipeline="cleanup")
    assert _ops(compiled) == ["LinearClassifier"]
    assert verify(original, compiled).identical


def test_conv_bias_add_then_batchnorm_is_one_conv() -> None:
    """paddle2onnx: Conv without bias → Add(bias) → BatchNormalization."""
    rng = np.random.default_rng(0)
    inits = {"w": rng.normal(size=(4, 3, 3, 3)).astype(np.float32), "b": rng.normal(size=(1, 4, 1, 1)).astype(np.float32),
             "g": rng.uniform(0.5, 2, 4).astype(np.float32), "beta": rng.normal(size=4).astype(np.float32),
             "mean": rng.normal(size=4).astype(np.float32), "var": rng.uniform(0.5, 2, 4).astype(np.float32)}
    nodes = [helper.make_node("Conv", ["x", "w"], ["c"], pads=[1, 1, 1, 1]), helper.make_node("Add", ["c", "b"], ["a"]),
             helper.make_node("BatchNormalization", ["a", "g", "beta", "mean", "var"], ["y"])]
    original = _model(nodes, [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 3, 8, 8])],
                      [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 4, 8, 8])], inits, opset=13)
    compiled = onnxforge.compile(original, pipeline="vision")
    assert _ops(compiled) == ["Conv"]
    assert verify(original, compiled).within(1e-4, 1e-5)


def test_weights_of_an_ir3_model_are_constants() -> None:
    """The ONNX model zoo (IR 3): every initializer is also a graph input, which the format required and
    onnxruntime refuses to feed. onnx-upgrade-ir-version makes them constants (IR 4), so Conv+BN folds; the
    inputs a runtime accepts stay the same."""
    rng = np.random.default_rng(0)
    inits = {"w": rng.normal(size=(4, 3, 3, 3)).astype(np.float32), "g": rng.uniform(0.5, 2, 4).astype(np.float32),
             "beta": rng.normal(size=4).astype(np.float32), "mean": rng.normal(size=4).astype(np.float32),
             "var": rng.uniform(0.5, 2, 4).astype(np.float32)}
    nodes = [helper.make_node("Conv", ["x", "w"], ["c"], pads=[1, 1, 1, 1]),
             helper.make_node("BatchNormalization", ["c", "g", "beta", "mean", "var"], ["y"])]
    inputs = [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 8, 8])] + [
        helper.make_tensor_value_info(k, TensorProto.FLOAT, list(v.shape)) for k, v in inits.items()]
    graph = helper.make_graph(nodes, "g", inputs, [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4, 8, 8])],
                              [numpy_helper.from_array(v, k) for k, v in inits.items()])
    original = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 9)])
    original.ir_version = 3
    onnx.checker.check_model(original)
    compiled = onnxforge.compile(original, pipeline="vision")
    assert compiled.ir_version == 4 and _ops(compiled) == ["Conv"]
    assert [i.name for i in compiled.graph.input] == ["x"]
    assert verify(original, compiled).within(1e-4, 1e-5)
    kept = onnxforge.compile(original, pipeline="none")  # no pipeline, no change
    assert len(kept.graph.input) == 6
