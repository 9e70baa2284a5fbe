"""The differential fuzzer (tools/fuzzer): a bounded campaign finds nothing, and every rule can fire.

The bounded campaign runs fixed seeds of both generators through the CI cover of the pipeline × target
matrix (``campaign.CI_KEYS``); ``benchmarks/fuzz.py`` runs the long one over the full matrix. The seeds
are fixed, so a failure here is reproducible with ``python tools/fuzzer/campaign.py --case ID``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import pytest
from fuzzer import campaign, graphs, mutate
from fuzzer.harness import check
from fuzzer.oracle import Entry, deploy_matrix, matrix
from onnx import TensorProto, helper, numpy_helper

STAND_INS = Path(__file__).with_name("stand_ins.py")
CI_CASES = ["graph:0", "graph:2", "graph:3", "mutant:0", "mutant:8"]


def test_bounded_campaign_finds_nothing(tmp_path: Path) -> None:
    report = campaign.campaign(CI_CASES, campaign.entries("ci"), out=tmp_path, jobs=2, log=lambda _: None)
    assert report.cases == len(CI_CASES)
    assert report.runs == len(CI_CASES) * len(campaign.CI_KEYS)
    assert not report.first, "\n".join(f"{f.case} {f.entry}: {f.signature}" for f in report.first.values())


def test_ci_cover_names_real_matrix_entries() -> None:
    """Every pipeline, target and the opset conversion appear in the CI cover, and the cover exists in the matrix."""
    full = {e.key: e for e in matrix() + deploy_matrix()}
    cover = [full[k] for k in campaign.CI_KEYS]
    assert {e.pipeline for e in cover} == {e.pipeline for e in full.values()}
    assert {"standard", "ort", "portable", "tensorrt"} <= {e.target for e in cover}
    assert any(e.opset == 23 for e in cover)
    assert any(e.precision == "fp16" and e.accuracy == 3 for e in cover)


def test_generators_are_reproducible_and_valid() -> None:
    assert graphs.build(5).SerializeToString() == graphs.build(5).SerializeToString()
    assert graphs.valid(graphs.build(5))
    assert mutate.mutate(5)[0].SerializeToString() == mutate.mutate(5)[0].SerializeToString()


def _tiny(tmp_path: Path) -> Path:
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 4])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 4])
    w = numpy_helper.from_array(np.arange(4, dtype=np.float32), "w")
    graph = helper.make_graph([helper.make_node("Add", ["x", "w"], ["y"])], "tiny", [x], [y], [w])
    path = tmp_path / "tiny.onnx"
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)])
    model.ir_version = 8  # onnxruntime 1.31 reads up to 13
    onnx.save(model, str(path))
    return path


EXPECTED = {
    "well": set(), "exit70": {"exit-70"}, "traceback": {"traceback", "multi-line-error"}, "multiline": {"multi-line-error"},
    "leaves": {"output-left"}, "miscompiles": {"output-diff"}, "raises": {"exception"}, "modifies": {"input-modified"},
    "crashes": {"crash"}, "hangs": {"hang"},
}


def test_every_rule_fires_on_a_broken_forgec(tmp_path: Path) -> None:
    """A stand-in forgec that misbehaves in each way the issue lists is flagged for exactly that."""
    entries = [Entry(name, None, None, 1) for name in EXPECTED]
    findings, runs = check(_tiny(tmp_path), 0, entries, valid=False, timeout_s=5, main=f"{STAND_INS}:broken")
    assert runs == len(entries)
    flagged = {name: {f.kind for f in findings if f.entry.startswith(f"{name}/")} for name in EXPECTED}
    assert flagged == EXPECTED


@pytest.mark.parametrize("class_", [0, 1])
def test_output_difference_respects_accuracy_class(class_: int) -> None:
    from fuzzer.execute import differences

    want = {"y": np.array([1.0, np.inf, np.nan], np.float32)}
    close = {"y": np.array([1.0 + 1e-6, np.inf, np.nan], np.float32)}
    assert bool(differences(want, close, class_)) == (class_ == 0)
    assert differences(want, {"y": want["y"].copy()}, 0) == []
    assert differences(want, {"y": np.array([1.0, -np.inf, np.nan], np.float32)}, class_)
