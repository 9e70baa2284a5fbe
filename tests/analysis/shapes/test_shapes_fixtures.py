"""Soundness and coverage of shape inference on the committed real models.

Each fixture runs in onnxruntime at two bindings of its symbolic dims with
every intermediate exposed; every inferred dim and shape-tensor element is
checked against the actual one (see ``shapes_soundness``). Coverage — the
share of values whose shape is fully known — must not drop below what was
measured, so a rule regression fails here.
"""

from __future__ import annotations

from pathlib import Path

import onnx
import pytest
from paths import FIXTURES
from shapes_soundness import Report, check, named_values, run_all_values

from onnxforge.analysis.shapes import infer
from onnxforge.compiler import to_ir
from onnxforge.onnxio.loader import from_proto, load
from onnxforge.runtime import make_inputs

BINDINGS = ({"batch": 2, "sequence": 5}, {"batch": 3, "sequence": 7})

COVERAGE_FLOOR = {
    # measured with declared types stripped: values with a fully known shape / all values (incl. initializers)
    "bert_dynamo": 1.0, "bert_ts": 1.0, "gpt2_dynamo": 1.0, "gpt2_ts": 1.0, "llama_dynamo": 1.0,
    "llama_ts": 1.0, "mobilenet_v2_dynamo": 1.0, "mobilenet_v2_ts": 1.0, "resnet_dynamo": 1.0,
    "resnet_ts": 1.0, "vit_dynamo": 1.0, "vit_ts": 1.0, "whisper_encoder_dynamo": 1.0,
    "whisper_encoder_ts": 1.0,
}


def strip_declared(model: onnx.ModelProto) -> onnx.ModelProto:
    """The model without value_info or output shapes: only inference can know intermediate shapes."""
    copy = onnx.ModelProto()
    copy.CopyFrom(model)
    del copy.graph.value_info[:]
    for output in copy.graph.output:
        output.type.tensor_type.ClearField("shape")
    return copy


@pytest.mark.parametrize("stripped", [False, True], ids=["declared", "stripped"])
@pytest.mark.parametrize("path", sorted(FIXTURES.glob("*.onnx")), ids=lambda p: p.stem)
def test_inferred_facts_match_onnxruntime(path: Path, stripped: bool) -> None:
    loaded = load(path)
    if stripped:
        loaded = from_proto(strip_declared(onnx.load(path)))
    module = to_ir(loaded)
    facts = infer(module)
    assert not facts.failures, facts.failures[:5]
    values = named_values(module)
    model = onnx.load(path)
    report = Report()
    for binding in BINDINGS:
        feeds, bound = make_inputs(model, seed=0, dims=binding)
        actual = run_all_values(model, feeds)
        check(facts, values, actual, bound, report)
    assert not report.errors, "\n".join(report.errors[:20])
    assert report.checked_dims > 0
    known, total = facts.coverage()
    print(f"{path.stem} {'stripped' if stripped else 'declared'}: coverage {known}/{total} = {known / total:.3f}, "
          f"{report.checked_dims} dims and {report.checked_values} contents checked")
    if stripped:
        assert known / total >= COVERAGE_FLOOR[path.stem]
