#!/usr/bin/env python3
"""Validate the roofline cost model against measured latencies; write benchmarks/results/cost_validation.json.

Two validations, each with prior, in-sample and held-out (leave-one-family-out) scores:

``--orin``  the Jetson AGX Orin 50 W reference (shared/data/orin_agx_50w_measured.csv, PyTorch eager
            on a real board) against the ``orin-agx-50w`` target with the eager execution model, on
            the torchvision exports of ``build_torchvision.py`` (benchmarks/models/tv/).
``--host``  this CPU: calibrate the ``host`` target with the micro-benchmarks (``forgec calibrate``),
            then measure every model of the corpus — benchmarks/models/*.onnx (built by
            build_models.py) and the torchvision exports — with onnxruntime in the same run, under one
            protocol (see ``Protocol.describe``), and score the ``ort`` execution model's estimates.
            Symbolic dims are bound to batch=1, sequence=128.

Timings on a shared machine are noisy: ``--repeats 3`` for debugging; the published numbers come from
the default protocol on a quiet machine. Models missing on disk are skipped (and listed).

    python benchmarks/cost_validation.py --orin
    python benchmarks/cost_validation.py --host [--repeats 10] [--only bert,resnet] [--skip llama]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
from dataclasses import asdict
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
MODELS = ROOT / "benchmarks" / "models"
TV = MODELS / "tv"
RESULT = ROOT / "benchmarks" / "results" / "cost_validation.json"
ORIN_CSV = ROOT.parent / "shared" / "data" / "orin_agx_50w_measured.csv"
DIMS = {"batch": 1, "sequence": 128}

sys.path.insert(0, str(ROOT / "benchmarks"))
from build_torchvision import MODELS as TV_FAMILIES

from onnxforge.compiler import load_ir
from onnxforge.cost.calibrate import Protocol, calibrate, latency_seconds, session
from onnxforge.cost.fit import Sample
from onnxforge.cost.hardware import load_target
from onnxforge.cost.model import analyze
from onnxforge.cost.validate import Validation, read_measurements, samples_for, validate

# full-size corpus: file stem prefix -> family (the BERT-style encoders are one family)
CORPUS_FAMILIES = {"bert": "bert", "distilbert": "bert", "roberta": "bert", "gpt2": "gpt2", "llama": "llama",
                   "vit": "vit", "whisper_encoder": "whisper", "resnet": "resnet", "mobilenet_v2": "mobilenet",
                   "efficientnet_b0": "efficientnet"}


def corpus() -> list[tuple[str, str, Path]]:
    """(name, family, path) of every model on disk that the host validation measures."""
    found = []
    for path in sorted(MODELS.glob("*_full_*.onnx")):
        stem = re.sub(r"_full_(ts|dynamo)$", "", path.stem)
        if stem in CORPUS_FAMILIES:
            found.append((path.stem, CORPUS_FAMILIES[stem], path))
    for name, family in TV_FAMILIES.items():
        path = TV / f"{name}.onnx"
        if path.is_file():
            found.append((f"tv_{name}", family, path))
    return found


def feeds(sess, dims: dict[str, int]) -> dict[str, np.ndarray]:  # type: ignore[no-untyped-def]
    """Inputs for a session: symbolic dims bound by ``dims``; token ids small, masks all ones."""
    rng = np.random.default_rng(0)
    out = {}
    for arg in sess.get_inputs():
        shape = [d if isinstance(d, int) else dims.get(str(d), 1) for d in arg.shape]
        if "int64" in arg.type:
            out[arg.name] = (np.ones(shape, np.int64) if "mask" in arg.name
                             else rng.integers(0, 1000, size=shape, dtype=np.int64))
        else:
            out[arg.name] = rng.standard_normal(shape, dtype=np.float32)
    return out


def measure(path: Path, protocol: Protocol) -> float:
    sess = session(path, protocol)
    return latency_seconds(sess, feeds(sess, DIMS), protocol)


def run_orin() -> Validation:
    target = load_target("orin-agx-50w")
    measured = read_measurements(ORIN_CSV)
    missing = [m.model for m in measured if not (TV / f"{m.model}.onnx").is_file()]
    if missing:
        raise SystemExit(f"missing torchvision exports {missing}: run benchmarks/build_torchvision.py first")
    samples = samples_for(measured, TV, target.execution, load_ir)
    return validate(samples, target, conditions={
        "measurements": "shared/data/orin_agx_50w_measured.csv (PyTorch 2.1 eager on the board, FP32, convs TF32; "
                        "median of 100 runs after 50 warm-up)",
        "models": "benchmarks/build_torchvision.py: torchvision 0.28, weights=None, TorchScript exporter opset 17, "
                  "BatchNormalization kept, 1x3x224x224",
        "execution": target.execution})


def run_host(protocol: Protocol, only: list[str], skip: list[str], quick_calibration: bool) -> tuple[Validation, dict]:
    load_before = os.getloadavg()
    start = time.perf_counter()
    target, measurements = calibrate(quick_calibration, protocol)
    print(f"calibrated in {time.perf_counter() - start:.0f} s: {target.summary()}", flush=True)
    samples: list[Sample] = []
    skipped = []
    for name, family, path in corpus():
        if (only and not any(o in name for o in only)) or any(s in name for s in skip):
            skipped.append(name)
            continue
        t0 = time.perf_counter()
        kernels = analyze(load_ir(path), DIMS, target.execution).kernels
        t1 = time.perf_counter()
        seconds = measure(path, protocol)
        samples.append(Sample(name, family, seconds, kernels))
        print(f"  {name:34s} {family:12s} measured {seconds * 1e3:9.2f} ms  ({len(kernels)} kernels; "
              f"costed in {t1 - t0:.1f} s, timed in {time.perf_counter() - t1:.1f} s)", flush=True)
    load = [round(x, 2) for x in (*load_before, *os.getloadavg())]
    print(f"load average (1, 5, 15 min) before {load[:3]}, after {load[3:]} on {os.cpu_count()} CPUs", flush=True)
    validation = validate(samples, target, conditions={
        "protocol": protocol.describe(), "dims": DIMS, "execution": target.execution, "skipped": skipped,
        "load_average_before_after": load, "cpus": os.cpu_count(), "seconds": round(time.perf_counter() - start),
        "calibration": [asdict(m) for m in measurements], "calibrated_target": target.to_json()})
    return validation, {"protocol": protocol.to_json()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orin", action="store_true", help="validate orin-agx-50w on the reference CSV")
    parser.add_argument("--host", action="store_true", help="calibrate and validate this host (minutes)")
    parser.add_argument("--repeats", type=int, default=10, help="timed runs per model (median; default 10)")
    parser.add_argument("--budget", type=float, default=10.0, help="seconds of timed runs per model at most")
    parser.add_argument("--no-pin", action="store_true")
    parser.add_argument("--statistic", choices=["median", "min", "node-min"], default="median",
                        help="min, node-min: for debugging on a busy machine (the published protocol is the median)")
    parser.add_argument("--only", default="", help="comma-separated substrings of model names to measure")
    parser.add_argument("--skip", default="", help="comma-separated substrings of model names to leave out")
    parser.add_argument("--quick-calibration", action="store_true")
    parser.add_argument("-o", "--output", type=Path, default=RESULT)
    args = parser.parse_args(argv)
    if not (args.orin or args.host):
        parser.error("give --orin, --host or both")
    results = json.loads(args.output.read_text()) if args.output.is_file() else {}
    if args.orin:
        orin = run_orin()
        results["orin"] = orin.to_json()
        print(orin.markdown("Jetson AGX Orin 64GB, 50 W (orin-agx-50w, eager)"))
    if args.host:
        protocol = Protocol(repeats=args.repeats, budget_s=args.budget, pin=not args.no_pin, warmup=2,
                            statistic=args.statistic)
        host, extra = run_host(protocol, [o for o in args.only.split(",") if o], [s for s in args.skip.split(",") if s],
                               args.quick_calibration)
        results["host"] = {**host.to_json(), **extra}
        print(host.markdown(f"host CPU (onnxruntime, {protocol.threads} threads), batch 1, sequence 128"))
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, indent=1) + "\n")
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
