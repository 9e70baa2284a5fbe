"""Calibration and validation of cost targets: fitting, held-out scoring, the quick host calibration.

The fitting tests use synthetic kernels whose "measured" latency is the model's own estimate under
known constants, so a correct fit must find those constants again; the held-out test changes one
family's measurements and checks that its held-out prediction does not move (it never saw them).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from paths import FIXTURES

from onnxforge.cli.calibrate import main
from onnxforge.cost.fit import Evaluator, Sample, fit, leave_one_family_out, rating, score
from onnxforge.cost.hardware import load_target
from onnxforge.cost.model import Kernel, estimate
from onnxforge.cost.validate import read_measurements, validate


def _kernel(op_class: str, flops: float, nbytes: float, index: int) -> Kernel:
    return Kernel(name=f"k{index}", op=op_class, op_class=op_class, module="", flops=flops,
                  bytes_read=nbytes * 0.75, bytes_written=nbytes * 0.25, weight_bytes=0.0)


def _synthetic_model(family: str, scale: float, conv: int, matmul: int, small: int) -> list[Kernel]:
    """Big convs (compute), big matmuls (compute), wide elementwise ops (memory), tiny ops (overhead)."""
    kernels = []
    kernels += [_kernel("conv", 4e9 * scale, 2e6, i) for i in range(conv)]
    kernels += [_kernel("matmul", 3e9 * scale, 4e6, i) for i in range(matmul)]
    kernels += [_kernel("elementwise", 1e6 * scale, 2e8 * scale, i) for i in range(3)]
    kernels += [_kernel("elementwise", 1e3, 4e3, i) for i in range(small)]
    return kernels


SHAPES = {  # family -> (scale, conv, matmul, tiny ops) for two models each
    "cnn": [(1.0, 20, 1, 60), (2.0, 40, 1, 150)],
    "transformer": [(1.0, 1, 30, 80), (1.5, 1, 60, 160)],
    "mixed": [(0.5, 10, 10, 300), (1.0, 12, 12, 40)],
    "tiny": [(0.01, 5, 5, 400), (0.02, 8, 3, 250)],
}
TRUE = {"efficiency": {"conv": 0.35, "matmul": 0.7}, "bandwidth_efficiency": 0.55, "overhead_s": 40e-6}


def _samples(truth) -> list[Sample]:  # type: ignore[no-untyped-def]
    samples = []
    for family, shapes in SHAPES.items():
        for i, shape in enumerate(shapes):
            kernels = _synthetic_model(family, *shape)
            seconds = sum(e.seconds for e in estimate(kernels, truth))
            samples.append(Sample(f"{family}{i}", family, seconds, kernels))
    return samples


@pytest.fixture(scope="module")
def orin():  # type: ignore[no-untyped-def]
    return load_target("orin-agx-50w")


def test_fit_recovers_known_constants(orin) -> None:  # type: ignore[no-untyped-def]
    truth = orin.with_constants(**TRUE)
    samples = _samples(truth)
    params = ["efficiency:conv", "efficiency:matmul", "bandwidth_efficiency", "overhead_s"]
    result = fit(samples, orin, params, prior_weight=0.0)
    assert result.values["efficiency:conv"] == pytest.approx(0.35, rel=1e-3)
    assert result.values["efficiency:matmul"] == pytest.approx(0.7, rel=1e-3)
    assert result.values["bandwidth_efficiency"] == pytest.approx(0.55, rel=1e-3)
    assert result.values["overhead_s"] == pytest.approx(40e-6, rel=1e-3)
    assert result.rms_log_error < 1e-6
    assert score(samples, result.target).mae < 1e-4
    assert "fitted" in result.target.calibrated


def test_fit_respects_bounds(orin) -> None:  # type: ignore[no-untyped-def]
    """Measurements faster than the peak allows: efficiency stops at 1, never above."""
    samples = [Sample(s.name, s.family, s.measured_s / 20, s.kernels) for s in _samples(orin.with_constants(**TRUE))]
    result = fit(samples, orin, ["efficiency:conv", "efficiency:matmul"])
    assert all(0 < v <= 1.0 for v in result.values.values())
    assert result.target.efficiency["conv"] <= 1.0


def test_default_params_are_the_classes_that_matter(orin) -> None:  # type: ignore[no-untyped-def]
    result = fit(_samples(orin.with_constants(**TRUE)), orin)
    assert set(result.params) == {"efficiency:conv", "efficiency:matmul", "bandwidth_efficiency", "overhead_s"}


def test_shared_scale_moves_unseen_classes_with_the_seen_ones(orin) -> None:  # type: ignore[no-untyped-def]
    """Only convs in the data: with a shared scale the matmul efficiency keeps its prior ratio to conv."""
    truth = orin.with_constants(**TRUE)
    cnn = []
    for i, shape in enumerate([(1.0, 20, 0, 60), (2.0, 40, 0, 150), (0.3, 30, 0, 90)]):
        kernels = _synthetic_model("cnn", *shape)
        cnn.append(Sample(f"cnn{i}", "cnn", sum(e.seconds for e in estimate(kernels, truth)), kernels))
    plain = fit(cnn, orin, ["efficiency:conv", "bandwidth_efficiency", "overhead_s"])
    shared = fit(cnn, orin, ["efficiency:conv", "bandwidth_efficiency", "overhead_s"], shared_scale=True)  # the prior keeps δ_conv near 0
    assert plain.target.efficiency["matmul"] == orin.efficiency["matmul"]
    ratio = orin.efficiency["matmul"] / orin.efficiency["conv"]
    assert shared.target.efficiency["matmul"] == pytest.approx(shared.target.efficiency["conv"] * ratio, rel=0.02)
    assert shared.values["efficiency:conv"] == pytest.approx(plain.values["efficiency:conv"], rel=0.02)
    assert plain.values["efficiency:conv"] == pytest.approx(0.35, rel=0.02)


def test_evaluator_agrees_with_estimate(orin) -> None:  # type: ignore[no-untyped-def]
    samples = _samples(orin)
    evaluator = Evaluator(samples, orin)
    assert evaluator.exact and evaluator.combine == "max"
    other = orin.with_constants(efficiency={"conv": 0.2}, bandwidth_efficiency=0.3, overhead_s=7e-6)
    for sample, total in zip(samples, evaluator.totals(other)):
        assert total == pytest.approx(sum(e.seconds for e in estimate(list(sample.kernels), other)), rel=1e-12)


def test_held_out_never_sees_the_family_it_scores(orin) -> None:  # type: ignore[no-untyped-def]
    truth = orin.with_constants(**TRUE)
    samples = _samples(truth)
    skewed = [Sample(s.name, s.family, s.measured_s * (5.0 if s.family == "transformer" else 1.0), s.kernels)
              for s in samples]
    before, after = leave_one_family_out(samples, orin), leave_one_family_out(skewed, orin)
    assert after.fits["transformer"].trained_on == [s.name for s in samples if s.family != "transformer"]
    for name in ("transformer0", "transformer1"):
        assert after.row(name).estimated_ms == pytest.approx(before.row(name).estimated_ms, rel=1e-12)
        assert after.row(name).measured_ms == pytest.approx(5 * before.row(name).measured_ms)
    # ... while the families that trained on the skewed one do move, and so does the in-sample fit
    assert after.row("cnn0").estimated_ms != pytest.approx(before.row("cnn0").estimated_ms, rel=1e-6)
    assert fit(skewed, orin).values != fit(samples, orin).values


def test_scores_and_ratings(orin) -> None:  # type: ignore[no-untyped-def]
    assert [rating(e) for e in (0.0, 0.099, 0.1, 0.2499, 0.25, 0.5, 3.0)] == \
        ["EXCELLENT", "EXCELLENT", "GOOD", "GOOD", "FAIR", "POOR", "POOR"]
    samples = _samples(orin.with_constants(**TRUE))
    result = validate(samples, orin)  # the default prior weight pulls a little toward the shipped constants
    assert result.in_sample.mae < 0.05 < result.prior.mae
    data = result.to_json()
    assert {"prior", "in_sample", "held_out", "fitted_values", "fitted_target"} <= set(data)
    assert data["held_out"]["kind"].startswith("held-out")
    assert sum(data["held_out"]["ratings"].values()) == len(samples)
    assert "| **MAE** |" in result.markdown()


def test_read_measurements_orin_format() -> None:
    text = ("# a comment\n# another\nmodel,family,input,meas_ms,meas_min_ms,meas_max_ms\n"
            "resnet18,resnet,224,6.71,6.71,7.00\nvit_b_16,vit,224,30.34,,\n")
    rows = read_measurements(text)
    assert [(r.model, r.family, r.ms, r.min_ms, r.max_ms) for r in rows] == [
        ("resnet18", "resnet", 6.71, 6.71, 7.0), ("vit_b_16", "vit", 30.34, None, None)]


def test_quick_calibration_writes_a_loadable_target(tmp_path: Path) -> None:
    """Run as its own process: sessions that flush denormals set the calling thread's FTZ/DAZ state,
    which would leak into every later test of this process (hypothesis refuses to run under it)."""
    import subprocess
    import sys

    path = tmp_path / "host.json"
    command = [sys.executable, "-m", "onnxforge.cli.calibrate", "calibrate", "--quick", "-o", str(path), "--name", "myhost"]
    assert subprocess.run(command, check=False, capture_output=True, text=True).returncode == 0
    target = load_target(str(path))
    assert target.name == "myhost" and target.execution == "ort"
    assert target.peak_flops["fp32"] > 1e9 and target.bandwidth > 1e8 and target.overhead_s > 0
    assert all(0 < v <= 1 for v in target.efficiency.values()) and 0 < target.bandwidth_efficiency <= 1
    notes = json.loads(path.read_text())["notes"]
    assert {m["kind"] for m in notes["measurements"]} == {"gemm", "conv", "bandwidth", "overhead"}
    assert notes["protocol"]["threads"] == 2


def test_cost_validate_cli_on_fixtures(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    csv = tmp_path / "measured.csv"
    csv.write_text("model,family,meas_ms\nresnet_ts,cnn,2.5\nmobilenet_v2_ts,cnn,4.0\nvit_ts,vit,3.0\nbert_ts,bert,3.5\n")
    fitted = tmp_path / "fitted.json"
    assert main(["cost-validate", "--target", "orin-agx-50w", "--measured", str(csv), "--models", str(FIXTURES),
                 "--fit", "overhead_s", "-o", str(fitted), "--report", "json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["fitted_params"] == ["overhead_s"] and len(report["held_out"]["rows"]) == 4
    assert load_target(str(fitted)).overhead_s == pytest.approx(report["fitted_values"]["overhead_s"])
    assert main(["cost-validate", "--target", "orin-agx-50w", "--measured", str(tmp_path / "nope.csv")]) == 1
