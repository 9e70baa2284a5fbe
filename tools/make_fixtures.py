"""Regenerate the ONNX test fixtures in tests/fixtures/ from tiny random Hugging Face models.

Why: onnxforge's tests need graphs exactly as the two torch exporters emit them (TorchScript
tracer and torch.export/dynamo), for the architectures people actually deploy, without network
access. Each fixture is validated before it is kept:

* ``onnx.checker.check_model(full_check=True)`` (includes strict shape inference);
* one onnxruntime CPU run with a batch and sequence length different from the export example,
  compared against PyTorch, which proves the dynamic axes really are dynamic.

Usage: ``python tools/make_fixtures.py [--only ARCH ...] [--out DIR]``.
A markdown summary table (used in tests/fixtures/README.md) is printed at the end.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import logging
import os
import sys
import traceback
import warnings

import numpy as np
import onnx
import onnxruntime as ort
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hf_zoo

FIXTURE_ARCHS = ["bert", "gpt2", "vit", "llama", "whisper_encoder", "resnet", "mobilenet_v2"]
EXPORTERS = {"ts": "torchscript", "dynamo": "dynamo"}
# Check shapes: deliberately different from hf_zoo.EXAMPLE_BATCH / EXAMPLE_SEQ (2, 8).
CHECK_BATCH, CHECK_SEQ = 3, 13
ATOL = 1e-4


def _dims(value_info) -> list:
    return [d.dim_param or d.dim_value for d in value_info.type.tensor_type.shape.dim]


def verify(arch: str, model, path: str) -> None:
    """Check the file, then compare onnxruntime with PyTorch at other batch/sequence sizes."""
    onnx.checker.check_model(path, full_check=True)
    inputs = hf_zoo.make_inputs(arch, model.config, CHECK_BATCH, CHECK_SEQ, seed=1)
    sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    got = sess.run(None, {k: v.numpy() for k, v in inputs.items()})
    with torch.no_grad():
        ref = model(**inputs)
    for out, val in zip(sess.get_outputs(), got):
        want = ref[out.name].numpy()
        if val.shape != want.shape:
            raise AssertionError(f"{out.name}: shape {val.shape} != torch {want.shape}")
        err = float(np.abs(val - want).max())
        if err > ATOL:
            raise AssertionError(f"{out.name}: max abs error {err:.2e} > {ATOL}")


def summary_row(path: str) -> str:
    m = onnx.load(path)
    opset = next(o.version for o in m.opset_import if o.domain in ("", "ai.onnx"))
    ins, outs = ([f"`{v.name}` {_dims(v)}" for v in vs] for vs in (m.graph.input, m.graph.output))
    return (f"| {os.path.basename(path)} | {os.path.getsize(path) / 1024:.0f} KB "
            f"| {len(m.graph.node)} | {opset} | {', '.join(ins)} | {', '.join(outs)} |")


def make(arch: str, tag: str, out_dir: str) -> str:
    """Build, export and verify one fixture; return its path. Exporter chatter is captured
    and only shown if the export fails."""
    model, inputs, axes = hf_zoo.build(arch, "tiny")
    path = os.path.join(out_dir, f"{arch}_{tag}.onnx")
    log = io.StringIO()
    try:
        with warnings.catch_warnings(), contextlib.redirect_stdout(log):
            warnings.simplefilter("ignore")
            hf_zoo.export(model, inputs, path, EXPORTERS[tag], axes)
    except Exception:
        sys.stdout.write(log.getvalue())
        raise
    if os.path.exists(path + ".data"):
        raise AssertionError("weights were written to an external .data file")
    verify(arch, model, path)
    return path


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--only", action="append", choices=sorted(hf_zoo.ARCHS), metavar="ARCH",
                    help="architecture to (re)generate; repeatable (default: all fixtures)")
    ap.add_argument("--out", default=os.path.join("tests", "fixtures"), help="output directory")
    args = ap.parse_args(argv)
    logging.getLogger("torch.onnx").setLevel(logging.ERROR)  # "torchvision is not installed"
    os.makedirs(args.out, exist_ok=True)

    rows, failed = [], []
    for arch in args.only or FIXTURE_ARCHS:
        for tag in EXPORTERS:
            try:
                path = make(arch, tag, args.out)
            except Exception as e:  # keep going: report every broken combination at the end
                traceback.print_exc()
                failed.append(f"{arch}/{EXPORTERS[tag]}: {type(e).__name__}: {e}")
                print(f"SKIP {arch}_{tag}: {failed[-1]}", flush=True)
                continue
            rows.append(summary_row(path))
            print(f"ok   {path}", flush=True)

    print("\n| file | size | nodes | opset | inputs | outputs |\n|---|---|---|---|---|---|")
    print("\n".join(rows))
    for f in failed:
        print(f"FAILED {f}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
