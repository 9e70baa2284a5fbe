"""``runtime.verify``: edge bindings (each free symbolic dim at 0 and 1) and the input budget."""

from __future__ import annotations

import os

import numpy as np
import onnx
import pytest
from onnx import TensorProto as T
from onnx import helper as h
from onnx import numpy_helper as nh

from onnxforge import runtime
from onnxforge.errors import ForgeError
from onnxforge.passmanager import Accuracy


def _model(nodes: list[onnx.NodeProto], inits: dict[str, np.ndarray], x_shape: list, out_type: int) -> onnx.ModelProto:  # type: ignore[type-arg]
    graph = h.make_graph(nodes, "g", [h.make_tensor_value_info("x", T.FLOAT, x_shape)],
                         [h.make_tensor_value_info("y", out_type, None)],
                         [nh.from_array(np.asarray(v), k) for k, v in inits.items()])
    return h.make_model(graph, opset_imports=[h.make_opsetid("", 18)], ir_version=9)


BATCH_IS_EMPTY = _model(
    [h.make_node("Shape", ["x"], ["s"]), h.make_node("Gather", ["s", "i0"], ["b"]), h.make_node("Equal", ["b", "zero"], ["y"])],
    {"i0": np.array(0), "zero": np.array(0)}, ["batch", 4], T.BOOL)
"""``Shape(x)[0] == 0``: what the old shape inference folded to False."""
FOLDED_TO_FALSE = _model([h.make_node("Identity", ["f"], ["y"])], {"f": np.array(False)}, ["batch", 4], T.BOOL)


def test_a_result_wrong_only_at_batch_zero_fails_verification() -> None:
    report = runtime.verify(BATCH_IS_EMPTY, FOLDED_TO_FALSE)
    assert report.dims["batch"] >= 2  # the random binding agrees...
    assert report.edge_bindings == ["batch=0", "batch=1"]
    assert not report.meets(Accuracy.LOSSLESS)  # ...but batch=0 does not
    assert "y (batch=0)" in report.summary()
    assert runtime.verify(BATCH_IS_EMPTY, BATCH_IS_EMPTY).identical


def test_bindings_the_original_cannot_run_are_skipped() -> None:
    """Reshape(x, [batch, -1]) fails on onnxruntime at batch 0: that binding proves nothing."""
    model = _model([h.make_node("Reshape", ["x", "t"], ["y"])], {"t": np.array([0, -1])}, ["batch", 4], T.FLOAT)
    report = runtime.verify(model, model)
    assert report.identical
    assert report.edge_bindings == ["batch=1"] and report.skipped_bindings[0].startswith("batch=0: ")
    assert "not with batch=0" in report.summary()


def test_bound_dims_are_not_rebound() -> None:
    report = runtime.verify(BATCH_IS_EMPTY, FOLDED_TO_FALSE, dims={"batch": 3})
    assert report.identical and report.edge_bindings == []


def test_inputs_over_the_budget_are_refused_before_allocating() -> None:
    model = _model([h.make_node("Relu", ["x"], ["y"])], {}, [100_000, "n", 100_000], T.FLOAT)
    with pytest.raises(ForgeError, match="over the 1024 MiB verification budget"):
        runtime.verify(model, model)


def test_a_crash_probe_reports_how_the_child_died(monkeypatch: pytest.MonkeyPatch) -> None:
    """The probe runs in a forked child: a healthy run is no crash; a run that aborts the process (as
    onnxruntime 1.31's LSTM does on an empty batch) is reported by its signal, and this process goes on."""
    feeds = {"x": np.zeros((0, 4), np.float32)}
    assert runtime.crashes(BATCH_IS_EMPTY, feeds) is None
    monkeypatch.setattr(runtime, "run_session", lambda *_: os.abort())
    assert runtime.crashes(BATCH_IS_EMPTY, feeds) == "SIGABRT"


def test_a_binding_that_crashes_the_original_is_skipped_and_one_that_crashes_the_result_fails(
        monkeypatch: pytest.MonkeyPatch) -> None:
    crashing: list[object] = []
    monkeypatch.setattr(runtime, "crashes", lambda model, feeds: "SIGABRT" if model is crashing[0] else None)
    crashing.append(BATCH_IS_EMPTY)
    report = runtime.verify(BATCH_IS_EMPTY, FOLDED_TO_FALSE)
    assert report.skipped_bindings == ["batch=0: onnxruntime crashes running the original (SIGABRT)"]
    crashing[0] = FOLDED_TO_FALSE
    report = runtime.verify(BATCH_IS_EMPTY, FOLDED_TO_FALSE)
    assert any("onnxruntime crashes running the result (SIGABRT)" in p for p in report.problems)


@pytest.mark.parametrize(("dtype", "meets"), [(np.float16, True), (np.float32, False)])
def test_class_tolerances_allow_a_few_rounding_steps_of_the_outputs_own_type(dtype: type, meets: bool) -> None:
    """One float16 ulp at magnitude 4 (2e-3) is what any reassociation gives a float16 model: within class 1
    for a float16 output, far outside it for a float32 one; never within class 0."""
    want = np.array([4.0, -1.0, 0.5], dtype)
    got = want.copy()
    got[0] = np.nextafter(np.float16(4.0), np.float16(8.0)) if dtype is np.float16 else 4.00390625
    report = runtime.compare({"y": want}, {"y": got})
    assert report.meets(Accuracy.FLOAT_BOUNDED) is meets
    assert not report.meets(Accuracy.LOSSLESS)
    got[0] = 4.25  # 16 float16 ulps: no class-1 result for anyone
    assert not runtime.compare({"y": want}, {"y": got}).meets(Accuracy.FLOAT_BOUNDED)


def test_a_dim_named_by_arithmetic_is_derived_from_the_others() -> None:
    """Optimum names the attention mask's length ``past_sequence_length + sequence_length``: verification binds
    the two and derives the sum (edges included), so a model adding concatenated keys to it runs."""
    graph = h.make_graph(
        [h.make_node("Concat", ["past", "new"], ["keys"], axis=1), h.make_node("Add", ["keys", "mask"], ["y"])], "g",
        [h.make_tensor_value_info("past", T.FLOAT, ["batch", "past_sequence_length"]),
         h.make_tensor_value_info("new", T.FLOAT, ["batch", "sequence_length"]),
         h.make_tensor_value_info("mask", T.FLOAT, ["batch", "past_sequence_length + sequence_length"])],
        [h.make_tensor_value_info("y", T.FLOAT, None)])
    model = h.make_model(graph, opset_imports=[h.make_opsetid("", 18)], ir_version=9)
    report = runtime.verify(model, model)
    assert report.identical, report.summary()
    dims = report.dims
    assert dims["past_sequence_length + sequence_length"] == dims["past_sequence_length"] + dims["sequence_length"]
    assert "past_sequence_length=0" in report.edge_bindings and not report.skipped_bindings
    assert runtime.dim_expression("batch") is None and runtime.dim_expression("__import__('os')") is None
