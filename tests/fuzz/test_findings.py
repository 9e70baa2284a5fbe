"""The fuzzer's findings, each as its shrunk repro (tests/fixtures/fuzz/) under the matrix entry that showed it.

A repro passes when the oracle finds nothing on it. Findings in code another change owns are marked
``xfail(strict=True)`` with the area and the fault: the mark comes off with the fix (a strict xfail that
passes fails the run). Every file in tests/fixtures/fuzz/ is listed here, and each stays small.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from fuzzer.oracle import matrix
from fuzzer.worker import check_here
from paths import FIXTURES

REPROS = FIXTURES / "fuzz"


@dataclass(frozen=True)
class Repro:
    file: str
    entry: str
    kinds: frozenset[str]
    """The finding classes the repro shows while unfixed; any other finding is a new bug and fails outright."""
    owner: str | None
    """Where the fault is, when it is not fixed yet (the reason of the strict xfail)."""
    seed: int = 0
    """The case's seed: forgec's --verify and the oracle draw their inputs and dims from it."""


FINDINGS = [  # every finding so far is fixed; the comment says where (issue 13)
    Repro("fold-cast-to-bfloat16.onnx", "cleanup/default", frozenset({"pass-failed"}), None),  # ir/tensor bfloat16 views
    Repro("fold-mod-fmod1-constants.onnx", "cleanup/default", frozenset({"verify-failed"}), None, seed=55),  # C fmod
    Repro("attention-at-batch-0.onnx", "transformer/standard/opset23", frozenset({"output-unrunnable"}), None,
          seed=54),  # standard Attention only where batch and query length are proven >= 1
    Repro("fast-gelu-on-scalar.onnx", "transformer/ort", frozenset({"output-unrunnable", "multi-line-error"}), None,
          seed=99),  # FastGelu declined for inputs not known to have rank >= 1
    Repro("cannot-verify-after-wrote.onnx", "none/default", frozenset({"multi-line-error"}), None),  # verify before commit
    Repro("onnxruntime-log-on-stderr.onnx", "none/default", frozenset({"multi-line-error"}), None,
          seed=1),  # onnxruntime sessions log fatal errors only
    Repro("verify-equal-infinities.onnx", "transformer/standard", frozenset({"verify-failed"}), None,
          seed=65),  # runtime.compare: equal values, infinities included, differ by 0
    Repro("verify-scalar-output.onnx", "vision/standard", frozenset({"exit-70", "output-left"}), None,
          seed=9),  # runtime.compare on 0-d outputs; verification before the output is committed
]


def _params():  # type: ignore[no-untyped-def]
    for repro in FINDINGS:
        marks = [pytest.mark.xfail(strict=True, raises=AssertionError, reason=repro.owner)] if repro.owner else []
        yield pytest.param(repro, id=repro.file.removesuffix(".onnx"), marks=marks)


@pytest.mark.parametrize("repro", list(_params()))
def test_repro_is_clean(repro: Repro) -> None:
    entry = next(e for e in matrix() if e.key == repro.entry)
    findings = check_here(REPROS / repro.file, repro.seed, [entry], valid=False)
    report = "\n".join(f"{f.kind}: {f.message}" for f in findings)
    if any(f.kind not in repro.kinds for f in findings):
        raise RuntimeError(f"not the recorded findings ({sorted(repro.kinds)}):\n{report}")  # not what the xfail expects
    assert not findings, report


def test_every_repro_is_listed_and_small() -> None:
    assert {p.name for p in REPROS.glob("*.onnx")} == {r.file for r in FINDINGS}
    assert all((REPROS / r.file).stat().st_size < 16_000 for r in FINDINGS)
