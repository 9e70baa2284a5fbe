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


def runnable_cases():  # type: ignore[no-untyped-def]
    """(case, runs) for every case onnxruntime runs correctly as given: what a whole-suite test checks."""
    for case in CASES:
        runs = original_runs(case)
        if runs is not None:
            yield case, runs


def checker_passes(model: onnx.ModelProto) -> bool:
    try:
        onnx.checker.check_model(model, full_check=True)
    except Exception:
        return False
    return True


# --- one case under one pipeline × target × opset: the node-suite fault rules ----------------------------

ENTRIES = [(p, t, o) for p, targets in [("none", [None]), ("cleanup", [None]), ("transformer", ["standard", "ort", "portable"]),
                                        ("vision", ["standard", "ort", "portable"]), ("hybrid", ["standard", "ort", "portable"]),
                                        ("portable", [None]), ("auto", ["standard", "ort", "portable"])]
           for t in targets for o in (None, 23)]
"""The full product (benchmarks/node_suite.py), as tools/fuzzer/oracle.matrix lists it: pipelines whose
passes take no target run once; ``--target-opset=23`` doubles every entry."""

CI_ENTRIES = [("none", None, None), ("cleanup", None, None), ("auto", None, None), ("transformer", "ort", None),
              ("hybrid", "standard", 23), ("vision", "portable", None), ("portable", None, 23)]
"""A cover for the default test run: every pipeline, every target and the opset conversion at least once."""


def entry_id(entry: tuple) -> str:  # type: ignore[type-arg]
    pipeline, target, opset = entry
    return f"{pipeline}/{target or 'default'}" + (f"/opset{opset}" if opset else "")


def fault(case, entry: tuple) -> tuple[str | None, str | None]:  # type: ignore[no-untyped-def, type-arg]
    """(fault, skip reason) of one node case under one matrix entry; at most one is not None.

    A ``--target-opset`` below the case's own opset is a request forgec refuses by design: skipped; so is
    one whose conversion would change the model's interface (onnx's Scan-8 adapter drops the batch axis).
    A transform (pass) error or an export error is a fault whether or not onnxruntime runs the case: the
    importer is the place to reject a model, and anything it accepted the passes must carry through.
    The importer rejecting a case is a fault only where onnxruntime runs it. Where onnxruntime runs the
    case correctly, the names, the checker and the outputs are checked as before: bit-identical (class 0)
    for ``none`` without conversion, else within the case's own tolerance.
    """
    from onnxforge.compiler import load_model, optimize, to_ir
    from onnxforge.onnxio.exporter import to_model_proto

    pipeline, target, opset = entry
    runs = original_runs(case)
    model_opset = max((o.version for o in case.model.opset_import if o.domain in ("", "ai.onnx")), default=0)
    if opset and model_opset > opset:
        return None, f"--target-opset={opset} is below the case's opset {model_opset} (forgec refuses it in one line)"
    try:
        module = to_ir(load_model(case.model))
    except Exception as err:
        if runs is None:
            return None, f"the importer rejects it and onnxruntime cannot run it: {_line(err)}"
        return f"import: {type(err).__name__}: {_line(err)}", None
    try:
        optimize(module, pipeline, target=target or "standard", target_opset=opset)
    except Exception as err:
        if opset and "changes the model's interface" in str(err):  # a refusal of the request, like a lower opset
            return None, f"--target-opset={opset}: forgec refuses, onnx's converter changes the interface: {_line(err)}"
        return f"transform: {type(err).__name__}: {_line(err)}", None
    try:
        result = to_model_proto(module)
    except Exception as err:
        return f"export: {type(err).__name__}: {_line(err)}", None
    if runs is None:
        return None, "onnxruntime does not run this case correctly as given (transforms and export checked)"
    if [i.name for i in result.graph.input] != [i.name for i in case.model.graph.input]:
        return "input names changed", None
    if [o.name for o in result.graph.output] != [o.name for o in case.model.graph.output]:
        return "output names changed", None
    if checker_passes(case.model) and not checker_passes(result):
        return "the checker rejects the result", None
    for feeds, original, expected in runs:
        try:
            actual = run(result, feeds)
        except Exception as err:
            return f"onnxruntime cannot run the result: {_line(err)}", None
        if pipeline == "none" and not opset:
            if not all(identical(w, g) for w, g in zip(original, actual, strict=True)):
                return "not bit-identical after the round trip", None
        elif not matches(expected, actual, case.rtol, case.atol):
            return "outputs differ beyond the case's tolerance", None
    return None, None


def _line(err: Exception) -> str:
    text = str(err).strip()
    return (text.splitlines()[0] if text else "")[:300]
