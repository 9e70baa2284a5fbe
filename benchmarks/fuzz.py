#!/usr/bin/env python3
"""The long fuzzing run of issue 13: N cases through every pipeline × target, findings by class.

    PYTHONPATH=. python benchmarks/fuzz.py --cases 300                 # half random graphs, half mutated fixtures
    PYTHONPATH=. python benchmarks/fuzz.py --cases 2000 --budget-s 3600 --start 1000 --jobs 2

Cases ``graph:S`` and ``mutant:S`` for S in [start, start + cases/2) alternate; each runs through the
full matrix (``tools/fuzzer/oracle.matrix``: 30 forgec runs a case today). New findings are shrunk and
saved under ``--out`` (default benchmarks/results/fuzz/); the table and every distinct finding go to
``benchmarks/results/fuzz.json``. Rerun one case with ``python tools/fuzzer/campaign.py --case graph:S``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))

from fuzzer.campaign import campaign, entries

RESULTS = ROOT / "benchmarks" / "results"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=300)
    parser.add_argument("--start", type=int, default=0, help="first seed")
    parser.add_argument("--kinds", default="graph,mutant", help="graph, mutant or both (alternating)")
    parser.add_argument("--matrix", choices=["full", "deploy", "ci"], default="full",
                        help="full: pipelines × targets × opsets; deploy: tensorrt and --precision; ci: a cover")
    parser.add_argument("--jobs", type=int, default=2, help="cases at a time (one worker process each)")
    parser.add_argument("--budget-s", type=float, help="stop starting new cases after this many seconds")
    parser.add_argument("--out", type=Path, default=RESULTS / "fuzz", help="where shrunk repros go")
    parser.add_argument("--json", type=Path, default=RESULTS / "fuzz.json")
    args = parser.parse_args()
    kinds = args.kinds.split(",")
    cases = [f"{kinds[i % len(kinds)]}:{args.start + i // len(kinds)}" for i in range(args.cases)]
    which = entries(args.matrix)
    report = campaign(cases, which, args.out, args.jobs, args.budget_s)
    print(f"\n{report.cases} cases, {report.runs} forgec runs ({len(which)} matrix entries), {report.seconds:.0f} s")
    print("\n| finding class | distinct | occurrences |\n|---|---:|---:|")
    for kind, (distinct, hits) in report.by_class().items():
        print(f"| {kind} | {distinct} | {hits} |")
    if not report.hits:
        print("| (none) | 0 | 0 |")
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps({"args": {k: str(v) for k, v in vars(args).items()}, **report.to_json()}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
