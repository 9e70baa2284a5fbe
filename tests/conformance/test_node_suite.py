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


def _params():  # type: ignore[no-untyped-def]
    for entry in CI_ENTRIES:
        for case in CASES:
            yield pytest.param(case, entry, id=f"{entry_id(entry)}-{case.name}")


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
