"""Conformance: ONNX's own node test suite survives every pipeline × target.

Every case goes through import → IR → pipeline → export (``node_cases.fault``). A transform or export
error is a fault whether or not onnxruntime runs the case. Where onnxruntime runs the case correctly as
given, the result must keep its input and output names, still pass the onnx checker if the original did,
and still pass: with ``none`` bit-identical (class 0), otherwise within the case's own tolerance. Cases
the importer rejects and onnxruntime cannot run are skipped with a reason (pytest counts them).

This default run covers every pipeline, every ``--target`` and ``--target-opset=23`` at least once
(``node_cases.CI_ENTRIES``); ``benchmarks/node_suite.py`` runs the full product (``node_cases.ENTRIES``).
"""

from __future__ import annotations

import pytest
from node_cases import CASES, CI_ENTRIES, ENTRIES, entry_id, fault

BF16_FOLDING = {"test_attention_3d_causal_bf16_expanded", "test_attention_4d_attn_mask_causal_bf16_expanded",
                "test_attention_4d_causal_bf16_expanded", "test_attention_4d_causal_padded_kv_bf16_expanded",
                "test_attention_4d_padded_kv_bf16_expanded"}


def known_fault(case, entry: tuple) -> str | None:  # type: ignore[no-untyped-def, type-arg]
    """Faults found by the full product (benchmarks/node_suite.py) in code other changes own: strict xfails."""
    pipeline, target, opset = entry
    if case.name in BF16_FOLDING and pipeline != "none":
        return "transforms (bfloat16 folding): onnx-fold-constants fails with \"cannot include dtype 'E' in a buffer\""
    if opset and not any(o.domain in ("", "ai.onnx") for o in case.model.opset_import):
        return "onnxio (opset conversion): a model with no default-domain opset fails to convert ('from opset 0')"
    if opset and case.name == "test_scan_sum":
        return "onnxio (opset conversion): Scan-8 converted to opset 23 no longer runs in onnxruntime"
    if target == "ort" and pipeline in ("transformer", "hybrid") and case.name.startswith("test_rms_normalization") \
            and case.name.endswith("_expanded"):
        return "transforms (RMSNorm fusion lowered for --target=ort): the onnx checker rejects the result"
    return None


def _params():  # type: ignore[no-untyped-def]
    for entry in CI_ENTRIES:
        for case in CASES:
            reason = known_fault(case, entry)
            marks = [pytest.mark.xfail(strict=True, raises=AssertionError, reason=reason)] if reason else []
            yield pytest.param(case, entry, id=f"{entry_id(entry)}-{case.name}", marks=marks)


@pytest.mark.parametrize(("case", "entry"), list(_params()))
def test_node_case_survives_pipeline(case, entry: tuple) -> None:  # type: ignore[no-untyped-def, type-arg]
    found, skip = fault(case, entry)
    if skip:
        pytest.skip(skip)
    assert found is None, found


def test_node_suite_is_the_full_suite() -> None:
    """Guards against the conformance test silently shrinking (e.g. an onnx upgrade dropping models)."""
    assert len(CASES) == 1884


def test_ci_entries_cover_the_matrix() -> None:
    """Every pipeline and target of the full product, and the opset conversion, appear in the default run."""
    assert set(CI_ENTRIES) <= set(ENTRIES) | {("none", None, None), ("cleanup", None, None), ("auto", None, None)}
    assert {p for p, _, _ in CI_ENTRIES} == {p for p, _, _ in ENTRIES}
    assert {t for _, t, _ in ENTRIES if t} <= {t for _, t, _ in CI_ENTRIES}
    assert any(o for _, _, o in CI_ENTRIES)
