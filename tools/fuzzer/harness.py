"""The parent side: run a worker process on a model and the matrix, watching for crashes and hangs.

The worker reports each run as it starts and ends (``worker``). A run that outlives ``timeout_s`` is a
hang: the worker is killed and the finding recorded; a worker that dies mid-run is a crash of that run.
Either way a fresh worker carries on with the entries after it, so one bad run costs only itself.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .oracle import Entry, Finding, classify

ROOT = Path(__file__).resolve().parent.parent.parent
WORKER = Path(__file__).resolve().parent / "worker.py"


def environment() -> dict[str, str]:
    """This checkout's onnxforge first on the path (an editable install may point at another one)."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), *filter(None, [env.get("PYTHONPATH")])])
    env.setdefault("OMP_NUM_THREADS", "1")
    return env


def _job(job: dict, timeout_s: float):  # type: ignore[no-untyped-def, type-arg]
    """Start a worker on ``job``; yield its result lines as they come; the last item is (rc, in-flight key, timed out)."""
    scratch = Path(job["scratch"])
    results = scratch / "results.jsonl"
    results.write_text("")
    job = {**job, "results": str(results)}
    (scratch / "job.json").write_text(json.dumps(job))
    process = subprocess.Popen([sys.executable, str(WORKER), str(scratch / "job.json")], cwd=scratch,
                               env=environment(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    seen, started, timed_out = 0, time.monotonic(), False
    in_flight = None
    while True:
        rc = process.poll()
        lines = results.read_text().splitlines()
        for line in lines[seen:]:
            if not line.endswith("}"):
                break
            seen += 1
            record = json.loads(line)
            if "start" in record:
                in_flight, started = record["start"], time.monotonic()
            else:
                in_flight = None
                yield record
        if rc is not None and seen == len(lines):
            break
        if time.monotonic() - started > (timeout_s if in_flight else timeout_s + 60):  # start-up and shrinking: longer
            process.kill()
            process.wait()
            timed_out = True
            break
        time.sleep(0.05)
    stderr = process.stderr.read().decode(errors="replace") if process.stderr else ""
    yield ("done", process.returncode, in_flight, timed_out, stderr)


def check(model: Path, seed: int, entries: list[Entry], valid: bool, timeout_s: float = 60.0,
          main: str | None = None) -> tuple[list[Finding], int]:
    """Findings of ``model`` over ``entries``, and how many forgec runs completed or failed.

    ``main`` (``FILE.py:FUNCTION``) stands in for forgec's ``main`` in the worker: the fuzzer's tests use it
    to show that each rule fires.
    """
    findings: list[Finding] = []
    remaining = list(entries)
    runs = 0
    by_key = {e.key: e for e in entries}
    while remaining:
        scratch = Path(tempfile.mkdtemp(prefix="forgefuzz-"))
        job = {"mode": "check", "model": str(model.resolve()), "seed": seed, "valid": valid, "scratch": str(scratch), "main": main,
               "runs": [{"key": e.key, "args": e.argv(), "accuracy": e.accuracy} for e in remaining]}
        done = set()
        for record in _job(job, timeout_s):
            if isinstance(record, tuple):
                _, rc, in_flight, timed_out, stderr = record
                break
            done.add(record["key"])
            runs += 1
            from .execute import RunResult

            result = RunResult(**record["result"])
            findings += classify(result, record["key"], valid, record["original_runs"])
        shutil.rmtree(scratch, ignore_errors=True)
        remaining = [e for e in remaining if e.key not in done]
        if not remaining:
            break
        if in_flight is None and not timed_out:  # not forgec's fault: the worker itself could not start or go on
            raise RuntimeError(f"worker stopped (exit {rc}) before running {[e.key for e in remaining]}: {stderr[-1000:]}")
        culprit = in_flight or remaining[0].key
        kind = "hang" if timed_out else "crash"
        message = f"no result within {timeout_s:.0f} s" if timed_out else f"worker died (exit {rc})"
        tail = [line for line in stderr.splitlines() if line.strip()][-1:] or [""]
        findings.append(Finding(kind, culprit, f"{message}: {tail[0][:200]}" if not timed_out else message, stderr))
        runs += 1
        remaining = [e for e in remaining if e.key != by_key[culprit].key]
    return findings, runs


def shrink(model: Path, seed: int, entry: Entry, finding: Finding, valid: bool, out: Path,
           budget_s: float = 120.0) -> Path | None:
    """A reduced copy of ``model`` at ``out`` that still shows ``finding`` under ``entry`` (None if the worker failed)."""
    scratch = Path(tempfile.mkdtemp(prefix="forgefuzz-shrink-"))
    job = {"mode": "shrink", "model": str(model.resolve()), "seed": seed, "valid": valid, "scratch": str(scratch),
           "run": {"key": entry.key, "args": entry.argv(), "accuracy": entry.accuracy},
           "signature": finding.signature, "out": str(out.resolve()), "budget_s": budget_s}
    for record in _job(job, budget_s + 120):
        if isinstance(record, tuple):
            break
    shutil.rmtree(scratch, ignore_errors=True)
    return out if out.exists() else None
