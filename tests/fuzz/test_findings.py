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


FINDINGS = [
    Repro("fold-cast-to-bfloat16.onnx", "cleanup/default", frozenset({"pass-failed"}),
          "transforms (bfloat16 folding): onnx-fold-constants fails on Cast(constant, to=BFLOAT16): "
          "ValueError: cannot include dtype 'E' in a buffer"),
    Repro("fold-mod-fmod1-constants.onnx", "cleanup/default", frozenset({"verify-failed"}),
          "transforms (Mod folding semantics): Mod(fmod=1) of int64 constants with negative dividends folds to "
          "values onnxruntime does not compute (max |Δ| 12)", seed=55),
    Repro("attention-at-batch-0.onnx", "transformer/standard/opset23", frozenset({"output-unrunnable"}),
          "transforms (Attention at batch 0): the fused opset-23 Attention fails in onnxruntime when batch=0, "
          "where the decomposed original runs (forgec's own --verify, at typical dims, passes)", seed=54),
    Repro("fast-gelu-on-scalar.onnx", "transformer/ort", frozenset({"output-unrunnable", "multi-line-error"}),
          "transforms (nn-fuse-gelu lowered for --target=ort): a tanh-form GELU on a 0-d value becomes "
          "com.microsoft FastGelu, which onnxruntime rejects for rank 0", seed=99),
    Repro("cannot-verify-after-wrote.onnx", "none/default", frozenset({"multi-line-error"}),
          "cli (output writing / --verify): when onnxruntime cannot load the original, forgec prints "
          "'forgec: wrote …' and then 'forgec: error: cannot verify (output removed)': two lines, one a false claim"),
    Repro("onnxruntime-log-on-stderr.onnx", "none/default", frozenset({"multi-line-error"}),
          "runtime.session (log_severity_level=3 lets onnxruntime print its ERROR log, in colour, to stderr when the "
          "original fails to run) and cli (the 'forgec: wrote' line before 'cannot verify')", seed=1),
    Repro("verify-equal-infinities.onnx", "transformer/standard", frozenset({"verify-failed"}),
          "runtime.compare: -inf in the same places of both outputs gives inf - inf = NaN, counted as an infinite "
          "difference, so --verify fails a correct class-1 result (LayerNorm fused, then Where(…, -inf, …))", seed=65),
    Repro("verify-scalar-output.onnx", "vision/standard", frozenset({"exit-70", "output-left"}),
          "runtime.compare (TypeError on a 0-d output that is not bit-identical: Conv+BN fusion rounding, then "
          "ReduceMin to a scalar) and cli (that exit 70 from --verify leaves the output file behind)", seed=9),
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
