"""``onnx-convert-precision``: fixtures after their pipeline and the conversion are valid, run on onnxruntime CPU
within the reduced-precision class of the original, keep a float32 interface, hold half weights, and keep the
range-sensitive ops float32; custom-domain ops are untouched; a second run changes nothing."""

from __future__ import annotations

import functools

import ml_dtypes
import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper
from paths import FIXTURES

from onnxforge.compiler import load_model, optimize, parse_passes, to_ir
from onnxforge.errors import ForgeError
from onnxforge.onnxio.exporter import to_model_proto
from onnxforge.passmanager import Accuracy
from onnxforge.runtime import compare, make_inputs, run, verify
from onnxforge.transforms.onnx_convert_precision import KEEP_FP32, ConvertPrecisionPass
from onnxforge.transforms.pipelines import CLEANUP

FIXTURE_NAMES = ["bert_ts", "gpt2_dynamo", "llama_ts", "mobilenet_v2_ts", "resnet_ts", "vit_dynamo", "whisper_encoder_ts"]
DIMS = {"batch": 2, "sequence": 5}
F32, F16, BF16 = TensorProto.FLOAT, TensorProto.FLOAT16, TensorProto.BFLOAT16


@functools.cache
def piped(name: str) -> bytes:
    """The fixture after its ``auto`` pipeline (what the conversion runs after in ``forgec --precision``)."""
    module = to_ir(load_model(FIXTURES / f"{name}.onnx"))
    optimize(module, "auto")
    return to_model_proto(module).SerializeToString()


def convert(model: bytes | onnx.ModelProto, spec: str = "onnx-convert-precision") -> onnx.ModelProto:
    """The conversion followed by the cleanup pass list, as the CLI appends it."""
    proto = onnx.load_from_string(model) if isinstance(model, bytes) else model
    module = to_ir(load_model(proto))
    optimize(module, passes=f"{spec},{CLEANUP}")
    return to_model_proto(module)


def types(model: onnx.ModelProto) -> dict[str, int]:
    """Value name → element type, for every typed value of the main graph."""
    infos = [*model.graph.input, *model.graph.output, *model.graph.value_info]
    found = {v.name: v.type.tensor_type.elem_type for v in infos if v.type.HasField("tensor_type")}
    found.update({t.name: t.data_type for t in model.graph.initializer})
    return found


def weight_bytes(model: onnx.ModelProto, elem: int) -> int:
    return sum(len(t.raw_data) or numpy_helper.to_array(t).nbytes for t in model.graph.initializer if t.data_type == elem)


def interface(model: onnx.ModelProto) -> list[tuple[str, int]]:
    return [(v.name, v.type.tensor_type.elem_type) for v in [*model.graph.input, *model.graph.output]]


@pytest.mark.parametrize("name", FIXTURE_NAMES)
def test_fixture_fp16(name: str) -> None:
    original = FIXTURES / f"{name}.onnx"
    before = onnx.load_from_string(piped(name))
    model = convert(piped(name))
    onnx.checker.check_model(model)
    assert interface(model) == interface(onnx.load(original))  # names and float32 types at the boundary

    # weights: the float32 bytes become float16 bytes, all but a few norm parameters / scalars
    f32_before = weight_bytes(before, F32)
    assert weight_bytes(model, F16) >= 0.49 * f32_before
    assert weight_bytes(model, F32) <= 0.01 * f32_before
    for tensor in model.graph.initializer:
        if tensor.data_type == F16:
            assert np.isfinite(numpy_helper.to_array(tensor)).all(), tensor.name  # saturated, never inf

    elem = types(model)
    producer = {out: node for node in model.graph.node for out in node.output}
    nodes = model.graph.node
    kept = [n for n in nodes if n.op_type in KEEP_FP32]
    assert any(elem.get(n.output[0]) == F32 for n in kept), "every fixture has a norm, reduction or softmax"
    for node in kept:
        floats = [elem.get(v) for v in [*node.input[:1], *node.output] if elem.get(v) in (F32, F16)]
        assert all(e == F32 for e in floats), (node.op_type, node.name, floats)  # an integer Range has none
    compute = [n for n in nodes if n.op_type in ("MatMul", "Gemm", "Conv")]
    assert compute and all(elem[n.output[0]] == F16 for n in compute)
    for node in nodes:
        if node.op_type in ("Sin", "Cos"):  # the angle is computed float32 back to its sources
            source = producer[node.input[0]]
            assert all(elem.get(v) != F16 for v in source.input), source.op_type
        if node.op_type == "Cast":
            assert producer.get(node.input[0]) is None or producer[node.input[0]].op_type != "Cast", node.name

    report = verify(original, model, dims=DIMS)
    assert report.meets(Accuracy.REDUCED_PRECISION), report.summary()
    assert not report.meets(Accuracy.FLOAT_BOUNDED) or name.startswith("mobilenet"), "the weights did change"
    for output in report.outputs:  # relative to the output's scale, where it has one above fp16's resolution
        if output.magnitude > 1e-3:
            assert output.max_abs <= 2e-3 * output.magnitude, str(output)


def test_llama_mask_and_rotary_stay_fp32() -> None:
    """Llama's mask holds float32's min (-3.4e38): the ops reading it stay float32, so no -inf appears;
    the rotary angle (positions × inv_freq) and its Cos/Sin are float32."""
    model = convert(piped("llama_ts"))
    elem = types(model)
    big = {t.name for t in model.graph.initializer if t.data_type == F32 and np.abs(numpy_helper.to_array(t)).max(initial=0) > 65504}
    readers = [n for n in model.graph.node if big & set(n.input)]
    assert readers and all(elem[n.output[0]] == F32 for n in readers)
    trig = [n for n in model.graph.node if n.op_type in ("Sin", "Cos")]
    assert len(trig) == 2 and all(elem[n.input[0]] == F32 for n in trig)


@pytest.mark.parametrize("name", ["bert_ts", "whisper_encoder_ts", "llama_ts"])
def test_decomposed_variance_chain_stays_fp32(name: str) -> None:
    """The TorchScript exports keep LayerNorm/RMSNorm as ReduceMean → Sub → Pow → ReduceMean → Add(ε) → Sqrt → Div
    (or Reciprocal → Mul): Sub, Add, Sqrt, Div are ordinary element-wise ops, float32 because they read float32."""
    model = convert(piped(name))
    elem = types(model)
    producer = {out: node for node in model.graph.node for out in node.output}
    sqrts = [n for n in model.graph.node if n.op_type == "Sqrt"]
    assert sqrts
    for sqrt in sqrts:
        variance = producer[sqrt.input[0]]  # var + ε
        assert variance.op_type == "Add" and elem[variance.output[0]] == F32
        assert elem[sqrt.output[0]] == F32
        users = [n for n in model.graph.node if sqrt.output[0] in n.input]
        assert users and all(elem[n.output[0]] == F32 for n in users)  # Div or Reciprocal


def test_keep_io_false_makes_the_interface_half() -> None:
    original = onnx.load(FIXTURES / "vit_dynamo.onnx")
    model = convert(piped("vit_dynamo"), "onnx-convert-precision{keep-io=false}")
    onnx.checker.check_model(model)
    assert [e for _, e in interface(model)] == [F16 if e == F32 else e for _, e in interface(original)]
    feeds, _ = make_inputs(original, seed=0, dims=DIMS)
    expected = run(original, feeds)
    got = run(model, {k: v.astype(np.float16) if v.dtype == np.float32 else v for k, v in feeds.items()})
    assert all(v.dtype == np.float16 for v in got.values())
    report = compare(expected, {k: v.astype(np.float32) for k, v in got.items()})
    assert report.meets(Accuracy.REDUCED_PRECISION), report.summary()
    assert not any(n.op_type == "Cast" and n.input[0] == original.graph.input[0].name for n in model.graph.node)


@pytest.mark.parametrize("name", ["gpt2_dynamo", "whisper_encoder_ts"])
def test_bf16_weights_run_on_ort_cpu(name: str) -> None:
    """onnxruntime's CPU provider has no bfloat16 arithmetic: weights are stored bfloat16 and cast up in front
    of their compute op (weight-only: compute stays float32), within class 4."""
    original = FIXTURES / f"{name}.onnx"
    before = onnx.load_from_string(piped(name))
    model = convert(piped(name), "onnx-convert-precision{precision=bf16}")
    onnx.checker.check_model(model)
    assert interface(model) == interface(onnx.load(original))
    assert weight_bytes(model, BF16) >= 0.45 * weight_bytes(before, F32)
    report = verify(original, model, dims=DIMS)
    assert report.meets(Accuracy.REDUCED_PRECISION_BF16), report.summary()
    assert not report.meets(Accuracy.FLOAT_BOUNDED), "the weights did change"
    elem = types(model)
    compute = [n for n in model.graph.node if n.op_type in ("MatMul", "Gemm", "Conv")]
    assert compute and all(elem[n.output[0]] == F32 for n in compute)  # no bfloat16 kernel on the CPU provider
    cast_weights = [n for n in model.graph.node if n.op_type == "Cast" and elem.get(n.input[0]) == BF16]
    assert cast_weights


def _custom_model() -> onnx.ModelProto:
    """x → MatMul(W1) → my.domain::Scale → MatMul(W2) → y, with the custom op's result typed float32."""
    rng = np.random.default_rng(0)
    w1, w2 = (numpy_helper.from_array(rng.standard_normal((8, 8)).astype(np.float32), n) for n in ("w1", "w2"))
    nodes = [
        helper.make_node("MatMul", ["x", "w1"], ["h"]),
        helper.make_node("Scale", ["h"], ["s"], domain="my.domain", factor=0.5),
        helper.make_node("MatMul", ["s", "w2"], ["y"]),
    ]
    graph = helper.make_graph(
        nodes, "g", [helper.make_tensor_value_info("x", F32, [2, 8])], [helper.make_tensor_value_info("y", F32, [2, 8])],
        [w1, w2], value_info=[helper.make_tensor_value_info("s", F32, [2, 8]), helper.make_tensor_value_info("h", F32, [2, 8])],
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 21), helper.make_opsetid("my.domain", 1)])


def test_custom_domain_op_untouched() -> None:
    module = to_ir(load_model(_custom_model()))
    optimize(module, passes="onnx-convert-precision")
    model = to_model_proto(module)
    elem = types(model)
    custom = next(n for n in model.graph.node if n.domain == "my.domain")
    assert (custom.op_type, [a.f for a in custom.attribute]) == ("Scale", [0.5])
    assert elem[custom.input[0]] == F32 and elem[custom.output[0]] == F32
    matmuls = [n for n in model.graph.node if n.op_type == "MatMul"]
    assert [elem[n.output[0]] for n in matmuls] == [F16, F16]
    casts = [n for n in model.graph.node if n.op_type == "Cast"]
    assert len(casts) == 4  # x down, h up (custom in), s down (custom out), y up


@pytest.mark.parametrize("name", ["llama_ts", "bert_ts"])
@pytest.mark.parametrize("precision", ["fp16", "bf16"])
def test_second_run_changes_nothing(name: str, precision: str) -> None:
    module = to_ir(load_model(onnx.load_from_string(piped(name))))
    spec = f"onnx-convert-precision{{precision={precision}}}"
    assert optimize(module, passes=spec).changed()
    once = to_model_proto(module).SerializeToString()
    report = optimize(module, passes=spec)
    assert not report.changed()
    assert to_model_proto(module).SerializeToString() == once


def test_accuracy_class_follows_the_precision() -> None:
    assert ConvertPrecisionPass().accuracy == Accuracy.REDUCED_PRECISION
    assert ConvertPrecisionPass(precision="bf16").accuracy == Accuracy.REDUCED_PRECISION_BF16
    assert ConvertPrecisionPass.accuracy == Accuracy.REDUCED_PRECISION_BF16  # looked up by name: the looser
    classes = list(Accuracy)
    assert [c.tolerance for c in classes] == sorted(c.tolerance for c in classes)
    assert [c.rtol for c in classes] == sorted(c.rtol for c in classes)
    [fp16] = parse_passes("onnx-convert-precision{precision=fp16 keep-io=false}")
    assert (fp16.precision, fp16.keep_io) == ("fp16", False)  # type: ignore[attr-defined]
    with pytest.raises(ForgeError, match="precision"):
        parse_passes("onnx-convert-precision{precision=fp8}")


def test_weights_beyond_half_range_stay_fp32() -> None:
    """A weight beyond ±65504 read by a compute op is not clipped (that would change what the model computes):
    the op and its weight stay float32. bfloat16 keeps float32's range, so there it converts."""
    model = _custom_model()
    model.graph.initializer[1].CopyFrom(numpy_helper.from_array(np.full((8, 8), 1e6, np.float32), "w2"))
    module = to_ir(load_model(model))
    optimize(module, passes="onnx-convert-precision")
    w2 = next(t for t in to_model_proto(module).graph.initializer if t.name.startswith("w2"))
    assert w2.data_type == TensorProto.FLOAT and numpy_helper.to_array(w2).max() == np.float32(1e6)
    assert ml_dtypes.bfloat16(1e6) != np.inf  # bf16 keeps float32's range: no saturation needed


def test_subgraph_reads_float32_of_a_converted_value() -> None:
    """An If branch using an outer value that became half reads a float32 copy: subgraphs are not converted."""
    rng = np.random.default_rng(1)
    w = numpy_helper.from_array(rng.standard_normal((8, 8)).astype(np.float32), "w")
    out = helper.make_tensor_value_info("r", F32, [2, 8])
    then = helper.make_graph([helper.make_node("Relu", ["h"], ["r"])], "then", [], [out])
    orelse = helper.make_graph([helper.make_node("Neg", ["h"], ["r"])], "else", [], [out])
    nodes = [helper.make_node("MatMul", ["x", "w"], ["h"]), helper.make_node("If", ["c"], ["y"], then_branch=then, else_branch=orelse)]
    graph = helper.make_graph(
        nodes, "g", [helper.make_tensor_value_info("x", F32, [2, 8]), helper.make_tensor_value_info("c", TensorProto.BOOL, [])],
        [helper.make_tensor_value_info("y", F32, [2, 8])], [w], value_info=[helper.make_tensor_value_info("h", F32, [2, 8])],
    )
    original = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 21)])
    original.ir_version = 10
    module = to_ir(load_model(original))
    optimize(module, passes="onnx-convert-precision")
    model = to_model_proto(module)
    onnx.checker.check_model(model)
    elem = types(model)
    assert elem[next(n for n in model.graph.node if n.op_type == "MatMul").output[0]] == F16
    for cond in (True, False):
        feeds = {"x": rng.standard_normal((2, 8)).astype(np.float32), "c": np.array(cond)}
        report = compare(run(original, feeds), run(model, feeds))
        assert report.meets(Accuracy.REDUCED_PRECISION) and not report.identical, report.summary()


def test_opset_23_fused_ops() -> None:
    """At opset 23 Llama has standard RMSNormalization (float32) and RotaryEmbedding (half, cos/sin cast down)."""
    original = FIXTURES / "llama_ts.onnx"
    module = to_ir(load_model(original))
    optimize(module, "auto", target_opset=23)
    model = convert(to_model_proto(module))
    elem = types(model)
    ops = {n.op_type: elem[n.output[0]] for n in model.graph.node}
    assert (ops["RMSNormalization"], ops["RotaryEmbedding"]) == (F32, F16)
    report = verify(original, model, dims=DIMS)
    assert report.meets(Accuracy.REDUCED_PRECISION), report.summary()


def test_a_weight_beyond_half_range_keeps_its_op_fp32() -> None:
    """A MatMul weight holding inf (or a value past ±65504) would be clipped to ±65504 in float16, and the
    original's inf outputs would become finite: its op stays float32 (found by the fuzzer, mutant:73)."""
    weight = np.full((4, 3), 0.5, dtype=np.float32)
    weight[1, 2] = np.inf
    weight[3, 0] = 1e6
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["x", "w"], ["y"])], "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 3])],
        [numpy_helper.from_array(weight, "w")],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)], ir_version=9)
    module = to_ir(load_model(model))
    optimize(module, passes="onnx-convert-precision{precision=fp16}")
    result = to_model_proto(module)
    assert [n.op_type for n in result.graph.node] == ["MatMul"]
    assert result.graph.initializer[0].data_type == TensorProto.FLOAT
    x = np.ones((2, 4), dtype=np.float32)
    assert np.array_equal(run(result, {"x": x})["y"], x @ weight)
