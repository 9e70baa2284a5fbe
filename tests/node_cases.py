"""The ONNX node test suite as test data: cases, onnxruntime runs, output comparisons.

Shared by the conformance tests (round trip, each pass, folding); not a test module.
"""

from __future__ import annotations

import warnings

import numpy as np
import onnx
import onnxruntime as ort

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from onnx.backend.test.case.node import collect_testcases

    CASES = [case for case in collect_testcases(None) if case.model is not None]

_OPTIONS = ort.SessionOptions()
_OPTIONS.log_severity_level = 4
_OPTIONS.intra_op_num_threads = 1
_RUNS: dict[str, list | None] = {}  # type: ignore[type-arg]


def run(model: onnx.ModelProto, feeds: dict) -> list:  # type: ignore[type-arg]
    session = ort.InferenceSession(model.SerializeToString(), _OPTIONS, providers=["CPUExecutionProvider"])
    return session.run(None, feeds)


def matches(expected: list, actual: list, rtol: float, atol: float) -> bool:  # type: ignore[type-arg]
    """The suite's own criterion: same shapes and dtypes, values within the case's tolerance."""
    if len(expected) != len(actual):
        return False
    for want, got in zip(expected, actual):
        want, got = np.asarray(want), np.asarray(got)
        if want.dtype == object or got.dtype == object:
            if not np.array_equal(want, got):
                return False
        elif want.shape != got.shape or want.dtype != got.dtype:
            return False
        elif not np.allclose(got, want, rtol=rtol, atol=atol, equal_nan=True):
            return False
    return True


def identical(want: object, got: object) -> bool:
    """Bit-identical (class 0)."""
    want, got = np.asarray(want), np.asarray(got)
    if want.shape != got.shape or want.dtype != got.dtype:
        return False
    return bool(np.array_equal(want, got)) if want.dtype == object else want.tobytes() == got.tobytes()


def runs_as_given(case, model: onnx.ModelProto, data_sets) -> list | None:  # type: ignore[no-untyped-def, type-arg]
    """(feeds, outputs, expected) per data set when onnxruntime runs ``model`` correctly, else None."""
    initializers = {t.name for t in model.graph.initializer}
    names = [i.name for i in model.graph.input if i.name not in initializers]
    runs = []
    try:
        for inputs, expected in data_sets:
            feeds = dict(zip(names, inputs))
            outputs = run(model, feeds)
            if not matches(expected, outputs, case.rtol, case.atol):
                return None
            runs.append((feeds, outputs, expected))
    except Exception:  # any failure means onnxruntime cannot run the case as given
        return None
    return runs


def original_runs(case) -> list | None:  # type: ignore[no-untyped-def, type-arg]
    """``runs_as_given`` for the case's own model and data (cached across tests)."""
    if case.name not in _RUNS:
        _RUNS[case.name] = runs_as_given(case, case.model, case.data_sets)
    return _RUNS[case.name]


def checker_passes(model: onnx.ModelProto) -> bool:
    try:
        onnx.checker.check_model(model, full_check=True)
    except Exception:
        return False
    return True
