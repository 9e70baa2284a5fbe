"""The class-0 passes on real models and on the ONNX node test suite.

Each pass runs alone on every committed fixture and must keep onnxruntime's
outputs bit-identical; the node reduction it achieves is asserted exactly as
measured (2026-11-21), so a pass that silently stops firing — or starts
firing somewhere new — shows up. Then each pass runs over every node-suite
case that onnxruntime runs correctly as given, again bit-identical.

The fixtures' TorchScript exports carry no intermediate types (``!onnx.any``),
so the type-driven patterns (same-type Cast, Cast pairs, Reshape chains with
constant shapes) have nothing to prove on them alone; their textual tests are
in ``tests/filecheck/``.
"""

from __future__ import annotations

from pathlib import Path

import onnx
import pytest
from node_cases import identical, run, runnable_cases
from paths import FIXTURES

import onnxforge
from onnxforge.runtime import verify

FIXTURE_MODELS = sorted(FIXTURES.glob("*.onnx"))
PASSES = [
    "onnx-infer-shapes",
    "onnx-simplify-shape-chains",
    "onnx-eliminate-dead",
    "onnx-canonicalize",
    "onnx-merge-constants",
    "onnx-cse",
]

REDUCTION: dict[str, dict[str, int]] = {
    # Alone, it adds the minimal Shape forms; the chains they replace die with onnx-eliminate-dead.
    "onnx-simplify-shape-chains": {"bert_ts": -1, "gpt2_ts": -16, "vit_ts": -3},
    # Identities, exact neutral elements (x * 1 in llama_dynamo; the mask builders' new_ones & mask in the
    # dynamo exports), transpose and reshape pairs, a global mean over a 1×1 map (mobilenet_v2_dynamo).
    "onnx-canonicalize": {
        "bert_dynamo": 1, "bert_ts": 22, "gpt2_dynamo": 1, "gpt2_ts": 16, "llama_dynamo": 6, "llama_ts": 6,
        "mobilenet_v2_dynamo": 1, "mobilenet_v2_ts": 240, "resnet_ts": 24,
        "vit_ts": 21, "whisper_encoder_ts": 19,
    },
    "onnx-merge-constants": {
        "bert_ts": 81, "gpt2_ts": 176, "llama_ts": 181, "mobilenet_v2_ts": 582, "vit_ts": 52, "whisper_encoder_ts": 51,
    },
    "onnx-cse": {
        "bert_ts": 136, "gpt2_ts": 246, "llama_ts": 268, "mobilenet_v2_ts": 1340, "resnet_ts": 16, "vit_ts": 102,
        "whisper_encoder_ts": 94,
    },
}
"""Nodes removed per fixture (exported node count before − after); fixtures not listed: 0."""


@pytest.mark.parametrize("fixture", FIXTURE_MODELS, ids=[f.stem for f in FIXTURE_MODELS])
@pytest.mark.parametrize("pass_name", PASSES)
def test_pass_on_fixture_is_lossless(pass_name: str, fixture: Path) -> None:
    before = len(onnx.load(fixture, load_external_data=False).graph.node)
    result = onnxforge.compile(fixture, passes=pass_name)
    report = verify(fixture, result)
    assert report.identical, report.summary()
    assert before - len(result.graph.node) == REDUCTION.get(pass_name, {}).get(fixture.stem, 0)


# --- the ONNX node test suite ------------------------------------------------------------------

@pytest.mark.parametrize("pass_name", PASSES)
def test_pass_on_node_suite_is_lossless(pass_name: str) -> None:
    """Every case onnxruntime runs correctly as given compiles and stays bit-identical (failures listed)."""
    failures, checked = [], 0
    for case, runs in runnable_cases():
        checked += 1
        try:
            result = onnxforge.compile(case.model, passes=pass_name)
            for feeds, outputs, _ in runs:
                if not all(identical(w, g) for w, g in zip(outputs, run(result, feeds), strict=True)):
                    failures.append(f"{case.name}: outputs not bit-identical")
                    break
        except Exception as err:
            failures.append(f"{case.name}: {type(err).__name__}: {str(err)[:200]}")
    assert checked >= 1323, checked  # onnxruntime 1.31 runs 1323 cases as given, 1.32 runs 1497: a drop means
    # cases were lost (a loader or oracle change), not that onnxruntime can run fewer
    assert not failures, "\n".join(failures)
