#!/usr/bin/env python3
"""Graph-cleanup peer comparison: onnxforge against onnxslim, onnxsim, onnxoptimizer, onnxscript.

For every full-size model in benchmarks/models and every tool (adapters in
peers.py: each tool's documented default cleanup, dynamic axes kept), each
run is a fresh process; the table gives medians over ``--repeat`` runs, the
tools interleaved within each repeat. Recorded per model × tool: nodes after,
``Shape`` ops left in the main graph, compile time, peak memory (also as a
ratio to the weight bytes), the max absolute output difference against the
original under onnxruntime (CPU; the same random inputs for all, symbolic
dims bound by ``--dims``), or the tool's one-line error.

    pip install -e ".[models,bench]"
    python benchmarks/cleanup_peers.py --build --repeat 0      # export the corpus (both exporters) only
    python benchmarks/cleanup_peers.py --repeat 3 --skip-large # prints Markdown, writes results/cleanup_peers.json
    python benchmarks/cleanup_peers.py bert_full_ts --repeat 1 --pipeline none

Compile time is the tool's call after its modules are imported (the time to
start Python and import is in ``process_s`` in the JSON); for onnxforge the
call is forgec's entry point, ``forgec IN -o OUT --pipeline=P``, made inside
the measuring process. Peak memory is the peak resident set (VmHWM) minus the
resident set just before the call. A model the exporter could not produce,
or a tool that fails (exception, crash, timeout, ORT cannot run its output),
is a row with the reason.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
MODELS = HERE / "models"
RESULTS = HERE / "results"
sys.path.insert(0, str(HERE))

import peers

CORPUS_ARCHS = ["bert", "distilbert", "roberta", "gpt2", "vit", "whisper_encoder", "llama",
                "resnet", "mobilenet_v2", "efficientnet_b0"]
EXPORTERS = {"torchscript": "ts", "dynamo": "dynamo"}
TOOLS = ["onnxforge", "onnxslim", "onnxsim", "onnxoptimizer", "onnxscript"]
LARGE = 2**31  # weights past protobuf's 2 GiB limit (the TinyLlama-size llama)

# The measuring child: import the tool's modules, then time one call of its adapter.
CHILD = r'''
import json, os, sys, time
sys.path.insert(0, sys.argv[1])
tool, src, dst, pipeline = sys.argv[2:6]
def rss(field):
    for line in open("/proc/self/status"):
        if line.startswith(field):
            return int(line.split()[1]) * 1024
import peers
if tool == "onnxforge":
    import onnxforge.cli.forgec, onnxforge.compiler, onnxforge.onnxio.loader, onnxforge.onnxio.writer
    import onnxforge.onnxio.exporter, onnxforge.transforms.pipelines
    call = lambda: peers.onnxforge_main(src, dst, pipeline)
else:
    if tool == "onnxslim":
        import onnxslim, onnxslim.core, onnxslim.utils
    elif tool == "onnxsim":
        import onnxsim
    elif tool == "onnxoptimizer":
        import onnx, onnxoptimizer
    elif tool == "onnxscript":
        import onnx_ir, onnxscript.optimizer
    elif tool == "ort-transformers":
        import onnxruntime.transformers.optimizer
    elif tool == "onnxscript-ort":
        import onnx_ir, onnxscript.optimizer, onnxscript.rewriter.ort_fusions
    call = lambda: peers.TOOLS[tool](src, dst)
base = rss("VmRSS:")
t0 = time.perf_counter()
call()
t1 = time.perf_counter()
print("\n@@RESULT " + json.dumps({"time_s": t1 - t0, "peak_bytes": rss("VmHWM:") - base}))
'''

# The checking child: structure of each result, and its outputs against the original's in onnxruntime.
CHECK = r'''
import json, sys
import numpy as np
import onnx
from onnxforge.runtime import make_inputs, run, compare
from onnxforge.onnxio.loader import load
original, dims, candidates = sys.argv[1], json.loads(sys.argv[2]), json.loads(sys.argv[3])
def first_line(err):
    text = str(err).strip()
    return f"{type(err).__name__}: {text.splitlines()[0] if text else ''}"
def structure(path):
    graph = onnx.load(path, load_external_data=False).graph
    return {"nodes": len(graph.node), "shape_ops": sum(n.op_type == "Shape" for n in graph.node)}
result = {"original": structure(original)}
feeds, bound = make_inputs(load(original).proto, 0, dims)
result["dims"] = bound
expected = run(original, feeds)
for tool, path in candidates.items():
    entry = {}
    try:
        entry.update(structure(path))
        report = compare(expected, run(path, feeds))
        if report.problems:
            entry["check_error"] = "; ".join(report.problems)
        entry["max_abs_diff"] = max((o.max_abs for o in report.outputs), default=0.0)
        entry["identical"] = report.identical
    except Exception as err:
        entry["check_error"] = first_line(err)
    result[tool] = entry
    print(f"checked {tool}", file=sys.stderr, flush=True)
print("\n@@RESULT " + json.dumps(result))
'''


def model_name(arch: str, exporter: str) -> str:
    return f"{arch}_full_{EXPORTERS[exporter]}"


def corpus() -> list[str]:
    return [model_name(a, e) for e in EXPORTERS for a in CORPUS_ARCHS]


def error_file(name: str) -> Path:
    return MODELS / f"{name}.onnx.error"


def build(names: list[str]) -> None:
    """Export missing corpus models, one ``build_models.py ARCH --exporter E`` process each;
    a failed export leaves ``NAME.onnx.error`` (its last error line) instead of stopping."""
    for exporter in EXPORTERS:
        for arch in CORPUS_ARCHS:
            name = model_name(arch, exporter)
            if name not in names or (MODELS / f"{name}.onnx").exists():
                continue
            start = time.perf_counter()
            result = subprocess.run([sys.executable, str(HERE / "build_models.py"), arch, "--exporter", exporter],
                                    capture_output=True, text=True, check=False)
            if result.returncode != 0 or not (MODELS / f"{name}.onnx").exists():
                reason = _last_error_line(result.stderr) or f"exit {result.returncode}"
                MODELS.mkdir(parents=True, exist_ok=True)
                error_file(name).write_text(reason + "\n")
                print(f"{name}: export failed: {reason}", file=sys.stderr)
            else:
                error_file(name).unlink(missing_ok=True)
                print(f"{name}: exported in {time.perf_counter() - start:.0f} s", file=sys.stderr)


def _last_error_line(stderr: str) -> str:
    lines = [line.strip() for line in stderr.strip().splitlines() if line.strip()]
    for line in reversed(lines):  # the exception line, not a trailing warning
        if ("Error" in line or "error" in line or "Exception" in line) and not line.startswith("File "):
            return line[:300]
    return lines[-1][:300] if lines else ""


def weights_of(path: Path) -> tuple[int, bool]:
    """Weight bytes, and whether they are in external data (structure only, weights not read)."""
    import onnx

    proto = onnx.load(str(path), load_external_data=False)
    total, external = 0, False
    for tensor in proto.graph.initializer:
        if tensor.external_data:
            external = True
            total += int(next((e.value for e in tensor.external_data if e.key == "length"), 0))
        else:
            total += len(tensor.raw_data) or _typed_bytes(tensor)
    return total, external


def _typed_bytes(tensor) -> int:  # type: ignore[no-untyped-def]
    import numpy as np
    from onnx import helper

    count = int(np.prod(tensor.dims)) if tensor.dims else 1
    try:
        return count * np.dtype(helper.tensor_dtype_to_np_dtype(tensor.data_type)).itemsize
    except (KeyError, TypeError):
        return 0


def _child_result(stdout: str) -> dict | None:
    for line in reversed(stdout.splitlines()):
        if line.startswith("@@RESULT "):
            return json.loads(line[len("@@RESULT "):])
    return None


def _failure(result: subprocess.CompletedProcess) -> str:
    if result.returncode < 0:
        sig = signal.Signals(-result.returncode).name
        hint = " (out of memory?)" if sig == "SIGKILL" else ""
        return f"killed by {sig}{hint}"
    return _last_error_line(result.stderr) or f"exit {result.returncode}"


def measure(tool: str, model: Path, out: Path, pipeline: str, timeout: float) -> dict:
    """One run of one tool in a fresh process."""
    os.sync()  # start without the previous run's dirty pages being flushed under it
    start = time.perf_counter()
    try:
        result = subprocess.run([sys.executable, "-c", CHILD, str(HERE), tool, str(model), str(out), pipeline],
                                capture_output=True, text=True, timeout=timeout, cwd=str(out.parent), check=False)
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout:.0f} s"}
    process_s = time.perf_counter() - start
    parsed = _child_result(result.stdout)
    if result.returncode != 0 or parsed is None:
        return {"error": _failure(result)}
    if not out.exists():
        return {"error": "no output file written"}
    return {**parsed, "process_s": process_s}


def check(model: Path, outputs: dict[str, Path], dims: dict[str, int], timeout: float) -> dict:
    """Nodes/Shape ops of the original and each output, and the max output difference in onnxruntime."""
    candidates = json.dumps({tool: str(path) for tool, path in outputs.items()})
    try:
        result = subprocess.run([sys.executable, "-c", CHECK, str(model), json.dumps(dims), candidates],
                                capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return {"error": f"check timed out after {timeout:.0f} s"}
    parsed = _child_result(result.stdout)
    if result.returncode != 0 or parsed is None:
        return {"error": "check: " + _failure(result)}
    return parsed


def _remove_output(path: Path) -> None:
    for p in (path, path.with_name(path.name + ".data")):
        p.unlink(missing_ok=True)


def bench_model(name: str, path: Path, tools: list[str], args: argparse.Namespace) -> list[dict]:
    if not path.exists():
        reason = error_file(name).read_text().strip() if error_file(name).exists() else "not built (run with --build)"
        print(f"{name}: {reason}", file=sys.stderr)
        return [{"model": name, "tool": tool, "error": f"model not available: {reason}"} for tool in tools]
    weights, external = weights_of(path)
    if args.skip_large and weights >= LARGE:
        print(f"{name}: skipped (--skip-large)", file=sys.stderr)
        return [{"model": name, "tool": tool, "weights_bytes": weights, "error": "skipped (--skip-large)"} for tool in tools]
    runs: dict[str, list[dict]] = {tool: [] for tool in tools}
    kept: dict[str, Path] = {}
    MODELS.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=MODELS, prefix=f".{name}.") as tmp:
        for repeat in range(args.repeat):
            for tool in tools:  # interleaved: each repeat runs every tool once
                keep = tool not in kept
                out = Path(tmp) / f"{tool}{'' if keep else '.again'}.onnx"
                run = measure(tool, path, out, args.pipeline, args.timeout)
                runs[tool].append(run)
                if "error" in run:
                    _remove_output(out)
                    print(f"{name} {tool} #{repeat + 1}: {run['error']}", file=sys.stderr)
                    continue
                print(f"{name} {tool} #{repeat + 1}: {run['time_s']:.2f} s, peak {run['peak_bytes'] / 2**20:.0f} MiB",
                      file=sys.stderr)
                if keep:
                    kept[tool] = out  # the first good output is checked in onnxruntime
                else:
                    _remove_output(out)
        checked = check(path, kept, args.dims, args.timeout) if kept else {}
    rows = []
    original = checked.get("original", {})
    for tool in tools:
        row: dict = {"model": name, "tool": tool, "weights_bytes": weights, "external_data": external,
                     "nodes_before": original.get("nodes"), "shape_ops_before": original.get("shape_ops")}
        good = [r for r in runs[tool] if "error" not in r]
        if not good:
            row["error"] = runs[tool][0]["error"] if runs[tool] else "not run (--repeat 0)"
            rows.append(row)
            continue
        row["runs"] = len(good)
        if len(good) < len(runs[tool]):
            row["failed_runs"] = [r["error"] for r in runs[tool] if "error" in r]
        for key in ("time_s", "process_s", "peak_bytes"):
            row[key] = statistics.median(r[key] for r in good)
        row["peak_over_weights"] = row["peak_bytes"] / weights if weights else None
        if "error" in checked:
            row["check_error"] = checked["error"]
        else:
            entry = checked.get(tool, {})
            for key in ("nodes", "shape_ops", "max_abs_diff", "identical", "check_error"):
                if key in entry:
                    row["nodes_after" if key == "nodes" else "shape_ops_after" if key == "shape_ops" else key] = entry[key]
            row["dims"] = checked.get("dims")
        rows.append(row)
    return rows


def _num(value, fmt: str) -> str:  # type: ignore[no-untyped-def]
    return "" if value is None else format(value, fmt)


def _diff(row: dict) -> str:
    if "check_error" in row:
        return f"check failed: {row['check_error'][:70]}"
    if row.get("identical"):
        return "0 (bit-identical)"
    return _num(row.get("max_abs_diff"), ".2g")


def markdown(rows: list[dict], tools: list[str], pipeline: str) -> str:
    lines = [
        "| model | weights MiB | tool | nodes before → after | Shape ops left | time s | peak MiB | peak / weights | max abs diff | error |",
        "| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for row in rows:
        tool = f"onnxforge ({pipeline})" if row["tool"] == "onnxforge" else row["tool"]
        weights = _num(row.get("weights_bytes") and row["weights_bytes"] / 2**20, ".0f")
        if "error" in row:
            lines.append(f"| {row['model']} | {weights} | {tool} | | | | | | | {row['error'][:100]} |")
            continue
        nodes = f"{_num(row.get('nodes_before'), 'd')} → {_num(row.get('nodes_after'), 'd')}"
        shapes = f"{_num(row.get('shape_ops_before'), 'd')} → {_num(row.get('shape_ops_after'), 'd')}"
        lines.append(
            f"| {row['model']} | {weights} | {tool} | {nodes} | {shapes} | {row['time_s']:.2f} | "
            f"{row['peak_bytes'] / 2**20:.0f} | {_num(row.get('peak_over_weights'), '.2f')} | {_diff(row)} | |")
    lines += ["", "Nodes after cleanup (original in the first column; `fail` = the tool failed or its output does not run):", ""]
    lines.append("| model | original | " + " | ".join(tools) + " |")
    lines.append("| --- | ---: | " + " | ".join("---:" for _ in tools) + " |")
    by_model: dict[str, dict[str, dict]] = {}
    for row in rows:
        by_model.setdefault(row["model"], {})[row["tool"]] = row
    for model, cells in by_model.items():
        before = next((c.get("nodes_before") for c in cells.values() if c.get("nodes_before") is not None), None)
        values = []
        for tool in tools:
            cell = cells.get(tool, {})
            if "error" in cell or "check_error" in cell:
                values.append("fail")
            else:
                values.append(_num(cell.get("nodes_after"), "d"))
        lines.append(f"| {model} | {_num(before, 'd')} | " + " | ".join(values) + " |")
    ratios = []
    for model, cells in by_model.items():
        if not model.startswith("bert_full"):
            continue
        forge, slim = cells.get("onnxforge", {}), cells.get("onnxslim", {})
        if "time_s" in forge and "time_s" in slim:
            ratios.append(f"{model}: time(onnxforge {pipeline}) / time(onnxslim) = "
                          f"{forge['time_s']:.2f} s / {slim['time_s']:.2f} s = {forge['time_s'] / slim['time_s']:.3f}")
    if ratios:
        lines += [""] + [f"- {r}" for r in ratios]
    return "\n".join(lines)


def _parse_dims(text: str) -> dict[str, int]:
    dims = {}
    for pair in filter(None, text.split(",")):
        key, _, value = pair.partition("=")
        dims[key.strip()] = int(value)
    return dims


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("models", nargs="*", help="model names (e.g. bert_full_ts) or paths; default: the corpus "
                        "(every arch × both exporters) and any other .onnx in benchmarks/models")
    parser.add_argument("--repeat", type=int, default=3, help="fresh-process runs per model × tool (median)")
    parser.add_argument("--tools", default=",".join(TOOLS))
    parser.add_argument("--pipeline", default="cleanup", help="forgec pipeline for onnxforge (default cleanup)")
    parser.add_argument("--dims", type=_parse_dims, default=_parse_dims("batch=2,sequence=16"),
                        help="symbolic dims for the onnxruntime check (default batch=2,sequence=16)")
    parser.add_argument("--skip-large", action="store_true", help="skip models whose weights pass 2 GiB (llama)")
    parser.add_argument("--build", action="store_true", help="first export the missing corpus models (models extra)")
    parser.add_argument("--timeout", type=float, default=1800, help="seconds per tool run / check (default 1800)")
    parser.add_argument("--output", type=Path, default=RESULTS / "cleanup_peers.json")
    args = parser.parse_args()
    tools = [t.strip() for t in args.tools.split(",") if t.strip()]
    unknown = [t for t in tools if t not in peers.TOOLS]
    if unknown:
        parser.error(f"unknown tools {unknown} (known: {', '.join(peers.TOOLS)})")
    targets = []  # (name, path)
    for item in args.models:
        given = Path(item)
        if given.suffix == ".onnx" and given.exists():
            targets.append((given.stem, given.resolve()))
        else:
            name = given.name.removesuffix(".onnx")
            targets.append((name, MODELS / f"{name}.onnx"))
    if not targets:
        names = corpus() + sorted(p.stem for p in MODELS.glob("*.onnx") if p.stem not in corpus())
        targets = [(name, MODELS / f"{name}.onnx") for name in names]
    if args.build:
        build([name for name, _ in targets])
    if args.repeat < 1:
        return 0
    rows: list[dict] = []
    meta = {
        "date": datetime.datetime.now().isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "repeat": args.repeat, "pipeline": args.pipeline, "dims": args.dims,
        "versions": {tool: peers.version(tool) for tool in tools} | {"onnxruntime": _dist("onnxruntime"), "onnx": _dist("onnx")},
        "command": " ".join([Path(sys.argv[0]).name, *sys.argv[1:]]),
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    for name, path in targets:
        rows.extend(bench_model(name, path, tools, args))
        args.output.write_text(json.dumps({"meta": meta, "rows": rows}, indent=1))  # after each model
    print(markdown(rows, tools, args.pipeline))
    return 0


def _dist(name: str) -> str:
    from importlib.metadata import version

    return version(name)


if __name__ == "__main__":
    sys.exit(main())
