#!/usr/bin/env python3
"""Decode-step latency of decoders exported with their KV cache: original vs forgec (std-23, ort) vs the peers.

What a deployed decoder spends its time on is the step that reads ``P`` cached positions and
writes one new token, so that is what this measures (onnxruntime CPU, the cost model's host
protocol: 2 intra-op threads pinned, graph optimisations on, denormals flushed), batch 1:

* ``decode128`` / ``decode512``: one new token after 128 / 512 cached positions;
* ``prefill128``: 128 prompt tokens, nothing cached (``past = 0``).

Models (built by ``--build`` into ``benchmarks/models/decoders/``, random weights from the config
classes, one decode step exported by the TorchScript exporter through
``tools/make_decoder_fixtures.DecodeStep``): full-size GPT-2 (124M, 12 heads) and a TinyLlama-1.1B
shaped Llama (22 layers, 32 query heads / 4 KV heads, RoPE; 4.4 GB fp32 in external data).

Each variant is timed against the original in one process, the two sessions alternating run by run
(interleaved; the ratio is of medians), so two copies of a 1B model are the most held at once.
The outputs of each variant are compared with the original's on the same feeds (max |Δ|).

    python benchmarks/decode_latency.py --build                 # export the models (~3 min)
    python benchmarks/decode_latency.py gpt2 tinyllama          # writes benchmarks/results/decode_latency.json
"""

from __future__ import annotations

import argparse
import datetime
import json
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT / "tools"))

import cleanup_peers

MODELS = HERE / "models" / "decoders"
RESULTS = HERE / "results" / "decode_latency.json"
SCENARIOS = {"decode128": (128, 1), "decode512": (512, 1), "prefill128": (0, 128)}
"""name → (cached positions P, new tokens S)."""
OPSET = 23
FILES = {"gpt2": "gpt2_full_past_ts.onnx", "tinyllama": "llama_full_past_ts.onnx"}
"""Named like the other full-size models, so ``peers.architecture`` gives the transformers optimizer its model type."""

VARIANTS: dict[str, tuple[str, str]] = {
    "forge-std": ("onnxforge", f"transformer --target-opset={OPSET}"),
    "forge-ort": ("onnxforge", f"transformer --target=ort --target-opset={OPSET}"),
    "forge-ort-own-opset": ("onnxforge", "transformer --target=ort"),  # the export's opset 14: RoPE in basic ops, MHA
    "onnxslim": ("onnxslim", ""),
    "onnxsim": ("onnxsim", ""),
    "ort-transformers": ("ort-transformers", ""),
}


def _configs() -> dict:
    import transformers as tf

    return {
        "gpt2": (tf.GPT2LMHeadModel, tf.GPT2Config(attn_implementation="eager")),
        "tinyllama": (tf.LlamaForCausalLM, tf.LlamaConfig(
            vocab_size=32000, hidden_size=2048, intermediate_size=5632, num_hidden_layers=22,
            num_attention_heads=32, num_key_value_heads=4, max_position_embeddings=2048, attn_implementation="eager")),
    }


def build(name: str) -> Path:
    """Export one decode step of the full-size ``name`` (TorchScript exporter, opset 14, external data past 2 GB)."""
    import hf_zoo
    import make_decoder_fixtures as fixtures
    import torch

    cls, config = _configs()[name]
    torch.manual_seed(0)
    model = cls(config).eval()
    step = fixtures.DecodeStep(model, fixtures.cache_shape(config)[0])
    feeds = fixtures.example(config, batch=1, past=4, seq=2)
    names, outs = list(feeds), fixtures.output_names(config)
    axes = {"input_ids": {0: "batch", 1: "sequence"}, "attention_mask": {0: "batch", 1: "total"},
            "position_ids": {0: "batch", 1: "sequence"}, "logits": {0: "batch", 1: "sequence"}}
    axes |= {n: {0: "batch", 2: "past_sequence"} for n in names[3:]}
    axes |= {n: {0: "batch", 2: "total"} for n in outs[1:]}
    MODELS.mkdir(parents=True, exist_ok=True)
    path = MODELS / FILES[name]
    big = sum(p.numel() * p.element_size() for p in model.parameters()) > 1 << 30
    start = time.perf_counter()
    with torch.no_grad():
        torch.onnx.export(step, tuple(feeds.values()), str(path), dynamo=False, opset_version=14,
                          do_constant_folding=False, input_names=names, output_names=outs, dynamic_axes=axes)
    if big:
        hf_zoo._single_data_file(str(path))
    fixtures._name_sum(path, external=big)
    print(f"built {path.name} in {time.perf_counter() - start:.0f} s", file=sys.stderr)
    return path


FEEDS = r'''
def feeds(past, seq):
    """One decode step of batch 1: ``seq`` new tokens after ``past`` cached positions (random cache)."""
    rng = np.random.default_rng(0)
    out = {}
    for value in graph.input:
        dims = value.type.tensor_type.shape.dim
        if value.name == "input_ids":
            out[value.name] = rng.integers(0, 1000, (1, seq)).astype(np.int64)
        elif value.name == "attention_mask":
            out[value.name] = np.ones((1, past + seq), np.int64)
        elif value.name == "position_ids":
            out[value.name] = np.arange(past, past + seq, dtype=np.int64)[None]
        else:
            out[value.name] = rng.standard_normal((1, dims[1].dim_value, past, dims[3].dim_value)).astype(np.float32)
    return out
'''
"""The feeds both child scripts build (they read ``graph``, the model's weightless graph)."""

TIMING = r'''
import json, sys
import numpy as np
import onnx
from onnxforge.cost.calibrate import Protocol, session, time_runs
original, variant, scenarios, rounds = sys.argv[1], sys.argv[2], json.loads(sys.argv[3]), int(sys.argv[4])
protocol = Protocol(warmup=0, repeats=1, min_repeats=1, budget_s=0.0)
graph = onnx.load(original, load_external_data=False).graph
FEEDS_HERE
sessions = {"original": session(original, protocol), "variant": session(variant, protocol)}
result = {}
for name, (past, seq) in scenarios.items():
    feed = feeds(past, seq)
    outputs = {k: s.run(None, feed) for k, s in sessions.items()}
    diff = max(float(np.abs(a - b).max()) if a.size else 0.0 for a, b in zip(outputs["original"], outputs["variant"]))
    times = {k: [] for k in sessions}
    for r in range(rounds):
        for k in (("original", "variant") if r % 2 == 0 else ("variant", "original")):
            times[k] += time_runs(lambda: sessions[k].run(None, feed), protocol)
    ms = {k: 1e3 * float(np.median(v)) for k, v in times.items()}
    result[name] = {"original_ms": ms["original"], "variant_ms": ms["variant"],
                    "speedup": ms["original"] / ms["variant"], "max_abs_diff": diff}
result["protocol"] = protocol.describe()
print("\n@@RESULT " + json.dumps(result))
'''.replace("FEEDS_HERE", FEEDS)


PROFILE = r'''
import json, sys
from pathlib import Path
import numpy as np
import onnx
from onnxforge.cost.calibrate import Protocol, session
path, past, seq, runs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
graph = onnx.load(path, load_external_data=False).graph
FEEDS_HERE
feed = feeds(past, seq)
sess = session(path, Protocol(statistic="node-min"))
for _ in range(runs):
    sess.run(None, feed)
fastest, kind = {}, {}
for event in json.loads(Path(sess.end_profiling()).read_text()):
    if event.get("cat") == "Node" and event.get("name", "").endswith("_kernel_time"):
        name = event["name"]
        fastest[name] = min(fastest.get(name, float("inf")), event["dur"] * 1e-3)
        kind[name] = event.get("args", {}).get("op_name", "?")
by_type = {}
for name, ms in fastest.items():
    by_type[kind[name]] = by_type.get(kind[name], 0.0) + ms
print("\n@@RESULT " + json.dumps({"total_ms": sum(by_type.values()), "by_op_ms": by_type}))
'''.replace("FEEDS_HERE", FEEDS)


def profile(path: Path, past: int, seq: int, runs: int, timeout: float) -> dict:
    """onnxruntime's profile of one scenario: per op type, the sum over its nodes of each node's fastest run (ms)."""
    done = subprocess.run([sys.executable, "-c", PROFILE, str(path), str(past), str(seq), str(runs)],
                          capture_output=True, text=True, timeout=timeout, check=False)
    parsed = cleanup_peers._child_result(done.stdout)
    return parsed if parsed is not None else {"error": cleanup_peers._failure(done)}


WEIGHT_OPS = ("MatMul", "Gemm", "FusedMatMul", "MatMulNBits")
"""Op types that read the projection and LM-head weights: a decode step's floor on this memory bus."""


def profiles(name: str, timeout: float) -> dict:
    """The original's and forgec's (ort) decode-step profiles, and the bound the weight products put on any speedup."""
    path = MODELS / FILES[name]
    found: dict = {}
    with tempfile.TemporaryDirectory(dir=MODELS, prefix=f".{name}.") as tmp:
        compiled = Path(tmp) / "forge-ort.onnx"
        tool, pipeline = VARIANTS["forge-ort"]
        made = cleanup_peers.measure(tool, path, compiled, pipeline, timeout)
        for label, model in (("original", path), ("forge-ort", compiled)):
            if label == "forge-ort" and "error" in made:
                found[label] = {"error": made["error"]}
                continue
            for scenario, (past, seq) in SCENARIOS.items():
                result = profile(model, past, seq, 10, timeout)
                if "by_op_ms" in result:
                    result["products_ms"] = sum(ms for op, ms in result["by_op_ms"].items() if op in WEIGHT_OPS)
                found.setdefault(label, {})[scenario] = result
    # In forgec's output the attention is its own op, so its MatMul/Gemm time is the weight products alone: the
    # floor any rewrite of the graph leaves. The original's kernels over that floor bound the possible speedup.
    for scenario in SCENARIOS:
        original, fused = found.get("original", {}).get(scenario, {}), found.get("forge-ort", {}).get(scenario, {})
        if "total_ms" in original and fused.get("products_ms"):
            found.setdefault("bound", {})[scenario] = {"floor_ms": fused["products_ms"], "original_ms": original["total_ms"],
                                                      "at_most": original["total_ms"] / fused["products_ms"]}
    return found


def time_pair(original: Path, variant: Path, rounds: int, timeout: float) -> dict:
    try:
        done = subprocess.run([sys.executable, "-c", TIMING, str(original), str(variant), json.dumps(SCENARIOS),
                               str(rounds)], capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return {"error": f"timing timed out after {timeout:.0f} s"}
    parsed = cleanup_peers._child_result(done.stdout)
    return parsed if parsed is not None else {"error": cleanup_peers._failure(done)}


def attention_ops(path: Path) -> dict[str, int]:
    import onnx

    graph = onnx.load(str(path), load_external_data=False).graph
    found: dict[str, int] = {}
    for node in graph.node:
        if "Attention" in node.op_type or node.op_type == "Softmax":
            key = f"{node.domain + '.' if node.domain else ''}{node.op_type}"
            found[key] = found.get(key, 0) + 1
    return found


def bench(name: str, variants: list[str], rounds: int, timeout: float) -> list[dict]:
    path = MODELS / FILES[name]
    if not path.exists():
        return [{"model": name, "error": f"{path} missing (run with --build)"}]
    rows = [{"model": name, "tool": "original", "ops": attention_ops(path)}]
    with tempfile.TemporaryDirectory(dir=MODELS, prefix=f".{name}.") as tmp:
        for variant in variants:
            tool, pipeline = VARIANTS[variant]
            out = Path(tmp) / f"{variant}.onnx"
            row: dict = {"model": name, "tool": variant}
            made = cleanup_peers.measure(tool, path, out, pipeline, timeout)
            if "error" in made:
                row["error"] = made["error"]
            else:
                row.update(compile_s=made["time_s"], peak_bytes=made["peak_bytes"], ops=attention_ops(out))
                row.update(time_pair(path, out, rounds, timeout))
            print(json.dumps(row), file=sys.stderr, flush=True)
            rows.append(row)
    return rows


def markdown(rows: list[dict]) -> str:
    lines = ["| model | tool | attention ops | " + " | ".join(f"{s} ms (× original)" for s in SCENARIOS) + " | max abs Δ |",
             "|---|---|---|" + "---|" * (len(SCENARIOS) + 1)]
    for row in rows:
        ops = ", ".join(f"{k} {v}" for k, v in sorted(row.get("ops", {}).items()))
        if row.get("error"):
            lines.append(f"| {row['model']} | {row['tool']} | {ops} | " + " | ".join("–" for _ in SCENARIOS)
                         + f" | {row['error'][:80]} |")
            continue
        if row["tool"] == "original":
            continue
        cells = [f"{row[s]['variant_ms']:.1f} ({row[s]['speedup']:.2f}×; orig {row[s]['original_ms']:.1f})"
                 for s in SCENARIOS]
        diff = max(row[s]["max_abs_diff"] for s in SCENARIOS)
        lines.append(f"| {row['model']} | {row['tool']} | {ops} | " + " | ".join(cells) + f" | {diff:.1e} |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("models", nargs="*", default=["gpt2", "tinyllama"])
    parser.add_argument("--build", action="store_true", help="export the full-size models first")
    parser.add_argument("--variants", default=",".join(VARIANTS))
    parser.add_argument("--rounds", type=int, default=40, help="timed runs of each session per scenario")
    parser.add_argument("--timeout", type=float, default=3600)
    parser.add_argument("--profile", action="store_true",
                        help="onnxruntime's per-op profile of the original and forgec's output instead of timings")
    args = parser.parse_args()
    if args.build:
        for name in args.models:
            build(name)
        return 0
    if args.profile:
        found = {name: profiles(name, args.timeout) for name in args.models}
        path = RESULTS.with_name("decode_profile.json")
        path.write_text(json.dumps(found, indent=1) + "\n")
        for name, labels in found.items():
            for scenario, bound in labels.get("bound", {}).items():
                fused = labels["forge-ort"][scenario]["total_ms"]
                print(f"{name} {scenario}: original {bound['original_ms']:.1f} ms in kernels, forgec {fused:.1f}, of which "
                      f"weight products {bound['floor_ms']:.1f} → at most {bound['at_most']:.2f}× for any graph rewrite")
        return 0
    rows = [row for name in args.models for row in bench(name, args.variants.split(","), args.rounds, args.timeout)]
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    kept = json.loads(RESULTS.read_text())["rows"] if RESULTS.exists() else []  # other models' rows stay
    fresh = {(r["model"], r["tool"]) for r in rows}
    rows = [r for r in kept if (r["model"], r["tool"]) not in fresh] + rows  # the other models' and tools' rows stay
    RESULTS.write_text(json.dumps({"date": datetime.date.today().isoformat(), "machine": platform.processor() or platform.machine(),
                                   "scenarios": SCENARIOS, "rows": rows}, indent=1) + "\n")
    print(markdown(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
