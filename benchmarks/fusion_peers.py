#!/usr/bin/env python3
"""Fusion pipelines against the peers: nodes, compile time, onnxruntime CPU latency and output difference.

For every full-size model in benchmarks/models (both exporters), the
original and the output of each tool are compared in one run:

- onnxforge ``auto`` pipeline (transformer or vision by fingerprint) with
  standard ops after ``--target-opset 23`` (``forge-std``) and with
  onnxruntime contrib ops (``--target=ort``, ``forge-ort``);
- onnxslim, onnxsim 0.8 (default cleanup, dynamic axes kept), onnxruntime's
  transformers optimizer (``ort-transformers``) and onnxscript's
  ``optimize_for_ort`` (``onnxscript-ort``): adapters in peers.py.

Compile time and peak memory come from cleanup_peers.measure (a fresh
process per run, median over ``--repeat``). Latency uses the cost model's
host protocol (``onnxforge.cost.calibrate.Protocol``): onnxruntime CPU, 2
intra-op threads pinned, 1 inter-op thread, graph optimisations on
(ORT_ENABLE_ALL, how users run models), denormals flushed to zero (random
weights decay into denormals that trained weights do not produce), the same
random inputs for every variant; all variants' sessions are open at once and
measured interleaved — each round runs ``--iters`` timed calls of every
variant in a rotated order — and the figure is the median over rounds of each
round's median (IQR kept in the JSON). The max absolute output difference is against the original with
onnxruntime's optimisations off (cleanup_peers.check).

    python benchmarks/fusion_peers.py --skip-large                     # whole corpus, writes results/fusion_peers.json
    python benchmarks/fusion_peers.py bert_full_dynamo --rounds 5 --iters 5
"""

from __future__ import annotations

import argparse
import datetime
import json
import platform
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import cleanup_peers
from cleanup_peers import LARGE, MODELS, RESULTS, corpus, weights_of

VARIANTS: dict[str, tuple[str, str]] = {
    "forge-std": ("onnxforge", "auto --target-opset=23"),
    "forge-ort": ("onnxforge", "auto --target=ort"),
    "onnxslim": ("onnxslim", ""),
    "onnxsim": ("onnxsim", ""),
    "ort-transformers": ("ort-transformers", ""),
    "onnxscript-ort": ("onnxscript-ort", ""),
}

LATENCY = r'''
import json, sys
import numpy as np
from onnxforge.runtime import make_inputs
from onnxforge.cost.calibrate import Protocol, session, time_runs
from onnxforge.onnxio.loader import load
paths, dims, rounds, iters = json.loads(sys.argv[1]), json.loads(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
protocol = Protocol(warmup=0, repeats=iters, min_repeats=iters, budget_s=0.0)
feeds, _ = make_inputs(load(paths["original"]).proto, 0, dims)
sessions, errors = {}, {}
for name, path in paths.items():
    try:
        sess = session(path, protocol)
        wanted = {i.name for i in sess.get_inputs()}
        feed = {k: v for k, v in feeds.items() if k in wanted}
        for _ in range(3):
            sess.run(None, feed)
        sessions[name] = (sess, feed)
    except Exception as err:
        errors[name] = f"{type(err).__name__}: {str(err).strip().splitlines()[0] if str(err).strip() else ''}"
per_round = {name: [] for name in sessions}
names = list(sessions)
for r in range(rounds):
    for name in names[r % len(names):] + names[:r % len(names)]:
        sess, feed = sessions[name]
        per_round[name].append(float(np.median(time_runs(lambda: sess.run(None, feed), protocol))))
result = {name: {"ms": 1e3 * float(np.median(v)), "iqr_ms": 1e3 * float(np.subtract(*np.percentile(v, [75, 25])))}
          for name, v in per_round.items()}
result.update({name: {"latency_error": e} for name, e in errors.items()})
result["protocol"] = protocol.describe()
print("\n@@RESULT " + json.dumps(result))
'''


def latency(paths: dict[str, Path], dims: dict[str, int], rounds: int, iters: int, timeout: float) -> dict:
    try:
        result = subprocess.run([sys.executable, "-c", LATENCY, json.dumps({k: str(v) for k, v in paths.items()}),
                                 json.dumps(dims), str(rounds), str(iters)],
                                capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return {"error": f"latency timed out after {timeout:.0f} s"}
    parsed = cleanup_peers._child_result(result.stdout)
    return parsed if parsed is not None else {"error": "latency: " + cleanup_peers._failure(result)}


def bench_model(name: str, path: Path, variants: list[str], args: argparse.Namespace) -> list[dict]:
    if not path.exists():
        return [{"model": name, "tool": v, "error": "model not available (build with cleanup_peers.py --build)"} for v in variants]
    weights, _ = weights_of(path)
    if args.skip_large and weights >= LARGE:
        return [{"model": name, "tool": v, "error": "skipped (--skip-large)"} for v in variants]
    rows: dict[str, dict] = {v: {"model": name, "tool": v, "weights_bytes": weights, "runs": []} for v in variants}
    with tempfile.TemporaryDirectory(dir=MODELS, prefix=f".{name}.") as tmp:
        outputs: dict[str, Path] = {}
        for repeat in range(args.repeat):
            for variant in variants:
                tool, pipeline = VARIANTS[variant]
                out = Path(tmp) / f"{variant}.onnx"
                run = cleanup_peers.measure(tool, path, out, pipeline, args.timeout)
                rows[variant]["runs"].append(run)
                if "error" not in run:
                    outputs[variant] = out
                print(f"{name} {variant} #{repeat}: {run.get('error') or format(run['time_s'], '.2f') + ' s'}", file=sys.stderr, flush=True)
        checked = cleanup_peers.check(path, outputs, args.dims, args.timeout)
        timed = latency({"original": path, **outputs}, args.dims, args.rounds, args.iters, args.timeout)
    original = {"model": name, "tool": "original", "weights_bytes": weights,
                "nodes": checked.get("original", {}).get("nodes"), **timed.get("original", {})}
    result = [original]
    for variant, row in rows.items():
        runs = row.pop("runs")
        ok = [r for r in runs if "error" not in r]
        if not ok:
            row["error"] = runs[0]["error"] if runs else "not run"
        else:
            row["time_s"] = statistics.median(r["time_s"] for r in ok)
            row["peak_bytes"] = statistics.median(r["peak_bytes"] for r in ok)
            row.update(checked.get(variant, {}))
            row.update(timed.get(variant, {}))
        result.append(row)
    return result


def _cells(row: dict, original: dict) -> list[str]:
    if row.get("error"):
        return ["—", "—", "—", "—", row["error"]]
    nodes = str(row.get("nodes", "—"))
    compile_s = f"{row['time_s']:.2f}" if "time_s" in row else "—"
    if row.get("ms"):
        ms = f"{row['ms']:.2f}"
        speed = f"{original['ms'] / row['ms']:.2f}×" if original.get("ms") else "—"
    else:
        ms, speed = row.get("latency_error", "—"), "—"
    diff = row.get("check_error") or (f"{row['max_abs_diff']:.1e}" if "max_abs_diff" in row else "—")
    return [nodes, compile_s, ms, speed, diff]


def markdown(rows: list[dict]) -> str:
    """nodes · compile s · latency ms · speed-up against the original · max |diff|, one row per model × tool."""
    lines = ["| model | tool | nodes | compile s | latency ms | vs original | max abs diff |", "|---|---|---|---|---|---|---|"]
    originals = {r["model"]: r for r in rows if r["tool"] == "original"}
    for row in rows:
        lines.append("| " + " | ".join([row["model"], row["tool"], *_cells(row, originals.get(row["model"], {}))]) + " |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("models", nargs="*", help="model names (e.g. bert_full_dynamo); default: the corpus")
    parser.add_argument("--variants", default=",".join(VARIANTS))
    parser.add_argument("--repeat", type=int, default=1, help="compile runs per model × tool (median)")
    parser.add_argument("--rounds", type=int, default=7, help="interleaved latency rounds")
    parser.add_argument("--iters", type=int, default=5, help="timed calls per variant per round")
    parser.add_argument("--dims", type=cleanup_peers._parse_dims, default=cleanup_peers._parse_dims("batch=1,sequence=128"))
    parser.add_argument("--skip-large", action="store_true")
    parser.add_argument("--timeout", type=float, default=1800)
    parser.add_argument("--output", type=Path, default=RESULTS / "fusion_peers.json")
    args = parser.parse_args()
    variants = [v for v in args.variants.split(",") if v]
    names = args.models or corpus()
    rows: list[dict] = []
    for name in names:
        path = Path(name) if name.endswith(".onnx") else MODELS / f"{name}.onnx"
        rows += bench_model(path.stem if name.endswith(".onnx") else name, path, variants, args)
        print(markdown([r for r in rows if r["model"] == rows[-1]["model"]]), file=sys.stderr, flush=True)
    RESULTS.mkdir(parents=True, exist_ok=True)
    meta = {"date": datetime.date.today().isoformat(), "machine": platform.processor() or platform.machine(),
            "dims": args.dims, "rounds": args.rounds, "iters": args.iters, "repeat": args.repeat,
            "versions": {t: cleanup_peers.peers.version(t) for t in ("onnxslim", "onnxsim", "ort-transformers", "onnxscript-ort")}}
    args.output.write_text(json.dumps({"meta": meta, "rows": rows}, indent=1))
    print(markdown(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
