"""The run's analysis cache: shape facts are computed once per IR state, and keeping them changes nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

import onnxforge.passmanager.analyses as analyses
from onnxforge.compiler import load_model, optimize, to_ir
from onnxforge.ir.text import print_ir
from onnxforge.passmanager.manager import RunOptions

FIXTURES = Path(__file__).parents[1] / "fixtures"
MODELS = ["bert_dynamo", "gpt2_ts", "llama_dynamo", "mobilenet_v2_ts", "whisper_encoder_dynamo"]


def _compiled(name: str, pipeline: str, cached: bool) -> str:
    module = to_ir(load_model(FIXTURES / f"{name}.onnx"))
    optimize(module, pipeline, options=RunOptions(verify_ir_each=not cached))
    return print_ir(module)


@pytest.mark.parametrize("pipeline", ["cleanup", "transformer", "vision"])
@pytest.mark.parametrize("name", MODELS)
def test_kept_analyses_change_no_output(name: str, pipeline: str) -> None:
    """The same IR with the cache as with shape facts recomputed for every pass (``--verify-ir-each``)."""
    assert _compiled(name, pipeline, cached=True) == _compiled(name, pipeline, cached=False)


def _count_inferences(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    calls = [0]
    real = analyses.infer

    def counting(module):  # type: ignore[no-untyped-def]
        calls[0] += 1
        return real(module)

    monkeypatch.setattr(analyses, "infer", counting)
    return calls


def test_facts_are_inferred_once_per_ir_state(monkeypatch: pytest.MonkeyPatch) -> None:
    """``onnx-infer-shapes`` then ``onnx-simplify-shape-chains`` on an IR they leave unchanged: one inference,
    and the recomputing mode (the reference) pays one per reader (the RMSNorm fusion finds no candidate in
    BERT and never asks)."""
    module = to_ir(load_model(FIXTURES / "bert_dynamo.onnx"))
    optimize(module, "cleanup")  # a fixed point: the passes below change nothing more
    calls = _count_inferences(monkeypatch)
    optimize(module, passes="onnx-infer-shapes,onnx-simplify-shape-chains,nn-fuse-rms-norm")
    assert calls[0] == 1
    optimize(module, passes="onnx-infer-shapes,onnx-simplify-shape-chains,nn-fuse-rms-norm",
             options=RunOptions(verify_ir_each=True))
    assert calls[0] == 1 + 2


def test_a_change_drops_the_facts(monkeypatch: pytest.MonkeyPatch) -> None:
    """A pass that changed the IR (here: the fusions) makes the next reader infer again."""
    module = to_ir(load_model(FIXTURES / "bert_dynamo.onnx"))
    optimize(module, "cleanup")
    calls = _count_inferences(monkeypatch)
    report = optimize(module, passes="onnx-infer-shapes,nn-fuse-layer-norm,onnx-simplify-shape-chains")
    assert report.records["nn-fuse-layer-norm"].changed
    assert calls[0] == 2
