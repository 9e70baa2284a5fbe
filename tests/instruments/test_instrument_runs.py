"""Attribution, tolerance sweep, pass-order sensitivity and latency on the tiny fixtures (few repeats)."""

from __future__ import annotations

import numpy as np
import pytest
from paths import FIXTURES

from onnxforge.compiler import parse_passes
from onnxforge.instruments.attribution import attribute
from onnxforge.instruments.latency import ModelLatency, Timing, correlate, measure, pearson
from onnxforge.instruments.models import Settings, Stage, is_analysis, is_lowering, pass_label
from onnxforge.instruments.order import sensitivity, shuffled
from onnxforge.instruments.tables import FORMATS, dumps, render
from onnxforge.instruments.tolerance import _differences, sweep
from onnxforge.transforms.pipelines import resolve

RESNET, BERT = str(FIXTURES / "resnet_ts.onnx"), str(FIXTURES / "bert_ts.onnx")


def _render_all(result) -> None:  # type: ignore[no-untyped-def]
    for fmt in FORMATS[:-1]:
        assert render(result.tables(), fmt)
    assert dumps(result.to_json())


def test_attribution_of_cleanup() -> None:
    result = attribute([RESNET], Settings(pipeline="cleanup"))
    model = result.models[0]
    rows = {r.pass_name: r for r in model.passes}
    assert [r.pass_name for r in model.passes] == [pass_label(p) for p in parse_passes(resolve("cleanup").passes)]
    assert rows["onnx-infer-shapes"].alone is None  # an analysis: run before the others, not alone
    assert rows["onnx-canonicalize"].alone_removed == 24  # the weights' Identity nodes
    assert rows["onnx-fold-constants"].cumulative_removed == 24 and rows["onnx-canonicalize"].cumulative_removed == 0
    assert model.passes[-1].cumulative.nodes == 27
    assert (model.nodes, model.pipeline.nodes) == (51, 27)
    assert all(r.cumulative.within for r in model.passes) and model.pipeline.max_abs == 0 and model.pipeline.within
    _render_all(result)


def test_attribution_from_a_baseline_without_verification() -> None:
    result = attribute([BERT], Settings(passes="onnx-eliminate-dead"), baseline="cleanup", verify=False)
    model = result.models[0]
    assert model.nodes == 122 and model.passes[0].alone_removed == 0  # bert_ts after cleanup and model.passes[0].alone.max_abs is None


def test_tolerance_sweep_over_seeds() -> None:
    result = sweep([RESNET], Settings(passes="onnx-infer-shapes,onnx-canonicalize"), seeds=3)
    model = result.models[0]
    assert len(model.dims) == 3 and {o.output for o in model.outputs} == {"last_hidden_state", "pooler_output"}
    assert all(o.identical_seeds == 3 and o.max_abs == 0 for o in model.outputs) and model.within
    _render_all(result)


def test_differences_statistics() -> None:
    want = np.array([1.0, 2.0, np.nan, 4.0], np.float32)
    got = np.array([1.0, 2.5, np.nan, np.nan], np.float32)
    diff, rel = _differences(want, got)
    assert diff.tolist() == [0.0, 0.5, 0.0, np.inf] and rel == np.inf


def test_shuffles_keep_analyses_and_lowerings_in_place() -> None:
    passes = parse_passes("onnx-infer-shapes,onnx-cse,onnx-canonicalize,onnx-merge-constants,nn-lower,onnx-infer-shapes,"
                          "onnx-eliminate-dead,onnx-fold-neutral-elements")
    stage = Stage(list(passes), name="test")
    rng = np.random.default_rng(0)
    for _ in range(10):
        (order,) = shuffled([stage], rng)
        labels = [p.name for p in order.passes]
        assert sorted(labels) == sorted(p.name for p in passes)
        for position, pass_ in enumerate(passes):
            if is_analysis(pass_) or is_lowering(pass_):
                assert labels[position] == pass_.name
        assert set(labels[1:4]) == {"onnx-cse", "onnx-canonicalize", "onnx-merge-constants"}


def test_order_sensitivity_of_cleanup() -> None:
    result = sensitivity([RESNET], Settings(pipeline="cleanup"), orders=2, seed=1)
    model = result.models[0]
    assert len(model.runs) == 3 and model.runs[0].moved == 0
    assert all(r.error is None and r.within for r in model.runs)
    assert model.spread == 0 and model.runs[0].nodes == 27
    _render_all(result)


def test_latency_interleaved() -> None:
    models = [RESNET, str(FIXTURES / "resnet_dynamo.onnx"), str(FIXTURES / "mobilenet_v2_dynamo.onnx")]
    result = measure(models, Settings(pipeline="cleanup"), repeats=3, warmup=1)
    assert [m.model for m in result.models] == ["resnet_ts", "resnet_dynamo", "mobilenet_v2_dynamo"]
    assert all(m.before.runs == 3 and m.after.runs == 3 and m.before.median_ms > 0 for m in result.models)
    assert result.models[0].nodes_before == 51 and result.models[0].nodes_after == 27
    assert result.correlation.models == 3
    _render_all(result)


def test_correlation_rules() -> None:
    def model(reduction: float, change: float) -> ModelLatency:
        return ModelLatency("m", 100, int(100 - reduction), Timing(10.0, 0.0, 1), Timing(10.0 * (1 + change / 100), 0.0, 1))

    monotonic = correlate([model(10, -1), model(20, -5), model(30, -6)])
    assert monotonic.spearman == pytest.approx(1.0) and monotonic.pearson is not None and monotonic.pearson > 0.9
    assert correlate([model(10, -1), model(20, -5)]).pearson is None  # too few models
    assert pearson(np.array([1.0, 1.0, 1.0]), np.array([1.0, 2.0, 3.0])) is None  # no spread
    assert Timing.of([0.001, 0.002, 0.003, 0.004]).median_ms == pytest.approx(2.5)
