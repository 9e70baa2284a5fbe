"""The fuzzer's child process: ``python tools/fuzzer/worker.py JOB.json``.

A job is either ``check`` (run one model through a list of matrix entries) or ``shrink`` (reduce a model
while one entry still shows the same finding). Importing onnxforge once per job instead of once per run
saves about two seconds a run; the parent (``harness``) still sees crashes and hangs, because this whole
process is what it watches. Each run writes a ``start`` line and then a result line to the job's results
file, so after a crash the parent knows which run was in flight.
"""

from __future__ import annotations

import json
import shutil
import sys
from dataclasses import asdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from fuzzer.execute import Comparison, forgec


def _main(job: dict):  # type: ignore[no-untyped-def, type-arg]
    """forgec's ``main``, or the stand-in the job names as ``FILE.py:FUNCTION`` (for the fuzzer's own tests)."""
    if not job.get("main"):
        return None
    import importlib.util

    file, _, name = job["main"].rpartition(":")
    spec = importlib.util.spec_from_file_location("fuzz_stand_in", file)
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return getattr(module, name)


def run_entry(model: Path, seed: int, args: list[str], accuracy: int, scratch: Path, comparison: Comparison | None,
              main=None):  # type: ignore[no-untyped-def]
    """One forgec run of ``model`` with ``args`` in a fresh output directory; compared when it exits 0."""
    out_dir = scratch / "out"
    shutil.rmtree(out_dir, ignore_errors=True)
    out_dir.mkdir(parents=True)
    output = out_dir / "out.onnx"
    argv = [str(model), "-o", str(output), f"--seed={seed}", f"--reproducer={scratch / 'reproducer.mlir'}", *args]
    result = forgec(argv, model, out_dir, main)
    if result.rc == 0 and output.exists() and comparison is not None:
        result.problems = comparison.check(output, accuracy)
    shutil.rmtree(out_dir, ignore_errors=True)
    return result


LOOSE = ("verify-failed", "output-diff")
"""Classes whose message lists every output: dropping an output changes the signature, so shrinking keeps
only the class (at the risk of trading one miscompile for another, which the repro's review catches)."""


def check_here(model: Path, seed: int, entries, valid: bool) -> list:  # type: ignore[no-untyped-def, type-arg]
    """The oracle's findings for ``entries``, run in this process: for saved repros of findings that do not
    crash or hang (the committed ones under tests/fixtures/fuzz), where a worker's start-up is not worth it."""
    import tempfile

    from fuzzer.oracle import classify

    comparison = Comparison(model, seed)
    original_runs = any(label == "typical" for label, _, _ in comparison.cases)
    found = []
    with tempfile.TemporaryDirectory() as scratch:
        for entry in entries:
            result = run_entry(model, seed, entry.argv(), entry.accuracy, Path(scratch), comparison)
            found += classify(result, entry.key, valid, original_runs)
    return found


def check(job: dict, log) -> None:  # type: ignore[no-untyped-def, type-arg]
    model, scratch = Path(job["model"]), Path(job["scratch"])
    comparison = Comparison(model, job["seed"])
    original_runs = any(label == "typical" for label, _, _ in comparison.cases)
    main = _main(job)
    for run in job["runs"]:
        log.write(json.dumps({"start": run["key"]}) + "\n")
        log.flush()
        result = run_entry(model, job["seed"], run["args"], run["accuracy"], scratch, comparison, main)
        log.write(json.dumps({"key": run["key"], "result": asdict(result), "original_runs": original_runs}) + "\n")
        log.flush()


def shrink(job: dict, log) -> None:  # type: ignore[no-untyped-def, type-arg]
    import onnx

    from fuzzer.execute import RunResult
    from fuzzer.oracle import classify
    from fuzzer.shrink import reduce

    scratch = Path(job["scratch"])
    candidate = scratch / "candidate.onnx"
    run = job["run"]
    main = _main(job)

    def still_fails(model: onnx.ModelProto) -> bool:
        onnx.save(model, str(candidate))
        comparison = Comparison(candidate, job["seed"])
        original_runs = any(label == "typical" for label, _, _ in comparison.cases)
        result: RunResult = run_entry(candidate, job["seed"], run["args"], run["accuracy"], scratch, comparison, main)
        found = classify(result, run["key"], job["valid"], original_runs)
        if job["signature"].split(":")[0] in LOOSE:
            return any(f.kind == job["signature"].split(":")[0] for f in found)
        return any(f.signature == job["signature"] for f in found)

    smallest = reduce(onnx.load(job["model"]), still_fails, job.get("budget_s", 120.0))
    onnx.save(smallest, job["out"])
    log.write(json.dumps({"shrunk": job["out"], "nodes": len(smallest.graph.node)}) + "\n")


def main() -> None:
    job = json.loads(Path(sys.argv[1]).read_text())
    with open(job["results"], "a") as log:
        {"check": check, "shrink": shrink}[job["mode"]](job, log)


if __name__ == "__main__":
    main()
