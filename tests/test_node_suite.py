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

import warnings

import numpy as np
import onnx
import onnxruntime as ort
import pytest

import onnxforge

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from onnx.backend.test.case.node import collect_testcases

    CASES = [case for case in collect_testcases(None) if case.model is not None]

_OPTIONS = ort.SessionOptions()
_OPTIONS.log_severity_level = 4
_OPTIONS.intra_op_num_threads = 1


def _run(model: onnx.ModelProto, feeds: dict) -> list:  # type: ignore[type-arg]
    session = ort.InferenceSession(model.SerializeToString(), _OPTIONS, providers=["CPUExecutionProvider"])
    return session.run(None, feeds)


def _matches(expected: list, actual: list, rtol: float, atol: float) -> bool:  # type: ignore[type-arg]
    if len(expected) != len(actual):
        return False
    for want, got in zip(expected, actual):
        want, got = np.asarray(want), np.asarray(got)
        if want.dtype == object or got.dtype == object:
            if not np.array_equal(want, got):
                return False
        elif want.shape != got.shape or not np.allclose(got, want, rtol=rtol, atol=atol, equal_nan=True):
            return False
    return True


_RUNS: dict[str, list | None] = {}  # type: ignore[type-arg]


def _original_runs(case) -> list | None:  # type: ignore[no-untyped-def, type-arg]
    """(feeds, outputs, expected) per data set if onnxruntime runs the case correctly as given, else None."""
    if case.name not in _RUNS:
        _RUNS[case.name] = _run_original(case)
    return _RUNS[case.name]


def _run_original(case) -> list | None:  # type: ignore[no-untyped-def, type-arg]
    initializers = {t.name for t in case.model.graph.initializer}
    names = [i.name for i in case.model.graph.input if i.name not in initializers]
    runs = []
    try:
        for inputs, expected in case.data_sets:
            feeds = dict(zip(names, inputs))
            outputs = _run(case.model, feeds)
            if not _matches(expected, outputs, case.rtol, case.atol):
                return None
            runs.append((feeds, outputs, expected))
    except Exception:
        return None
    return runs


def _checker_passes(model: onnx.ModelProto) -> bool:
    try:
        onnx.checker.check_model(model, full_check=True)
    except Exception:
        return False
    return True


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
@pytest.mark.parametrize("pipeline", ["none", "cleanup"])
def test_node_case_survives_pipeline(case, pipeline: str) -> None:  # type: ignore[no-untyped-def]
    runs = _original_runs(case)
    if runs is None:
        pytest.skip("onnxruntime does not run this case correctly as given")
    result = onnxforge.compile(case.model, pipeline=pipeline)
    assert [i.name for i in result.graph.input] == [i.name for i in case.model.graph.input]
    assert [o.name for o in result.graph.output] == [o.name for o in case.model.graph.output]
    if _checker_passes(case.model):
        onnx.checker.check_model(result, full_check=True)
    for feeds, original, expected in runs:
        actual = _run(result, feeds)
        if pipeline != "none":
            assert _matches(expected, actual, case.rtol, case.atol), "outputs differ beyond the case's tolerance"
            continue
        for want, got in zip(original, actual):
            want, got = np.asarray(want), np.asarray(got)
            assert want.shape == got.shape and want.dtype == got.dtype
            if want.dtype == object:
                assert np.array_equal(want, got)
            else:
                assert want.tobytes() == got.tobytes(), "outputs are not bit-identical after the round trip"


def test_node_suite_is_the_full_suite() -> None:
    """Guards against the conformance test silently shrinking (e.g. an onnx upgrade dropping models)."""
    assert len(CASES) == 1884
