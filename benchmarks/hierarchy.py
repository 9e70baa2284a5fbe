#!/usr/bin/env python3
"""Module tags on full-size models: coverage, depth, time against a plain ``torch.onnx.export``, and
every layer extracted and verified.

For each model (random weights, ``tools/hf_zoo.py``'s full-size configurations) and exporter:

* the plain export (``torch.onnx.export(dynamo=True)`` with its defaults, or ``dynamo=False``) and
  ``onnxforge.export(..., pipeline=None)`` are timed, interleaved, ``--rounds`` times each: medians;
* the tagged file's coverage: nodes tagged (100 % is required), the share the exporter tagged itself,
  the share below the root, the nodes that inherited a tag;
* ``--extract``: every ``encoder.layer.N`` / ``h.N`` / ``layers.N`` extracted with ``forgec extract
  --verify`` (max |Δ| against the full model's intermediate values);
* the tags after ``forgec --pipeline=transformer`` for each target.

    python benchmarks/hierarchy.py bert --rounds 2 --extract --json benchmarks/results/hierarchy.json
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))

LAYERS = {"bert": "encoder.layer.{}", "gpt2": "h.{}", "llama": "layers.{}", "vit": "encoder.layer.{}"}


def _plain(model, inputs, axes, exporter: str, path: Path) -> None:  # type: ignore[no-untyped-def]
    import hf_zoo

    hf_zoo.export(model, inputs, path, exporter, axes)


def _dims(inputs, text: bool):  # type: ignore[no-untyped-def]
    import torch

    batch, seq = torch.export.Dim("batch"), torch.export.Dim("sequence")
    return {n: ({0: batch, 1: seq} if text and v.dtype == torch.int64 else {0: batch}) for n, v in inputs.items()}


def measure(arch: str, exporter: str, rounds: int, extract: bool, folder: Path) -> dict:  # type: ignore[type-arg]
    import hf_zoo
    import onnx

    import onnxforge
    from onnxforge.onnxio.hierarchy import coverage

    model, inputs, axes = hf_zoo.build(arch, "full")
    text = hf_zoo.ARCHS[arch].inputs == "text"
    plain_s, tagged_s = [], []
    tagged = folder / f"{arch}_{exporter}_tagged.onnx"
    report = None
    for _ in range(rounds):
        start = time.perf_counter()
        _plain(model, inputs, axes, exporter, folder / "plain.onnx")
        plain_s.append(time.perf_counter() - start)
        gc.collect()
        start = time.perf_counter()
        report = onnxforge.export(model, (), tagged, kwargs=inputs, dynamic_shapes=_dims(inputs, text),
                                  exporter=exporter, pipeline=None)
        tagged_s.append(time.perf_counter() - start)
        gc.collect()
    assert report is not None
    found = coverage(onnx.load(tagged, load_external_data=False))
    result = {
        "model": f"{arch} (full)", "exporter": exporter, "nodes": found.total,
        "tagged_percent": round(found.percent, 2),
        "by_exporter_percent": round(100 * (found.by_source["exporter"] + found.by_source["functional"]) / found.total, 2),
        "below_root_percent": round(100 * found.below_root / found.total, 2),
        "inherited": found.by_source["inherited"], "unresolved": len(found.unresolved),
        "plain_export_s": round(statistics.median(plain_s), 2), "tagged_export_s": round(statistics.median(tagged_s), 2),
        "ratio": round(statistics.median(tagged_s) / statistics.median(plain_s), 3),
    }
    print(json.dumps(result), flush=True)
    if extract and arch in LAYERS:
        layers = getattr(model.config, "num_hidden_layers", None) or model.config.n_layer
        worst, failed = 0.0, []
        for index in range(layers):
            out = folder / "layer.onnx"
            run = subprocess.run([sys.executable, "-m", "onnxforge.cli.forgec", "extract", str(tagged), "--module",
                                  LAYERS[arch].format(index), "-o", str(out), "--verify", "--dim", "batch=2",
                                  "--dim", "sequence=16"], capture_output=True, text=True)
            if run.returncode != 0:
                failed.append(f"{index}: {run.stderr.strip()}")
            else:
                shown = run.stderr.split("max |Δ| ", 1)[-1].split(";")[0]  # "name 0, name2 1.2e-07; wrote …"
                worst = max([worst, *(float(item.split()[-1]) for item in shown.split(", ") if item.split())])
        result["layers_extracted"] = layers - len(failed)
        result["layers"] = layers
        result["extract_max_abs_diff"] = worst
        result["extract_failures"] = failed[:3]
    for target in ("standard", "ort", "tensorrt"):
        out = folder / "compiled.onnx"
        run = subprocess.run([sys.executable, "-m", "onnxforge.cli.forgec", str(tagged), "-o", str(out),
                              "--pipeline=transformer", f"--target={target}", "-q"], capture_output=True, text=True)
        if run.returncode == 0:
            after = coverage(onnx.load(out, load_external_data=False))
            result[f"after_{target}"] = f"{after.tagged}/{after.total}"
        else:
            result[f"after_{target}"] = run.stderr.strip()[:200]
    del model
    gc.collect()
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("archs", nargs="*", default=["bert"])
    parser.add_argument("--exporters", default="dynamo,torchscript")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--extract", action="store_true")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    results = []
    with tempfile.TemporaryDirectory(prefix="forge-hierarchy-") as folder:
        for arch in args.archs:
            for exporter in args.exporters.split(","):
                result = measure(arch, exporter, args.rounds, args.extract, Path(folder))
                print(json.dumps(result), flush=True)
                results.append(result)
    if args.json:
        args.json.write_text(json.dumps(results, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
