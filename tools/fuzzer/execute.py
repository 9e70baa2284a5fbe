"""One forgec run, in this process, observed the way a user observes it; then its output against the input.

``forgec(argv)`` calls ``onnxforge.cli.forgec.main`` with file descriptors 1 and 2 redirected to files,
so what onnxruntime or a C extension writes is captured along with Python's own prints, and an exception
that escapes ``main`` is caught and kept with its traceback. The worker process (``worker``) calls this
once per pipeline × target; the parent watches the worker for crashes and hangs.

``Comparison`` runs the original and forgec's output with onnxruntime at several dim bindings: the
typical random ones ``onnxforge.runtime.make_inputs`` draws, every symbolic dim 0, and every symbolic dim
1, wherever the original itself runs. Values compare within the accuracy class of the pipeline (class 0:
bit-identical); equal infinities and NaN in the same places count as equal.
"""

from __future__ import annotations

import hashlib
import os
import sys
import tempfile
import traceback
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import onnx


@dataclass
class RunResult:
    rc: int
    stdout: str
    stderr: str
    escaped: str | None = None
    """The traceback of an exception that escaped ``main`` (never expected: main turns every error into an exit code)."""
    left: list[str] = field(default_factory=list)
    """Files in the output directory after the run."""
    input_changed: bool = False
    problems: list[str] = field(default_factory=list)
    """What the onnxruntime comparison found (only for runs that exited 0)."""


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def forgec(argv: list[str], model: Path, out_dir: Path, main=None) -> RunResult:  # type: ignore[no-untyped-def]
    """Run ``forgec argv`` in this process; ``out_dir`` must be empty before and hold only the output after.

    ``main`` replaces ``onnxforge.cli.forgec.main`` (the fuzzer's own tests pass deliberately broken ones).
    """
    if main is None:
        from onnxforge.cli.forgec import main

    before = digest(model)
    escaped = None
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        sys.stdout.flush()
        sys.stderr.flush()
        saved = os.dup(1), os.dup(2)
        os.dup2(out.fileno(), 1)
        os.dup2(err.fileno(), 2)
        streams = sys.stdout, sys.stderr  # under pytest these are not fd 1 and 2: point Python's at them too
        sys.stdout, sys.stderr = open(1, "w", 1, closefd=False), open(2, "w", 1, closefd=False)  # line-buffered: in order
        try:
            rc = main(argv)
        except SystemExit as exit_:
            rc = exit_.code if isinstance(exit_.code, int) else 1
        except BaseException:
            escaped = traceback.format_exc()
            rc = -1
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            sys.stdout, sys.stderr = streams
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            os.close(saved[0])
            os.close(saved[1])
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(errors="replace"), err.read().decode(errors="replace")
    left = sorted(p.name for p in out_dir.iterdir()) if out_dir.is_dir() else []
    return RunResult(int(rc), stdout, stderr, escaped, left, digest(model) != before)


def _dim_params(model: onnx.ModelProto) -> set[str]:
    return {d.dim_param for i in model.graph.input for d in i.type.tensor_type.shape.dim if d.HasField("dim_param")}


class Comparison:
    """The original's outputs at each dim binding, computed once for all the pipeline × target runs."""

    def __init__(self, model: Path, seed: int) -> None:
        from onnxforge.runtime import make_inputs, run

        proto = onnx.load(str(model))
        names = _dim_params(proto)
        bindings = {"typical": None}
        if names:
            bindings |= {"dims=0": dict.fromkeys(names, 0), "dims=1": dict.fromkeys(names, 1)}
        self.cases: list[tuple[str, dict, dict]] = []  # type: ignore[type-arg]
        for label, dims in bindings.items():
            try:
                feeds, bound = make_inputs(proto, seed, dims)
                self.cases.append((label, feeds, run(proto, feeds, threads=1)))
            except Exception:  # the original does not run at these dims: nothing to compare against
                continue

    def check(self, output: Path, accuracy: int) -> list[str]:
        from onnxforge.runtime import run

        problems = []
        for label, feeds, expected in self.cases:
            try:
                actual = run(output, feeds, threads=1)
            except Exception as err:
                problems.append(f"[{label}] forgec's output does not run where the original does: {_line(err)}")
                continue
            problems += [f"[{label}] {p}" for p in differences(expected, actual, accuracy)]
        return problems


def _line(err: Exception) -> str:
    text = str(err).strip()
    return text.splitlines()[0] if text else type(err).__name__


def differences(expected: dict, actual: dict, accuracy: int) -> list[str]:  # type: ignore[type-arg]
    """Outputs missing, of another shape or dtype, or differing beyond the accuracy class's tolerance.

    Deliberately not ``onnxforge.runtime.compare``: the oracle checks forgec's own verifier too (it found
    ``--verify`` counting equal infinities as a difference), so it must not share that code."""
    from onnxforge.passmanager.base import Accuracy

    tolerance, rtol = Accuracy(accuracy).tolerance, Accuracy(accuracy).rtol
    found = []
    for name, want in expected.items():
        if name not in actual:
            found.append(f"output {name!r} missing")
            continue
        want, got = np.asarray(want), np.asarray(actual[name])
        if want.shape != got.shape or want.dtype != got.dtype:
            found.append(f"output {name!r}: {got.dtype}{list(got.shape)} instead of {want.dtype}{list(want.shape)}")
            continue
        if accuracy == 0 or not np.issubdtype(want.dtype, np.number):
            if want.tobytes() != got.tobytes() and not _same_values(want, got):
                found.append(f"output {name!r}: not bit-identical (class {accuracy})")
            continue
        a, b = want.astype(np.float64), got.astype(np.float64)
        equal = (a == b) | (np.isnan(a) & np.isnan(b))
        with np.errstate(invalid="ignore"):  # inf - inf: a difference, made inf just below
            diff = np.where(equal, 0.0, np.abs(a - b))
        diff[np.isnan(diff)] = np.inf
        finite = np.abs(a[np.isfinite(a)])
        bound = tolerance + rtol * (float(finite.max()) if finite.size else 0.0)
        worst = float(diff.max()) if diff.size else 0.0
        if worst > bound:
            where = np.unravel_index(int(np.argmax(diff)), diff.shape)
            found.append(f"output {name!r}: max |Δ| {worst:.3g} > {bound:.3g} (class {accuracy}) "
                         f"at {list(map(int, where))}: {a[where]!r} vs {b[where]!r}")
    return found


def _same_values(a: np.ndarray, b: np.ndarray) -> bool:
    """Bit-identical up to NaN payloads (a folder may make another NaN; both are NaN)."""
    if not np.issubdtype(a.dtype, np.floating):
        return bool(np.array_equal(a, b))
    return bool(np.array_equal(a, b, equal_nan=True)) and bool(np.array_equal(np.signbit(a), np.signbit(b)))
