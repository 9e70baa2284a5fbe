#!/usr/bin/env python3
"""The README's corpus table, from a ``forgec batch --format json`` run over benchmarks/corpus/models.

    forgec batch benchmarks/corpus/models --peers onnxslim,onnxsim --latency --jobs 1 \\
        --format json --table benchmarks/results/corpus_batch.json
    python benchmarks/corpus/readme_table.py benchmarks/results/corpus_batch.json
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
PEERS = ("onnxslim", "onnxsim")


def main(path: str) -> None:
    batch = json.loads(Path(path).read_text())
    families = {m["file"]: m["family"] for m in json.loads((HERE / "corpus.json").read_text())["models"]}
    print("| model | exporter | nodes | forgec | onnxslim | onnxsim | verified | latency forgec / slim / sim (× original) |")
    print("|---|---|---|---|---|---|---|---|")
    ratios: dict[str, list[float]] = {"forgec": [], **{p: [] for p in PEERS}}
    for row in sorted(batch["models"], key=lambda r: (families.get(r["model"], ""), r["model"])):
        peers = {p: (row["peers"].get(p) or {}).get("nodes") for p in PEERS}
        best = min([n for n in peers.values() if n is not None], default=None)
        forgec = row["forgec"]["nodes"]
        shown = f"**{forgec}**" if best is None or forgec <= best else f"{forgec} (+{forgec - best})"
        latency = row.get("latency_ms") or {}
        base = latency.get("original")
        parts = []
        for name in ("forgec", *PEERS):
            if base and latency.get(name):
                ratios[name].append(latency[name] / base)
                parts.append(f"{latency[name] / base:.2f}")
            else:
                parts.append("–")
        print(f"| {row['model'].removesuffix('.onnx')} | {families.get(row['model'], '?')} | {row['nodes_before']} | {shown} | "
              f"{peers['onnxslim'] if peers['onnxslim'] is not None else '✗'} | {peers['onnxsim'] if peers['onnxsim'] is not None else '✗'} | "
              f"{row['verify']} | {' / '.join(parts)} |")
    total = batch["total"]
    means = " / ".join(f"{math.exp(sum(map(math.log, v)) / len(v)):.3f}" if v else "–" for v in ratios.values())
    print(f"| **all {total['models']}** | {len(set(families.values()))} families | {total['nodes_before']} | **{total['forgec_nodes']}** | "
          f"{total['peer_nodes'].get('onnxslim')} | {total['peer_nodes'].get('onnxsim')} | {total['verified']} | "
          f"geomean {means} |")


if __name__ == "__main__":
    main(sys.argv[1])
