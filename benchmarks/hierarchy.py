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

LAYERS = {"bert": ["encoder.layer.{}"], "gpt2": ["h.{}"], "llama": ["layers.{}"], "vit": ["layers.{}", "encoder.layer.{}"],
          "whisper": ["encoder.layers.{}", "decoder.layers.{}"], "t5": ["encoder.block.{}", "decoder.block.{}"],
          "resnet18": ["encoder.stages.{}"]}
"""The repeated layers extracted one by one (each ``{}`` counted up from 0 while the module exists)."""
ARCHS = ("bert", "gpt2", "llama", "vit", "whisper", "t5", "resnet18")


def build(arch: str):  # type: ignore[no-untyped-def]
    """``(model, kwargs, dynamic_shapes)`` at full size, random weights (seed 0)."""
    import hf_zoo
    import torch
    import transformers as tf

    torch.manual_seed(hf_zoo.SEED)
    g = torch.Generator().manual_seed(hf_zoo.SEED)
    batch, seq, dec = torch.export.Dim("batch"), torch.export.Dim("sequence"), torch.export.Dim("decoder_sequence")
    if arch in ("bert", "gpt2", "llama", "vit"):
        model, inputs, _ = hf_zoo.build(arch, "full")
        text = hf_zoo.ARCHS[arch].inputs == "text"
        return model, inputs, {n: ({0: batch, 1: seq} if text else {0: batch}) for n in inputs}
    if arch == "whisper":  # whisper-tiny, encoder and decoder
        config = hf_zoo.ARCHS["whisper_encoder"].config("full")
        model = tf.WhisperModel(config).eval()
        inputs = {"input_features": torch.randn(2, config.num_mel_bins, 3000, generator=g),
                  "decoder_input_ids": torch.randint(3, config.vocab_size, (2, 8), generator=g)}
        return model, inputs, {"input_features": {0: batch}, "decoder_input_ids": {0: batch, 1: dec}}
    if arch == "t5":  # t5-small
        config = tf.T5Config(vocab_size=32128, d_model=512, d_kv=64, d_ff=2048, num_layers=6, num_heads=8,
                             use_cache=False, decoder_start_token_id=0)
        model = tf.T5Model(config).eval()
        inputs = {"input_ids": torch.randint(3, 32128, (2, 16), generator=g), "attention_mask": torch.ones(2, 16, dtype=torch.int64),
                  "decoder_input_ids": torch.randint(3, 32128, (2, 8), generator=g)}
        return model, inputs, {"input_ids": {0: batch, 1: seq}, "attention_mask": {0: batch, 1: seq},
                               "decoder_input_ids": {0: batch, 1: dec}}
    if arch == "resnet18":  # microsoft/resnet-18's configuration
        config = tf.ResNetConfig(embedding_size=64, hidden_sizes=[64, 128, 256, 512], depths=[2, 2, 2, 2], layer_type="basic")
        model = tf.ResNetModel(config).eval()
        return model, {"pixel_values": torch.randn(2, 3, 224, 224, generator=g)}, {"pixel_values": {0: batch}}
    raise ValueError(arch)


def _plain(model, inputs, shapes, exporter: str, path: Path) -> None:  # type: ignore[no-untyped-def]
    """The export a user makes without onnxforge: torch.onnx.export with its defaults."""
    import torch

    with torch.no_grad():
        if exporter == "dynamo":
            torch.onnx.export(model, (), str(path), kwargs=inputs, dynamic_shapes=shapes, dynamo=True)
        else:
            from onnxforge.frontend.torch_export import dynamic_axes, forward_taking

            names = list(inputs)
            with forward_taking(model, 0, names):
                torch.onnx.export(model, tuple(inputs.values()), str(path), dynamo=False, input_names=names,
                                  dynamic_axes=dynamic_axes(shapes, names))


def _tag(node):  # type: ignore[no-untyped-def]
    from onnxforge.ir.hierarchy import Tag

    return Tag.from_props({e.key: e.value for e in node.metadata_props})


def measure(arch: str, exporter: str, rounds: int, extract: bool, folder: Path) -> dict:  # type: ignore[type-arg]
    import onnx

    import onnxforge
    from onnxforge.onnxio.hierarchy import coverage

    model, inputs, shapes = build(arch)
    plain_s, tagged_s = [], []
    tagged = folder / f"{arch}_{exporter}_tagged.onnx"
    report = None
    for _ in range(rounds):
        start = time.perf_counter()
        try:
            _plain(model, inputs, shapes, exporter, folder / "plain.onnx")
        except Exception as err:  # the exporter's own limit (Whisper's aten::diff under TorchScript): recorded
            return {"model": f"{arch} (full)", "exporter": exporter, "error": f"plain export: {str(err).splitlines()[0][:300]}"}
        plain_s.append(time.perf_counter() - start)
        gc.collect()
        start = time.perf_counter()
        try:
            report = onnxforge.export(model, (), tagged, kwargs=inputs, dynamic_shapes=shapes, exporter=exporter,
                                      pipeline=None)
        except onnxforge.ForgeError as err:  # an exporter's own limit (recorded, not hidden)
            return {"model": f"{arch} (full)", "exporter": exporter, "error": str(err)[:300]}
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
    root = [t for n in onnx.load(tagged, load_external_data=False).graph.node
            if (t := _tag(n)) is not None and t.module == ""]
    result["root_nodes"] = {source: sum(t.source == source for t in root) for source in sorted({t.source for t in root})}
    result["root_functions"] = sorted({t.function for t in root if t.function})
    if extract and arch in LAYERS:
        paths = {t.module for n in onnx.load(tagged, load_external_data=False).graph.node if (t := _tag(n)) is not None}
        modules = [p.format(i) for p in LAYERS[arch] for i in range(1000)
                   if any(q == p.format(i) or q.startswith(p.format(i) + ".") for q in paths)]
        worst, failed = 0.0, []
        for module in modules:
            out = folder / "layer.onnx"
            run = subprocess.run([sys.executable, "-m", "onnxforge.cli.forgec", "extract", str(tagged), "--module",
                                  module, "-o", str(out), "--verify", "--dim", "batch=2", "--dim", "sequence=16",
                                  "--dim", "decoder_sequence=8"], capture_output=True, text=True)
            if run.returncode != 0:
                failed.append(f"{module}: {run.stderr.strip()[:200]}")
            else:
                shown = run.stderr.split("max |Δ| ", 1)[-1].split(";")[0]  # "name 0, name2 1.2e-07; wrote …"
                worst = max([worst, *(float(item.split()[-1]) for item in shown.split(", ") if item.split())])
        result["layers_extracted"] = len(modules) - len(failed)
        result["layers"] = len(modules)
        result["extract_max_abs_diff"] = worst
        result["extract_failures"] = failed[:3]
    for target in ("standard", "ort", "tensorrt"):
        out = folder / "compiled.onnx"
        run = subprocess.run([sys.executable, "-m", "onnxforge.cli.forgec", str(tagged), "-o", str(out),
                              "--pipeline=transformer", f"--target={target}", "-q"], capture_output=True, text=True)
        if run.returncode == 0:
            after = coverage(onnx.load(out, load_external_data=False))
            result[f"after_{target}"] = f"{after.tagged}/{after.total}"
            result[f"after_{target}_below_root_percent"] = round(100 * after.below_root / after.total, 2)
        else:
            result[f"after_{target}"] = run.stderr.strip()[:200]
    del model
    gc.collect()
    return result


def table(rows: list[dict]) -> str:  # type: ignore[type-arg]
    """The README's table: one row per model and exporter, in ``ARCHS`` order."""
    head = ("| model | exporter | nodes | tagged | by the exporter | below the root (root: functional / inherited) "
            "| export with tags / plain | layers extracted, max \\|Δ\\| | after transformer: tagged, below the root "
            "(standard / ort / tensorrt) |\n|---|---|---|---|---|---|---|---|---|")
    lines = [head]
    order = {f"{arch} (full)": i for i, arch in enumerate(ARCHS)}
    for r in sorted(rows, key=lambda r: (order.get(r["model"], len(order)), r["exporter"])):
        model = r["model"].removesuffix(" (full)")
        if "error" in r:
            lines.append(f"| {model} | {r['exporter']} | – | – | – | – | the exporter fails: {r['error'][:80]}… | – | – |")
            continue
        root = r.get("root_nodes", {})
        layers = (f"{r['layers_extracted']}/{r['layers']}, {r['extract_max_abs_diff']}" if "layers" in r else "not run")
        after = " / ".join(f"{r.get(f'after_{t}', '–')} {r.get(f'after_{t}_below_root_percent', '–')} %"
                           for t in ("standard", "ort", "tensorrt"))
        lines.append(f"| {model} | {r['exporter']} | {r['nodes']} | {r['tagged_percent']} % | {r['by_exporter_percent']} % "
                     f"({r['inherited']} inherited) | {r['below_root_percent']} % ({root.get('functional', 0)} / "
                     f"{root.get('inherited', 0)}) | {r['tagged_export_s']} / {r['plain_export_s']} s = {r['ratio']} | "
                     f"{layers} | {after} |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("archs", nargs="*", help=f"of {', '.join(ARCHS)} (default: every one)")
    parser.add_argument("--exporters", default="dynamo,torchscript")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--extract", action="store_true")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--table", type=Path, help="print the README's table of this results file and stop")
    args = parser.parse_args()
    if unknown := sorted(set(args.archs) - set(ARCHS)):
        parser.error(f"unknown model(s) {', '.join(unknown)}: choose from {', '.join(ARCHS)}")
    if args.table:
        print(table(json.loads(args.table.read_text())))
        return 0
    results = []
    with tempfile.TemporaryDirectory(prefix="forge-hierarchy-") as folder:
        for arch in args.archs or ARCHS:
            for exporter in args.exporters.split(","):
                result = measure(arch, exporter, args.rounds, args.extract, Path(folder))
                print(json.dumps(result), flush=True)
                results.append(result)
    if args.json:  # a run of some models updates their rows and keeps the others'
        kept = json.loads(args.json.read_text()) if args.json.exists() else []
        fresh = {(r["model"], r["exporter"]) for r in results}
        rows = [r for r in kept if (r["model"], r["exporter"]) not in fresh] + results
        args.json.write_text(json.dumps(rows, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
