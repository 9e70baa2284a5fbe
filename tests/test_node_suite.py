"""Conformance: ONNX's own node test suite survives the round trip (pipeline ``none``).

Every case that onnxruntime runs correctly as given must, after
import → IR → export, keep its input and output names, still pass the onnx
checker if the original did, and give bit-identical onnxruntime outputs
(class 0: lossless). Cases onnxruntime cannot run as given are counted, not
silently dropped: the count is asserted so a change shows up.
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


def _original_runs(case) -> list | None:  # type: ignore[no-untyped-def, type-arg]
    """(feeds, outputs) per data set if onnxruntime runs the case correctly as given, else None."""
    initializers = {t.name for t in case.model.graph.initializer}
    names = [i.name for i in case.model.graph.input if i.name not in initializers]
    runs = []
    try:
        for inputs, expected in case.data_sets:
            feeds = dict(zip(names, inputs))
            outputs = _run(case.model, feeds)
            if not _matches(expected, outputs, case.rtol, case.atol):
                return None
            runs.append((feeds, outputs))
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
def test_node_case_round_trips(case) -> None:  # type: ignore[no-untyped-def]
    runs = _original_runs(case)
    if runs is None:
        pytest.skip("onnxruntime does not run this case correctly as given")
    result = onnxforge.compile(case.model)
    assert [i.name for i in result.graph.input] == [i.name for i in case.model.graph.input]
    assert [o.name for o in result.graph.output] == [o.name for o in case.model.graph.output]
    if _checker_passes(case.model):
        onnx.checker.check_model(result, full_check=True)
    for feeds, expected in runs:
        actual = _run(result, feeds)
        for want, got in zip(expected, actual):
            want, got = np.asarray(want), np.asarray(got)
            assert want.shape == got.shape and want.dtype == got.dtype
            if want.dtype == object:
                assert np.array_equal(want, got)
            else:
                assert want.tobytes() == got.tobytes(), "outputs are not bit-identical after the round trip"


def test_node_suite_is_the_full_suite() -> None:
    """Guards against the conformance test silently shrinking (e.g. an onnx upgrade dropping models)."""
    assert len(CASES) == 1884
