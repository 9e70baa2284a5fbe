"""Conformance: ONNX's own node test suite survives every pipeline.

Every case that onnxruntime runs correctly as given must, after
import → IR → pipeline → export, keep its input and output names, still pass
the onnx checker if the original did, and still pass: with ``none`` the
outputs are bit-identical (class 0); with ``cleanup`` (class 1: constant
folding of float math) they must match the case's expected outputs within the
case's own tolerance. Cases onnxruntime cannot run as given are skipped with a
reason (pytest counts them).
"""

from __future__ import annotations

import onnx
import pytest
from node_cases import CASES, checker_passes, identical, matches, original_runs, run

import onnxforge


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
@pytest.mark.parametrize("pipeline", ["none", "cleanup", "auto"])
def test_node_case_survives_pipeline(case, pipeline: str) -> None:  # type: ignore[no-untyped-def]
    runs = original_runs(case)
    if runs is None:
        pytest.skip("onnxruntime does not run this case correctly as given")
    result = onnxforge.compile(case.model, pipeline=pipeline)
    assert [i.name for i in result.graph.input] == [i.name for i in case.model.graph.input]
    assert [o.name for o in result.graph.output] == [o.name for o in case.model.graph.output]
    if checker_passes(case.model):
        onnx.checker.check_model(result, full_check=True)
    for feeds, original, expected in runs:
        actual = run(result, feeds)
        if pipeline != "none":
            assert matches(expected, actual, case.rtol, case.atol), "outputs differ beyond the case's tolerance"
            continue
        assert all(identical(w, g) for w, g in zip(original, actual, strict=True)), "not bit-identical after the round trip"


def test_node_suite_is_the_full_suite() -> None:
    """Guards against the conformance test silently shrinking (e.g. an onnx upgrade dropping models)."""
    assert len(CASES) == 1884
