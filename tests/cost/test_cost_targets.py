"""Targets are data: the packaged Orin power modes agree with the spec sheet, JSON round-trips, bad files fail clearly."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from onnxforge.cost.hardware import Target, list_targets, load_target, save_target, transfer
from onnxforge.errors import ForgeError

ORIN = {  # mode: (fp32 TFLOP/s, tf32, GB/s, CPU GHz) from shared/data/orin_agx_specs.md
    "maxn": (5.33, 21.3, 204.8, 2.2),
    "50w": (3.34, 13.4, 204.8, 1.4976),
    "30w": (1.25, 5.0, 204.8, 1.728),
    "15w": (0.63, 2.5, 136.5, 1.1136),
}


@pytest.mark.parametrize("mode", sorted(ORIN))
def test_orin_power_modes(mode: str) -> None:
    fp32, tf32, bandwidth, clock = ORIN[mode]
    target = load_target(f"orin-agx-{mode}")
    assert target.peak_flops["fp32"] == pytest.approx(fp32 * 1e12)
    assert target.peak_flops["tf32"] == pytest.approx(tf32 * 1e12)
    assert target.bandwidth == pytest.approx(bandwidth * 1e9)
    assert target.precision["conv"] == "tf32" and target.precision["matmul"] == "fp32"  # PyTorch defaults
    assert target.execution == "eager"
    # The eager per-kernel overhead is host-bound: about 135,000 CPU cycles in every mode.
    assert target.overhead_s * clock * 1e9 == pytest.approx(135_000, rel=0.05)


def test_packaged_targets_load_and_round_trip(tmp_path: Path) -> None:
    assert {"host", "orin-agx-15w", "orin-agx-30w", "orin-agx-50w", "orin-agx-maxn"} <= set(list_targets())
    for name in list_targets():
        target = load_target(name)
        assert Target.from_json(json.loads(json.dumps(target.to_json()))) == target
    path = tmp_path / "mine.json"
    save_target(load_target("host").with_constants(name="mine", overhead_s=3e-6), path)
    assert load_target(str(path)).overhead_s == 3e-6


def test_with_constants_merges_tables() -> None:
    target = load_target("orin-agx-50w").with_constants(efficiency={"conv": 0.25}, bandwidth_efficiency=0.8)
    assert target.efficiency["conv"] == 0.25 and target.efficiency["matmul"] == 0.6
    with pytest.raises(ForgeError, match="no constant"):
        target.with_constants(speed=2)
    with pytest.raises(ForgeError, match=r"\(0, 1\]"):
        target.with_constants(efficiency={"conv": 1.5})


def test_transfer_scales_overhead_with_cpu_clock() -> None:
    fitted = load_target("orin-agx-50w").with_constants(efficiency={"conv": 0.3}, overhead_s=1e-4)
    maxn = transfer(fitted, load_target("orin-agx-maxn"))
    assert maxn.efficiency["conv"] == 0.3 and maxn.peak_flops["fp32"] == pytest.approx(5.33e12)
    assert maxn.overhead_s == pytest.approx(1e-4 * 1.4976 / 2.2)


def test_search_path_and_bad_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = load_target("host").to_json()
    (tmp_path / "host.json").write_text(json.dumps({**data, "overhead_s": 1e-6}))
    monkeypatch.setenv("ONNXFORGE_TARGET_PATH", str(tmp_path))
    assert load_target("host").overhead_s == 1e-6  # a calibrated host target shadows the packaged one
    (tmp_path / "bad.json").write_text(json.dumps({**data, "precision": {"conv": "fp8"}}))
    with pytest.raises(ForgeError, match="fp8"):
        load_target("bad")
    (tmp_path / "partial.json").write_text(json.dumps({"name": "partial"}))
    with pytest.raises(ForgeError, match="lacks"):
        load_target(str(tmp_path / "partial.json"))
    with pytest.raises(ForgeError, match="unknown target"):
        load_target("orin-nano")
