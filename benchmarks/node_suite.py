#!/usr/bin/env python3
"""ONNX's node test suite under the full pipeline × target × opset product: faults per entry.

    PYTHONPATH=. python benchmarks/node_suite.py                    # all 30 entries (about 20 min of CPU on one core)
    PYTHONPATH=. python benchmarks/node_suite.py --entries auto/ort cleanup/default/opset23 --jobs 2

The rules are ``tests/node_cases.fault``'s (the default test run uses a cover of the entries,
``CI_ENTRIES``): a transform or export error is a fault even where onnxruntime cannot run the case.
Prints a table (cases, passed, skipped, faults per entry) and every fault; writes
``benchmarks/results/node_suite.json``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import warnings
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from node_cases import CASES, ENTRIES, entry_id, fault

RESULTS = ROOT / "benchmarks" / "results"


def _shard(args: tuple[list[int], list[tuple]]) -> list[tuple[str, str, str | None, str | None]]:  # type: ignore[type-arg]
    indices, entries = args
    warnings.simplefilter("ignore")
    out = []
    for i in indices:  # case-major: the case's onnxruntime runs are cached across entries
        for entry in entries:
            found, skip = fault(CASES[i], entry)
            out.append((entry_id(entry), CASES[i].name, found, skip))
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", nargs="*", help="entry ids (pipeline/target[/opset23]); default all")
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--json", type=Path, default=RESULTS / "node_suite.json")
    args = parser.parse_args()
    entries = [e for e in ENTRIES if not args.entries or entry_id(e) in args.entries]
    start = time.perf_counter()
    shards = [(list(range(j, len(CASES), args.jobs)), entries) for j in range(args.jobs)]
    with ProcessPoolExecutor(args.jobs) as pool:
        rows = [row for part in pool.map(_shard, shards) for row in part]
    seconds = time.perf_counter() - start
    table = {entry_id(e): {"passed": 0, "skipped": 0, "faults": 0} for e in entries}
    faults = []
    for key, name, found, skip in rows:
        table[key]["faults" if found else "skipped" if skip else "passed"] += 1
        if found:
            faults.append({"entry": key, "case": name, "fault": found})
    print(f"{len(CASES)} cases × {len(entries)} entries in {seconds:.0f} s ({args.jobs} jobs)\n")
    print("| entry | passed | skipped | faults |\n|---|---:|---:|---:|")
    for key, counts in table.items():
        print(f"| {key} | {counts['passed']} | {counts['skipped']} | {counts['faults']} |")
    for f in faults:
        print(f"FAULT {f['entry']} {f['case']}: {f['fault']}")
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps({"seconds": round(seconds), "table": table, "faults": faults}, indent=1))
    return 1 if faults else 0


if __name__ == "__main__":
    sys.exit(main())
