#!/usr/bin/env python3
"""Round-trip benchmark: import → IR → export of full-size models; time and peak memory.

Each measurement runs in a fresh process (so peak RSS is that run's own) and
is repeated; the table gives medians. Compared in the same run with the
plain onnx library (``onnx.load`` + ``onnx.save``) and with onnx_ir (the IR
under onnxscript), which do the same job without an optimizing IR.

    python benchmarks/build_models.py            # once: export the models (needs the models extra)
    python benchmarks/roundtrip.py --repeat 5    # prints a Markdown table, writes results/roundtrip.json

Peak memory is the process's peak resident set (VmHWM) minus its resident set
just before loading, so interpreter and library start-up are not counted;
memory-mapped weight pages that are read count as resident.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MODELS = ROOT / "benchmarks" / "models"
RESULTS = ROOT / "benchmarks" / "results"

CHILD = r'''
import json, sys, time, os
def rss(field):
    for line in open("/proc/self/status"):
        if line.startswith(field):
            return int(line.split()[1]) * 1024
tool, src, dst, external = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4] == "1"
location = os.path.basename(dst) + ".data"
if tool == "onnxforge":
    from onnxforge.compiler import to_ir
    from onnxforge.onnxio.loader import load
    from onnxforge.onnxio.exporter import export_model
    from onnxforge.onnxio.writer import write_model
    base = rss("VmRSS:")
    t0 = time.perf_counter()
    module = to_ir(load(src))
    t1 = time.perf_counter()
    write_model(export_model(module), dst)
    t2 = time.perf_counter()
elif tool == "onnx":
    import onnx
    base = rss("VmRSS:")
    t0 = time.perf_counter()
    model = onnx.load(src)
    t1 = time.perf_counter()
    onnx.save(model, dst, save_as_external_data=external, location=location)
    t2 = time.perf_counter()
elif tool == "onnx_ir":
    import onnx_ir
    base = rss("VmRSS:")
    t0 = time.perf_counter()
    model = onnx_ir.load(src)
    t1 = time.perf_counter()
    onnx_ir.save(model, dst, external_data=location if external else None)
    t2 = time.perf_counter()
print(json.dumps({"import_s": t1 - t0, "export_s": t2 - t1, "total_s": t2 - t0, "peak_bytes": rss("VmHWM:") - base}))
'''


def weights_of(path: Path) -> tuple[int, bool]:
    """Weight bytes of a model, and whether they live in external data."""
    from onnxforge.onnxio.loader import load

    loaded = load(path)
    external = any(t.external_data for t in loaded.proto.graph.initializer)
    total = 0
    for tensor, raw in zip(loaded.proto.graph.initializer, loaded.initializer_data):
        if raw is not None:
            total += raw.nbytes
        elif tensor.external_data:
            total += int(next(e.value for e in tensor.external_data if e.key == "length"))
    return total, external


def measure(tool: str, model: Path, external: bool) -> dict:
    os.sync()  # start each run without the previous run's dirty pages being flushed under it
    with tempfile.TemporaryDirectory(dir=MODELS) as tmp:
        out = Path(tmp) / "out.onnx"
        result = subprocess.run([sys.executable, "-c", CHILD, tool, str(model), str(out), "1" if external else "0"], capture_output=True, text=True)
        if result.returncode != 0:
            return {"error": result.stderr.strip().splitlines()[-1]}
        return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("models", nargs="*", type=Path, help="default: every .onnx in benchmarks/models")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--tools", default="onnxforge,onnx,onnx_ir")
    args = parser.parse_args()
    models = args.models or sorted(MODELS.glob("*.onnx"))
    tools = args.tools.split(",")
    rows = []
    for model in models:
        weights, external = weights_of(model)
        for tool in tools:
            runs = [measure(tool, model, external) for _ in range(args.repeat)]  # tools in turn per model
            good = [r for r in runs if "error" not in r]
            if not good:
                rows.append({"model": model.stem, "tool": tool, "error": runs[0]["error"]})
                print(f"{model.stem} {tool}: {runs[0]['error']}", file=sys.stderr)
                continue
            row = {"model": model.stem, "tool": tool, "weights_bytes": weights, "runs": len(good)}
            for key in ("import_s", "export_s", "total_s", "peak_bytes"):
                row[key] = statistics.median(r[key] for r in good)
            row["peak_over_weights"] = row["peak_bytes"] / weights
            rows.append(row)
            print(f"{model.stem} {tool}: {row['total_s']:.2f} s, peak {row['peak_bytes'] / 2**20:.0f} MiB", file=sys.stderr)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "roundtrip.json").write_text(json.dumps(rows, indent=1))
    print("| model | weights | tool | import s | export s | total s | peak MiB | peak / weights |")
    print("| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: |")
    for row in rows:
        if "error" in row:
            print(f"| {row['model']} | | {row['tool']} | error: {row['error'][:60]} | | | | |")
            continue
        print(
            f"| {row['model']} | {row['weights_bytes'] / 2**20:.0f} MiB | {row['tool']} | {row['import_s']:.2f} | "
            f"{row['export_s']:.2f} | {row['total_s']:.2f} | {row['peak_bytes'] / 2**20:.0f} | {row['peak_over_weights']:.2f} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
