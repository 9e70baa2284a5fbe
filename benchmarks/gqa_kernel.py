#!/usr/bin/env python3
"""Why ``nn-lower`` does not emit onnxruntime's ``GroupQueryAttention`` for a cached grouped-query attention.

onnxruntime 1.31's GroupQueryAttention can express a general additive mask exactly (``causal = 0`` and
the mask as ``attention_bias``, ``seqlens_k = past + new - 1`` for every sequence), so the question is
whether it runs the whole input domain of the fused op and whether it pays. This script answers both
on the decode-step shape of TinyLlama-1.1B (32 query heads, 4 KV heads, head size 64):

* exactness, against a numpy reference, at the cache states the verifier binds: prompt (past 0), one
  token and several tokens after a cache, batch 2 with left padding, batch 0 (in a child process: the
  kernel may kill its process);
* the kernel's time against the standard ``Attention``-23 (what forgec emits under ``--target=ort`` at
  opset 23) for one new token after 128 and 512 cached positions, 2 threads, interleaved medians.

    python benchmarks/gqa_kernel.py [--json benchmarks/results/gqa_kernel.json]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import onnxruntime as ort
from onnx import TensorProto, helper

HEADS, KV_HEADS, SIZE = 32, 4, 64
F = TensorProto.FLOAT


def _session(node: object, inputs: list[tuple[str, int]]) -> ort.InferenceSession:
    graph = helper.make_graph([node], "g", [helper.make_tensor_value_info(n, t, None) for n, t in inputs],
                              [helper.make_tensor_value_info(o, F, None) for o in node.output])  # type: ignore[attr-defined]
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 23), helper.make_opsetid("com.microsoft", 1)])
    model.ir_version = 10
    options = ort.SessionOptions()
    options.intra_op_num_threads = 2
    return ort.InferenceSession(model.SerializeToString(), options, providers=["CPUExecutionProvider"])


def gqa() -> ort.InferenceSession:
    node = helper.make_node("GroupQueryAttention", ["q", "k", "v", "past_k", "past_v", "seqlens_k", "total", "", "", "", "bias"],
                            ["out", "present_k", "present_v"], domain="com.microsoft", num_heads=HEADS,
                            kv_num_heads=KV_HEADS, causal=0)
    return _session(node, [("q", F), ("k", F), ("v", F), ("past_k", F), ("past_v", F), ("seqlens_k", TensorProto.INT32),
                           ("total", TensorProto.INT32), ("bias", F)])


def attention23() -> ort.InferenceSession:
    node = helper.make_node("Attention", ["q4", "k4", "v4", "bias", "past_k", "past_v"], ["out", "present_k", "present_v"],
                            q_num_heads=HEADS, kv_num_heads=KV_HEADS)
    return _session(node, [("q4", F), ("k4", F), ("v4", F), ("bias", F), ("past_k", F), ("past_v", F)])


def case(batch: int, past: int, new: int, seed: int = 0) -> dict[str, np.ndarray]:
    """Inputs of one step: a causal mask over past + new positions, the first sequence left-padded by 2."""
    rng = np.random.default_rng(seed)
    total = past + new
    keep = np.ones((batch, total))
    if batch > 1:
        keep[0, :2] = 0
    causal = np.tril(np.ones((new, total)), past)
    allowed = (keep[:, None, None, :] * causal[None, None]) > 0
    return {"q": rng.standard_normal((batch, new, HEADS * SIZE), dtype=np.float32),
            "k": rng.standard_normal((batch, new, KV_HEADS * SIZE), dtype=np.float32),
            "v": rng.standard_normal((batch, new, KV_HEADS * SIZE), dtype=np.float32),
            "past_k": rng.standard_normal((batch, KV_HEADS, past, SIZE), dtype=np.float32),
            "past_v": rng.standard_normal((batch, KV_HEADS, past, SIZE), dtype=np.float32),
            "bias": np.where(allowed, 0, np.finfo(np.float32).min).astype(np.float32)}


def gqa_feeds(c: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    batch, new = c["q"].shape[:2]
    total = c["past_k"].shape[2] + new
    return {**c, "seqlens_k": np.full((batch,), total - 1, np.int32), "total": np.array(total, np.int32)}


def heads(x: np.ndarray, n: int) -> np.ndarray:
    return np.ascontiguousarray(x.reshape(x.shape[0], x.shape[1], n, SIZE).transpose(0, 2, 1, 3))


def attention_feeds(c: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    return {"q4": heads(c["q"], HEADS), "k4": heads(c["k"], KV_HEADS), "v4": heads(c["v"], KV_HEADS), "bias": c["bias"],
            "past_k": c["past_k"], "past_v": c["past_v"]}


def reference(c: dict[str, np.ndarray]) -> np.ndarray:
    keys = np.repeat(np.concatenate([c["past_k"], heads(c["k"], KV_HEADS)], 2), HEADS // KV_HEADS, 1)
    values = np.repeat(np.concatenate([c["past_v"], heads(c["v"], KV_HEADS)], 2), HEADS // KV_HEADS, 1)
    scores = heads(c["q"], HEADS) @ keys.transpose(0, 1, 3, 2) / np.sqrt(SIZE) + c["bias"]
    scores = np.exp(scores - scores.max(-1, keepdims=True))
    out = (scores / scores.sum(-1, keepdims=True)) @ values
    return out.transpose(0, 2, 1, 3).reshape(out.shape[0], out.shape[2], HEADS * SIZE)


def _run_gqa(batch: int, past: int, new: int, queue: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    c = case(batch, past, new)
    try:
        out = gqa().run(["out"], gqa_feeds(c))[0]
        queue.put(("ran", float(np.abs(out - reference(c)).max(initial=0.0))))
    except Exception as err:  # onnxruntime's own error types
        queue.put(("error", str(err).split("Status Message: ")[-1][:160]))


def exactness() -> list[dict[str, object]]:
    rows = []
    for batch, past, new in [(2, 0, 5), (2, 6, 1), (2, 6, 3), (1, 6, 3), (0, 2, 1)]:
        queue: multiprocessing.Queue = multiprocessing.Queue()  # type: ignore[type-arg]
        child = multiprocessing.Process(target=_run_gqa, args=(batch, past, new, queue))
        child.start()
        child.join(60)
        if child.exitcode == 0 and not queue.empty():
            kind, value = queue.get()
            row = {"max_abs_diff": value} if kind == "ran" else {"error": value}
        else:
            row = {"error": f"the process died (exit code {child.exitcode})"}
        rows.append({"batch": batch, "past": past, "new": new, **row})
        print(json.dumps(rows[-1]), flush=True)
    return rows


def timing(rounds: int) -> list[dict[str, object]]:
    rows = []
    grouped, standard = gqa(), attention23()
    for past in (128, 512):
        c = case(1, past, 1)
        feeds = {"gqa": (grouped, gqa_feeds(c)), "attention23": (standard, attention_feeds(c))}
        times: dict[str, list[float]] = {name: [] for name in feeds}
        for _ in range(rounds):
            for name, (session, feed) in feeds.items():
                start = time.perf_counter()
                session.run(None, feed)
                times[name].append(time.perf_counter() - start)
        row = {"past": past, **{f"{n}_us": round(statistics.median(t) * 1e6, 1) for n, t in times.items()}}
        row["gqa_over_attention23"] = round(row["gqa_us"] / row["attention23_us"], 3)  # type: ignore[operator]
        rows.append(row)
        print(json.dumps(row), flush=True)
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=500)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    result = {"onnxruntime": ort.__version__, "exactness": exactness(), "decode_step": timing(args.rounds)}
    if args.json:
        args.json.write_text(json.dumps(result, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
