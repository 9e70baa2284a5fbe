#!/usr/bin/env python3
"""Record what forgec does to a set of models, and compare two records: the net under a refactoring.

For every model and configuration (``cleanup``, ``auto``, ``auto --target=ort``,
``auto --target-opset=23``) it runs the ``forgec`` command line in a fresh
process, then records the output's node count and op histogram, the
whole-process time, and the output values on fixed random inputs (the same
inputs for every configuration, saved with the record). ``compare`` checks a
new record against an old one: no configuration may have more nodes, and every
output must be bit-identical to the old output, or within the configuration's
accuracy class of the original model's output (class 0 for ``cleanup``'s
lossless passes is not claimed: ``cleanup`` folds float constants, class 1).

    python benchmarks/behaviour.py record results/behaviour-before tests/fixtures/*.onnx benchmarks/models/*_full_*.onnx
    python benchmarks/behaviour.py compare results/behaviour-before results/behaviour-after
    python benchmarks/behaviour.py time ../old-checkout . benchmarks/models/bert_full_ts.onnx --flags=--pipeline=transformer

``time`` is the whole ``forgec`` process of two checkouts on the same model, interleaved
(old, new, old, new, …) so that the machine's drift hits both alike, as medians and their ratio.

Record an old checkout by putting it first on ``PYTHONPATH``: the script runs
``python -m onnxforge.cli.forgec``, so it measures whatever ``onnxforge`` that
interpreter imports. Verification sessions run onnxruntime with graph
optimisations and weight prepacking off, as ``forgec --verify`` does.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

CONFIGS: dict[str, list[str]] = {
    "cleanup": ["--pipeline=cleanup"],
    "auto": ["--pipeline=auto"],
    "auto-ort": ["--pipeline=auto", "--target=ort"],
    "auto-opset23": ["--pipeline=auto", "--target-opset=23"],
}
DIMS = {"batch": 2, "sequence": 7}
"""Symbolic dims of the inputs (others: 3)."""
TOLERANCE = (1e-4, 1e-5)
"""Class 1: |Δ| ≤ atol + rtol·max|reference| (README, verification)."""


def _session(path: Path):  # type: ignore[no-untyped-def]
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    options.add_session_config_entry("session.disable_prepacking", "1")
    options.intra_op_num_threads = 2
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def _run(path: Path, feeds: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    session = _session(path)
    return dict(zip([o.name for o in session.get_outputs()], session.run(None, feeds)))


def _inputs(path: Path) -> dict[str, np.ndarray]:
    import onnx

    try:
        from onnxforge.runtime import make_inputs
    except ImportError:  # a checkout from before the runtime module (2026-12)
        from onnxforge.backends.ort import make_inputs  # type: ignore[no-redef]

    model = onnx.load(str(path), load_external_data=False)
    feeds, _ = make_inputs(model, seed=0, dims=dict(DIMS))
    return feeds


def _ops(path: Path) -> collections.Counter[str]:
    import onnx

    model = onnx.load(str(path), load_external_data=False)
    return collections.Counter(f"{n.domain}::{n.op_type}" if n.domain not in ("", "ai.onnx") else n.op_type
                               for n in model.graph.node)


def _forgec(source: Path, output: Path, flags: list[str], checkout: Path | None = None) -> tuple[int, float, str]:
    env = None if checkout is None else {**os.environ, "PYTHONPATH": str(checkout.resolve())}
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "onnxforge.cli.forgec", str(source), "-o", str(output), *flags],
                          capture_output=True, text=True, check=False, env=env)
    lines = done.stderr.strip().splitlines()
    return done.returncode, time.perf_counter() - start, lines[-1] if lines else ""


def record(out_dir: Path, models: list[Path], configs: list[str]) -> int:
    out_dir.mkdir(parents=True, exist_ok=True)
    summary_path = out_dir / "summary.json"
    summary = json.loads(summary_path.read_text()) if summary_path.exists() else {}
    for model in models:
        name = model.stem
        feeds = _inputs(model)
        reference = _run(model, feeds)
        np.savez(out_dir / f"{name}.inputs.npz", **feeds)
        np.savez(out_dir / f"{name}.original.npz", **reference)
        entry = summary.setdefault(name, {"original_nodes": sum(_ops(model).values()), "configs": {}})
        for config in configs:
            with tempfile.TemporaryDirectory() as tmp:
                output = Path(tmp) / "out.onnx"
                code, seconds, message = _forgec(model, output, CONFIGS[config])
                if code != 0:
                    entry["configs"][config] = {"error": message, "exit": code}
                    print(f"{name} {config}: exit {code}: {message}", flush=True)
                    continue
                outputs = _run(output, feeds)
                np.savez(out_dir / f"{name}.{config}.npz", **outputs)
                ops = _ops(output)
                worst = max((_excess(reference[n], o) for n, o in outputs.items()), default=0.0)
                entry["configs"][config] = {"nodes": sum(ops.values()), "ops": dict(sorted(ops.items())),
                                            "seconds": round(seconds, 3), "excess": worst}
                print(f"{name} {config}: {sum(ops.values())} nodes, {seconds:.2f} s, "
                      f"{'within class 1' if worst <= 0 else f'OUTSIDE class 1 by {worst:.3g}'}", flush=True)
        summary_path.write_text(json.dumps(summary, indent=1, sort_keys=True) + "\n")
    return 0


def _excess(reference: np.ndarray, actual: np.ndarray) -> float:
    """How far ``actual`` is outside class 1 of ``reference`` (≤ 0: within)."""
    if reference.shape != actual.shape:
        return float("inf")
    if reference.dtype.kind not in "fc":
        return 0.0 if np.array_equal(reference, actual) else float("inf")
    finite = np.isfinite(reference)
    if not np.array_equal(finite, np.isfinite(actual)) or not np.array_equal(reference[~finite], actual[~finite]):
        return float("inf")
    if not finite.any():
        return 0.0
    diff = float(np.max(np.abs(reference[finite].astype(np.float64) - actual[finite])))
    allowed = TOLERANCE[0] + TOLERANCE[1] * float(np.max(np.abs(reference[finite])))
    return diff - allowed


def compare(old_dir: Path, new_dir: Path) -> int:
    old = json.loads((old_dir / "summary.json").read_text())
    new = json.loads((new_dir / "summary.json").read_text())
    problems, rows = [], []
    for name in sorted(old):
        for config, before in old[name]["configs"].items():
            after = new.get(name, {}).get("configs", {}).get(config)
            if after is None:
                problems.append(f"{name} {config}: not recorded in {new_dir}")
                continue
            if "error" in after and "error" not in before:
                problems.append(f"{name} {config}: now fails: {after['error']}")
                continue
            if "error" in before:
                rows.append((name, config, "fails", "fails" if "error" in after else after["nodes"], "", ""))
                continue
            identical = _identical(old_dir / f"{name}.{config}.npz", new_dir / f"{name}.{config}.npz")
            rows.append((name, config, before["nodes"], after["nodes"], f"{before['seconds']:.2f} → {after['seconds']:.2f}",
                         "bit-identical" if identical else f"excess {after['excess']:.2g}"))
            if after["nodes"] > before["nodes"]:
                problems.append(f"{name} {config}: {before['nodes']} → {after['nodes']} nodes")
            if not identical and after["excess"] > 0:
                problems.append(f"{name} {config}: outputs outside class 1 of the original by {after['excess']:.3g}")
    print("| model | config | nodes before | nodes after | seconds | outputs vs before |")
    print("|---|---|---:|---:|---|---|")
    for row in rows:
        print("| " + " | ".join(str(c) for c in row) + " |")
    for problem in problems:
        print(f"PROBLEM: {problem}")
    return 1 if problems else 0


def timing(old: Path, new: Path, model: Path, flags: list[str], repeats: int) -> int:
    """Whole-process seconds of ``forgec MODEL FLAGS`` under two checkouts, interleaved; medians and new/old."""
    seconds: dict[str, list[float]] = {"old": [], "new": []}
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(repeats):
            for label, checkout in (("old", old), ("new", new)):
                code, took, message = _forgec(model, Path(tmp) / f"{label}.onnx", flags, checkout)
                if code != 0:
                    print(f"{label} ({checkout}): exit {code}: {message}")
                    return 1
                seconds[label].append(took)
    medians = {k: float(np.median(v)) for k, v in seconds.items()}
    print(f"{model.name} {' '.join(flags)}: old {medians['old']:.2f} s, new {medians['new']:.2f} s "
          f"(median of {repeats}, interleaved), new/old {medians['new'] / medians['old']:.3f}")
    print(f"  old runs: {', '.join(f'{t:.2f}' for t in seconds['old'])}")
    print(f"  new runs: {', '.join(f'{t:.2f}' for t in seconds['new'])}")
    return 0


def _identical(a: Path, b: Path) -> bool:
    if not (a.exists() and b.exists()):
        return False
    with np.load(a) as x, np.load(b) as y:
        return set(x.files) == set(y.files) and all(
            x[k].dtype == y[k].dtype and x[k].shape == y[k].shape and x[k].tobytes() == y[k].tobytes() for k in x.files)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    rec = sub.add_parser("record")
    rec.add_argument("out", type=Path)
    rec.add_argument("models", nargs="+", type=Path)
    rec.add_argument("--config", action="append", choices=list(CONFIGS))
    cmp = sub.add_parser("compare")
    cmp.add_argument("old", type=Path)
    cmp.add_argument("new", type=Path)
    tim = sub.add_parser("time")
    tim.add_argument("old", type=Path, help="checkout of the old code")
    tim.add_argument("new", type=Path, help="checkout of the new code")
    tim.add_argument("model", type=Path)
    tim.add_argument("--flags", default="--pipeline=transformer", help="forgec flags, space-separated")
    tim.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    os.environ.setdefault("OMP_NUM_THREADS", "2")
    if args.command == "record":
        return record(args.out, args.models, args.config or list(CONFIGS))
    if args.command == "time":
        return timing(args.old, args.new, args.model, args.flags.split(), args.repeats)
    return compare(args.old, args.new)


if __name__ == "__main__":
    sys.exit(main())
