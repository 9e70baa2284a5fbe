#!/usr/bin/env python3
"""Whole-process compile time and peak memory: what a user waits for, start-up included.

Every run is a fresh process started the way a user starts it: ``forgec`` is
the console script installed next to this interpreter (``forgec --help``,
``--pipeline=none|cleanup|transformer``, ``transformer --target=ort``), and
each peer is its documented default call in a process of its own
(``python benchmarks/peers.py TOOL IN OUT``: onnxslim, onnxsim, onnxscript's
optimizer). The wall time is from ``fork`` to exit; the peak memory is the
child's own maximum resident set (``wait4``), so runs never pollute each
other. Runs are interleaved (every configuration once per round, in a
rotated order) and the table gives medians over ``--rounds``; ratios are
against onnxslim's median on the same file in the same run.

Python keeps compiled bytecode as an installed package does (the benchmark
clears ``PYTHONDONTWRITEBYTECODE`` for its children and runs every
configuration once, unmeasured, before the rounds), and outputs are deleted
between runs outside the timed region (replacing a 4 GB file costs the
kernel seconds that belong to no tool). ``--out-dir`` puts the outputs on a
chosen filesystem: the default is a temporary directory beside the models;
``/dev/shm`` takes the disk out of the figure (the 1B model writes 4.1 GB).
A ``cp`` of each model's files into the same directory is measured in the
same rounds as the floor any tool that rewrites the weights pays.

    python benchmarks/compile_speed.py                         # every model, 3 rounds; writes results/compile_speed.json
    python benchmarks/compile_speed.py bert --rounds 5 --tools forgec,onnxslim
    python benchmarks/compile_speed.py llama --out-dir /dev/shm --rounds 3
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
MODELS = HERE / "models"
RESULTS = HERE / "results"

MODEL_FILES = {
    "bert": "bert_full_dynamo.onnx",
    "gpt2": "gpt2_full_dynamo.onnx",
    "llama": "llama_full_dynamo.onnx",
    "mobilenet_v2": "mobilenet_v2_full_dynamo.onnx",
}
"""BERT-base, GPT-2 (124M), the 1B Llama-style model (4.1 GB of external data) and a small vision model, as the
dynamo exporter writes them (``python benchmarks/build_models.py``)."""

FORGEC_CONFIGS = {
    "forgec --help": ["--help"],
    "forgec none": ["--pipeline=none"],
    "forgec cleanup": ["--pipeline=cleanup"],
    "forgec transformer": ["--pipeline=transformer"],
    "forgec transformer ort": ["--pipeline=transformer", "--target=ort"],
}
PEERS = ("onnxslim", "onnxsim", "onnxscript")


def forgec_command() -> list[str]:
    script = Path(sys.executable).with_name("forgec")
    return [str(script)] if script.exists() else [sys.executable, "-m", "onnxforge.cli.forgec"]


def commands(model: Path, out: Path, tools: set[str], before: Path | None) -> dict[str, list[str]]:
    """Configuration → command line. ``before``: also run the forgec configurations from that source tree
    (another checkout of onnxforge, e.g. the commit before a change) with the same interpreter."""
    found: dict[str, list[str]] = {}
    for name, flags in FORGEC_CONFIGS.items():
        args = flags if flags == ["--help"] else [str(model), "-o", str(out), *flags]
        if "forgec" in tools:
            found[name] = [*forgec_command(), *args]
        if before is not None:
            found[f"before: {name}"] = ["env", f"--chdir={before}", f"PYTHONPATH={before}", sys.executable, "-m", "onnxforge.cli.forgec", *args]
    for peer in PEERS:
        if peer in tools:
            found[peer] = [sys.executable, str(HERE / "peers.py"), peer, str(model), str(out)]
    if "cp" in tools:
        data = model.with_name(model.name + ".data")
        found["cp"] = ["cp", str(model), *([str(data)] if data.exists() else []), str(out.parent)]
    return found


def measure(command: list[str], timeout: float) -> dict:
    """Wall seconds and the child's peak resident set (MB), or its one-line failure."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    start = time.perf_counter()
    with tempfile.TemporaryFile() as err:
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=err, env=env)
        deadline = start + timeout
        while True:
            pid, status, usage = os.wait4(process.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() > deadline:
                process.kill()
                os.wait4(process.pid, 0)
                return {"error": f"timeout after {timeout:.0f} s"}
            time.sleep(0.005)
        seconds = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(status)
        if process.returncode != 0:
            err.seek(0)
            lines = err.read().decode(errors="replace").strip().splitlines()
            return {"error": (lines[-1] if lines else f"exit {process.returncode}")[:200]}
    return {"seconds": seconds, "peak_mb": usage.ru_maxrss / 1024}


def clear(directory: Path) -> None:
    for path in directory.iterdir():
        path.unlink()


def run_model(arch: str, rounds: int, tools: set[str], out_root: Path, timeout: float, before: Path | None) -> dict:
    model = MODELS / MODEL_FILES[arch]
    with tempfile.TemporaryDirectory(dir=out_root, prefix="compile-speed-") as tmp:
        out_dir = Path(tmp)
        configs = commands(model, out_dir / "out.onnx", tools, before)
        samples: dict[str, list[dict]] = {name: [] for name in configs}
        names = list(configs)
        for round_ in range(rounds + 1):  # round 0 warms the page cache and the bytecode caches: not counted
            order = names[round_ % len(names):] + names[: round_ % len(names)]
            for name in order:
                clear(out_dir)
                result = measure(configs[name], timeout)
                if round_:
                    samples[name].append(result)
                print(f"  {arch:13s} round {round_} {name:22s} "
                      f"{result.get('seconds', 0):7.2f} s {result.get('peak_mb', 0):7.0f} MB {result.get('error', '')}",
                      file=sys.stderr, flush=True)
            clear(out_dir)
    rows = {}
    for name, results in samples.items():
        errors = [r["error"] for r in results if "error" in r]
        if errors or not results:
            rows[name] = {"error": errors[0] if errors else "not run", "runs": len(results)}
            continue
        good = results
        rows[name] = {
            "seconds": statistics.median(r["seconds"] for r in good),
            "peak_mb": statistics.median(r["peak_mb"] for r in good),
            "runs": len(good),
        }
    return rows


def table(results: dict) -> str:
    lines = ["| model | run | seconds | × onnxslim's time | peak MB |", "|---|---|---:|---:|---:|"]
    for arch, rows in results.items():
        slim = rows.get("onnxslim", {}).get("seconds")
        for name, row in rows.items():
            if "error" in row:
                lines.append(f"| {arch} | {name} | failed: {row['error']} | | |")
                continue
            ratio = f"{row['seconds'] / slim:.2f}" if slim else "–"
            lines.append(f"| {arch} | {name} | {row['seconds']:.2f} | {ratio} | {row['peak_mb']:.0f} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("models", nargs="*", help=f"some of {', '.join(MODEL_FILES)} (default: all)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--tools", default="forgec,onnxslim,onnxsim,onnxscript,cp")
    parser.add_argument("--out-dir", type=Path, default=MODELS, help="filesystem the outputs are written to")
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds before a run counts as failed")
    parser.add_argument("--json", type=Path, default=RESULTS / "compile_speed.json")
    parser.add_argument("--before", type=Path, metavar="SOURCE_TREE",
                        help="also run forgec from this checkout (e.g. git worktree add /tmp/before HEAD~3)")
    args = parser.parse_args(argv)
    tools = set(args.tools.split(","))
    archs = args.models or list(MODEL_FILES)
    if unknown := [a for a in archs if a not in MODEL_FILES]:
        parser.error(f"unknown model {unknown[0]!r} (known: {', '.join(MODEL_FILES)})")
    missing = [MODEL_FILES[a] for a in archs if not (MODELS / MODEL_FILES[a]).exists()]
    if missing:
        parser.error(f"missing {', '.join(missing)}: run python benchmarks/build_models.py first")
    if shutil.which(forgec_command()[0]) is None and len(forgec_command()) == 1:
        parser.error("forgec is not installed next to this interpreter")
    results = {arch: run_model(arch, args.rounds, tools, args.out_dir, args.timeout, args.before) for arch in archs}
    record = {
        "date": datetime.date.today().isoformat(),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "rounds": args.rounds,
        "out_dir": str(args.out_dir),
        "before": str(args.before) if args.before else None,
        "results": results,
    }
    args.json.parent.mkdir(parents=True, exist_ok=True)
    previous = json.loads(args.json.read_text()) if args.json.exists() else {}
    previous.setdefault("runs", {})[f"{','.join(archs)} -> {args.out_dir}"] = record
    args.json.write_text(json.dumps(previous, indent=2) + "\n")
    print(table(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
