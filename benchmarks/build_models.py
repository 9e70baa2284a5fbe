#!/usr/bin/env python3
"""Export the full-size benchmark models (random weights) into benchmarks/models/ (not committed).

Needs the ``models`` extra (torch, transformers). Skips files that already exist.

    python benchmarks/build_models.py                      # bert, gpt2, llama (TinyLlama-1.1B size), TorchScript
    python benchmarks/build_models.py bert --exporter dynamo
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
MODELS = ROOT / "benchmarks" / "models"
SUFFIX = {"torchscript": "ts", "dynamo": "dynamo"}


def model_path(arch: str, exporter: str) -> Path:
    return MODELS / f"{arch}_full_{SUFFIX[exporter]}.onnx"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("archs", nargs="*", default=["bert", "gpt2", "llama"])
    parser.add_argument("--exporter", choices=list(SUFFIX), action="append")
    args = parser.parse_args()
    import hf_zoo

    MODELS.mkdir(parents=True, exist_ok=True)
    for exporter in args.exporter or ["torchscript"]:
        for arch in args.archs:
            path = model_path(arch, exporter)
            if path.exists():
                print(f"{path.name}: exists")
                continue
            start = time.perf_counter()
            model, inputs, axes = hf_zoo.build(arch, "full")
            hf_zoo.export(model, inputs, path, exporter, axes)
            del model
            gc.collect()
            print(f"{path.name}: exported in {time.perf_counter() - start:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
