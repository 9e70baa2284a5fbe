"""A fuzzing campaign: cases by seed, findings grouped by signature, each new one shrunk and saved.

A case is ``graph:SEED`` (a random valid graph, ``graphs.build``) or ``mutant:SEED`` (a mutated fixture,
``mutate.mutate``); the same id always gives the same model, so a finding is reproduced by its id alone::

    PYTHONPATH=. python tools/fuzzer/campaign.py --case graph:17            # rerun one case, print its findings
    PYTHONPATH=. python benchmarks/fuzz.py --cases 300                      # a long run (see there)

The first time a signature is met, the case is shrunk (``shrink``) under the entry that showed it and the
small model saved as ``OUT/<kind>-<digest>.onnx``; later hits only count.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

import onnx

if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from fuzzer import graphs, harness, mutate
from fuzzer.oracle import Entry, Finding, deploy_matrix, matrix

CI_KEYS = ("none/default", "cleanup/default/opset23", "transformer/ort", "hybrid/standard/opset23", "vision/portable",
           "portable/default", "auto/standard", "auto/tensorrt", "auto/default/fp16")
"""A cover of the matrix for CI: every pipeline, every target and the opset conversion, each at least once."""


def entries(which: str) -> list[Entry]:
    """``full``: every pipeline × target × opset; ``deploy``: tensorrt and the precisions; ``ci``: a cover of both."""
    full, deploy = matrix(), deploy_matrix()
    if which == "full":
        return full
    if which == "deploy":
        return deploy
    return [e for e in full + deploy if e.key in CI_KEYS]


def make_case(case: str) -> tuple[onnx.ModelProto, str, bool]:
    """The model of a case id, a description, and whether it is known valid."""
    kind, _, seed = case.partition(":")
    if kind == "graph":
        return graphs.build(int(seed)), "random valid graph", True
    if kind == "mutant":
        model, what = mutate.mutate(int(seed))
        return model, what, False
    raise ValueError(f"unknown case kind {kind!r} (graph:SEED or mutant:SEED)")


@dataclass
class Report:
    cases: int = 0
    runs: int = 0
    seconds: float = 0.0
    hits: Counter = field(default_factory=Counter)  # type: ignore[type-arg]
    """Occurrences per signature."""
    first: dict[str, Finding] = field(default_factory=dict)
    """The first finding of each signature (with its case, seed and repro)."""

    def by_class(self) -> dict[str, tuple[int, int]]:
        """Finding class → (distinct signatures, occurrences)."""
        classes: dict[str, list[int]] = {}
        for signature, n in self.hits.items():
            counts = classes.setdefault(self.first[signature].kind, [0, 0])
            counts[0] += 1
            counts[1] += n
        return {k: (v[0], v[1]) for k, v in sorted(classes.items())}

    def to_json(self) -> dict:  # type: ignore[type-arg]
        return {"cases": self.cases, "runs": self.runs, "seconds": round(self.seconds, 1), "by_class": self.by_class(),
                "findings": [dict(asdict(f), detail=f.detail[-2000:], signature=s, hits=self.hits[s])
                             for s, f in self.first.items()]}


def run_case(case: str, which: list[Entry], work: Path, timeout_s: float = 60.0) -> tuple[list[Finding], int, str]:
    model, what, valid = make_case(case)
    path = work / f"{case.replace(':', '-')}.onnx"
    onnx.save(model, str(path))
    findings, runs = harness.check(path, _seed(case), which, valid, timeout_s)
    for finding in findings:
        finding.case, finding.seed = case, _seed(case)
        finding.extra["what"] = what
    return findings, runs, str(path)


def _seed(case: str) -> int:
    return int(case.partition(":")[2])


def campaign(cases: list[str], which: list[Entry], out: Path | None, jobs: int = 2, budget_s: float | None = None,
             shrink_s: float = 90.0, log=print) -> Report:  # type: ignore[no-untyped-def]
    """Run ``cases`` (``jobs`` at a time) until done or ``budget_s`` passes; shrink and save new findings into ``out``."""
    report = Report()
    start = time.monotonic()
    by_key = {e.key: e for e in which}
    with tempfile.TemporaryDirectory(prefix="forgefuzz-cases-") as tmp, ThreadPoolExecutor(jobs) as pool:
        work = Path(tmp)
        pending = iter(cases)
        futures = {}
        for case in [c for _, c in zip(range(jobs), pending)]:
            futures[case] = pool.submit(run_case, case, which, work)
        while futures:
            case = next(iter(futures))
            findings, runs, path = futures.pop(case).result()
            report.cases += 1
            report.runs += runs
            if report.cases % 25 == 0:
                log(f"... {report.cases} cases, {report.runs} runs, {len(report.first)} distinct findings, "
                    f"{time.monotonic() - start:.0f} s")
            for finding in findings:
                signature = finding.signature
                report.hits[signature] += 1
                if signature in report.first:
                    continue
                report.first[signature] = finding
                log(f"NEW {finding.kind} [{case} {finding.entry}] {finding.message[:220]}  ({finding.extra['what']})")
                if out is not None and finding.kind not in ("hang", "crash"):
                    out.mkdir(parents=True, exist_ok=True)
                    name = f"{finding.kind}-{hashlib.sha256(signature.encode()).hexdigest()[:8]}.onnx"
                    saved = harness.shrink(Path(path), finding.seed or 0, by_key[finding.entry], finding, case.startswith("graph"),
                                           out / name, shrink_s)
                    finding.repro = str(saved) if saved else None
                    if saved:
                        log(f"    saved {saved} ({len(onnx.load(str(saved)).graph.node)} nodes)")
            if budget_s is None or time.monotonic() - start < budget_s:
                following = next(pending, None)
                if following is not None:
                    futures[following] = pool.submit(run_case, following, which, work)
    report.seconds = time.monotonic() - start
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="rerun fuzz cases by id and print their findings")
    parser.add_argument("--case", action="append", required=True, help="graph:SEED or mutant:SEED (repeatable)")
    parser.add_argument("--matrix", choices=["full", "deploy", "ci"], default="full")
    parser.add_argument("--save", type=Path, help="write each case's model here (to inspect it)")
    args = parser.parse_args(argv)
    which = entries(args.matrix)
    for case in args.case:
        if args.save:
            args.save.mkdir(parents=True, exist_ok=True)
            onnx.save(make_case(case)[0], str(args.save / f"{case.replace(':', '-')}.onnx"))
        with tempfile.TemporaryDirectory() as tmp:
            findings, runs, _ = run_case(case, which, Path(tmp))
        print(f"{case}: {runs} runs, {len(findings)} findings")
        for f in findings:
            print(json.dumps({"kind": f.kind, "entry": f.entry, "message": f.message}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
