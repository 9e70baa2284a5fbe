"""Node counts on the corpus: forgec's default pipeline against onnxslim and onnxsim defaults.

Runs in the main environment (``pip install -e ".[bench]"`` brings both peers), after
``build_corpus.py`` has built ``models/``. For every model that passed its checks::

    forgec MODEL -o OUT -q            # default pipeline; a second run adds --verify
    onnxslim MODEL OUT
    onnxsim MODEL OUT

and for each result: node count (top graph and with subgraphs), op-type counts, and the largest
difference to the original's outputs in onnxruntime on the corpus inputs (so a peer that removes
more nodes but changes the numbers shows up). Writes ``results.json`` beside this file (with the
tool versions) and prints a markdown table, then every model where forgec leaves more nodes than
the best peer whose result loads and matches, with the op-type counts that differ::

    python benchmarks/corpus/compare.py                # every model
    python benchmarks/corpus/compare.py --only FILE    # one model (repeatable)
"""

from __future__ import annotations

import argparse
import collections
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
MODELS = HERE / "models"
RESULTS = HERE / "results.json"
TIMEOUT_S = 600
TOOLS = {
    "forgec": lambda i, o: ["forgec", i, "-o", o, "-q"],
    "onnxslim": lambda i, o: ["onnxslim", i, o],
    "onnxsim": lambda i, o: ["onnxsim", i, o],
}


def op_counts(path: Path) -> tuple[int, int, dict[str, int]]:
    """(top-level nodes, nodes with subgraphs, op-type counts over all graphs)."""
    import onnx

    model = onnx.load(str(path))
    ops: collections.Counter = collections.Counter()

    def walk(graph) -> int:
        n = 0
        for node in graph.node:
            n += 1
            key = node.op_type if node.domain in ("", "ai.onnx") else f"{node.domain}.{node.op_type}"
            ops[key] += 1
            for a in node.attribute:
                for g in ([a.g] if a.type == onnx.AttributeProto.GRAPH else list(a.graphs)):
                    n += walk(g)
        return n

    return len(model.graph.node), walk(model.graph), dict(sorted(ops.items()))


def run_outputs(path: Path, inputs: dict) -> list:
    import numpy as np
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    opts.log_severity_level = 3
    sess = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
    rng = np.random.default_rng(0)
    feeds = {}
    for name, spec in inputs.items():
        dtype = np.dtype(spec["dtype"])
        if np.issubdtype(dtype, np.integer):
            lo, hi = spec.get("range", [0, 2])
            feeds[name] = rng.integers(lo, hi, spec["shape"]).astype(dtype)
        else:
            feeds[name] = rng.standard_normal(spec["shape"]).astype(dtype)
    return sess.run(None, feeds)


def max_diff(ref: list, got: list) -> float | str:
    import numpy as np

    if len(ref) != len(got):
        return f"{len(got)} outputs, expected {len(ref)}"
    worst = 0.0
    for a, b in zip(ref, got):
        if isinstance(a, list):  # ZipMap's sequence of maps
            a = np.array([[m[k] for k in sorted(m)] for m in a])
            b = np.array([[m[k] for k in sorted(m)] for m in b])
        a, b = np.asarray(a), np.asarray(b)
        if a.shape != b.shape:
            return f"shape {b.shape}, expected {a.shape}"
        if a.size:
            worst = max(worst, float(np.max(np.abs(a.astype(np.float64) - b.astype(np.float64)))))
    return worst


def compare(entry: dict, tmp: Path) -> dict:
    src = MODELS / entry["file"]
    top, total, ops = op_counts(src)
    row = {"file": entry["file"], "family": entry["family"],
           "original": {"nodes": top, "nodes_with_subgraphs": total, "ops": ops}}
    ref = run_outputs(src, entry["inputs"])
    for tool, argv in TOOLS.items():
        out = tmp / f"{tool}.onnx"
        out.unlink(missing_ok=True)
        start = time.perf_counter()
        try:
            proc = subprocess.run(argv(str(src), str(out)), capture_output=True, text=True,
                                  timeout=TIMEOUT_S)
            rc, err = proc.returncode, (proc.stderr or proc.stdout).strip()
        except subprocess.TimeoutExpired:
            rc, err = -1, f"timeout after {TIMEOUT_S} s"
        res: dict = {"seconds": round(time.perf_counter() - start, 2)}
        if rc or not out.exists():
            res["error"] = (err.splitlines() or [f"exit {rc}"])[-1][:300]
        else:
            res["nodes"], res["nodes_with_subgraphs"], res["ops"] = op_counts(out)
            try:
                res["max_abs_diff"] = max_diff(ref, run_outputs(out, entry["inputs"]))
            except Exception as e:  # recorded
                res["max_abs_diff"] = f"onnxruntime: {str(e).splitlines()[0][:200]}"
        row[tool] = res
    proc = subprocess.run(["forgec", str(src), "-o", str(tmp / "verify.onnx"), "-q", "--verify"],
                          capture_output=True, text=True, timeout=TIMEOUT_S)
    msg = (proc.stderr or proc.stdout).strip().splitlines()
    row["forgec_verify"] = "ok" if proc.returncode == 0 else (msg or ["failed"])[-1][:300]
    return row


def valid(res: dict) -> bool:
    """A result that loads, runs and matches the original within 1e-3 (float outputs)."""
    return "error" not in res and isinstance(res.get("max_abs_diff"), float) \
        and res["max_abs_diff"] <= 1e-3


def leftovers(rows: list[dict]) -> str:
    """Models where forgec leaves more nodes than a valid peer, with the op-type difference."""
    lines = []
    for r in rows:
        mine = r["forgec"]
        peers = [(t, r[t]) for t in ("onnxslim", "onnxsim") if valid(r[t])]
        if "error" in mine or not peers:
            continue
        tool, best = min(peers, key=lambda p: p[1]["nodes_with_subgraphs"])
        extra = mine["nodes_with_subgraphs"] - best["nodes_with_subgraphs"]
        if extra <= 0:
            continue
        ops = sorted(set(mine["ops"]) | set(best["ops"]))
        diff = ", ".join(f"{o} {mine['ops'].get(o, 0)}/{best['ops'].get(o, 0)}" for o in ops
                         if mine["ops"].get(o, 0) != best["ops"].get(o, 0))
        lines.append(f"+{extra:<3} {r['file']:32} vs {tool:8} (forgec/peer) {diff}")
    return "\n".join(sorted(lines, key=lambda x: -int(x.split()[0])))


def versions() -> dict:
    from importlib import metadata

    head = subprocess.run(["git", "-C", str(HERE), "rev-parse", "--short", "HEAD"],
                          capture_output=True, text=True).stdout.strip()
    return {"onnxforge": f"{metadata.version('onnxforge')} (git {head})",
            **{d: metadata.version(d) for d in ("onnxslim", "onnxsim", "onnxruntime", "onnx")}}


def table(rows: list[dict]) -> str:
    def n(res):
        return str(res.get("nodes_with_subgraphs", "err")) if "error" not in res else "err"

    lines = ["| model | exporter | original | forgec | onnxslim | onnxsim | forgec --verify |",
             "| --- | --- | ---: | ---: | ---: | ---: | --- |"]
    for r in rows:
        lines.append(f"| {r['file'].removesuffix('.onnx')} | {r['family']} | "
                     f"{r['original']['nodes_with_subgraphs']} | {n(r['forgec'])} | "
                     f"{n(r['onnxslim'])} | {n(r['onnxsim'])} | {r['forgec_verify']} |")
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--only", action="append", help="compare this corpus file only")
    args = ap.parse_args(argv)
    corpus = json.loads((HERE / "corpus.json").read_text())
    old = ({r["file"]: r for r in json.loads(RESULTS.read_text())["models"]}
           if RESULTS.exists() else {})
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for entry in corpus["models"]:
            if entry.get("check") != "ok" or (args.only and entry["file"] not in args.only):
                if entry["file"] in old and entry.get("check") == "ok":
                    rows.append(old[entry["file"]])
                continue
            print(f"{entry['file']} ...", file=sys.stderr, flush=True)
            rows.append(compare(entry, Path(tmp)))
    RESULTS.write_text(json.dumps({"versions": versions(), "models": rows}, indent=1) + "\n")
    print(table(rows))
    print("\nforgec leaves more nodes than the best valid peer:\n" + leftovers(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
