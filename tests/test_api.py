"""The Python API behaves like the CLI (issue 12): ``auto`` by default, every argument checked before any
work (a ``ValueError`` naming the value), and with ``report=True`` the model with the run's summary, a
streaming ``save`` and a ``verify``."""

from __future__ import annotations

import json
from pathlib import Path

import onnx
import pytest

import onnxforge
from onnxforge.compiler import Compiled
from onnxforge.passmanager import Accuracy

FIXTURES = Path(__file__).resolve().parent / "fixtures"
BERT = FIXTURES / "bert_ts.onnx"


def test_default_is_auto_like_forgec() -> None:
    auto = onnxforge.compile(BERT)
    assert isinstance(auto, onnx.ModelProto)
    assert len(auto.graph.node) == len(onnxforge.compile(BERT, pipeline="transformer").graph.node)
    assert len(auto.graph.node) < len(onnxforge.compile(BERT, pipeline="none").graph.node)


@pytest.mark.parametrize(("kwargs", "named"), [
    ({"target": "ORT"}, "target='ORT'"),
    ({"target": "tensorrtt"}, "target='tensorrtt'"),
    ({"pipeline": "transfomer"}, "pipeline='transfomer'"),
    ({"target_opset": "23"}, "target_opset='23'"),
    ({"target_opset": 0}, "target_opset=0"),
    ({"pipeline": "cleanup", "passes": "onnx-cse"}, "alternatives"),
    ({"passes": "no-such-pass"}, "no-such-pass"),
    ({"skip": "onnx-cse"}, "skip='onnx-cse'"),
    ({"skip": ["no-such-pass"]}, "no-such-pass"),
])
def test_bad_arguments_are_value_errors_naming_the_value(kwargs: dict, named: str, tmp_path: Path) -> None:  # type: ignore[type-arg]
    missing = tmp_path / "not-read.onnx"  # checked before the model is even opened
    with pytest.raises(ValueError, match=None) as caught:
        onnxforge.compile(missing, **kwargs)
    assert named in str(caught.value)
    assert isinstance(caught.value, onnxforge.ForgeError)


def test_report_save_and_verify(tmp_path: Path) -> None:
    result = onnxforge.compile(BERT, target="ort", report=True)
    assert isinstance(result, Compiled)
    summary = result.summary
    assert summary.pipeline == "transformer" and summary.why
    assert summary.fused["LayerNormalization"] == 5 and summary.fused["com.microsoft.Attention"] == 2
    assert summary.before.nodes > summary.after.nodes == len(result.model.graph.node)
    assert json.loads(summary.as_json())["after"]["nodes"] == summary.after.nodes
    assert result.run.records["nn-fuse-attention"].runs == 1
    written = result.save(tmp_path / "out.onnx")
    assert written == [tmp_path / "out.onnx"]
    assert len(onnx.load(written[0]).graph.node) == summary.after.nodes
    report = result.verify()  # onnxruntime runs it (the ort target's opset-14 LayerNormalization is onnxruntime's)
    assert report.meets(Accuracy.FLOAT_BOUNDED), report.summary()


def test_report_names_declined_fusions_with_the_flag() -> None:
    result = onnxforge.compile(BERT, report=True)
    declined = result.summary.not_fused[0]
    assert declined["ops"] == {"LayerNormalization": 5, "Gelu": 2, "Attention": 2}
    assert declined["enable"] == "--target-opset=23 or --target=ort"


def test_save_refuses_to_replace_the_input(tmp_path: Path) -> None:
    model = tmp_path / "m.onnx"
    model.write_bytes(BERT.read_bytes())
    result = onnxforge.compile(model, report=True)
    with pytest.raises(onnxforge.ForgeError):
        result.save(model)
    assert model.read_bytes() == BERT.read_bytes()
