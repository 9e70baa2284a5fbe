#!/usr/bin/env python3
"""A 7B-class decoder with its KV cache, compiled on a 24 GB machine: time and anonymous memory of forgec and its peers.

The model is Mistral-7B shaped (hidden 4096, 32 layers, 32 query heads / 8 KV heads, head size 128,
MLP 14336, vocabulary 32000: 7.24 G parameters, 14.5 GB = 13.5 GiB of fp16 weights in one external
data file), one decode step as ``tools/make_decoder_fixtures.DecodeStep`` exports it (``input_ids``,
``attention_mask [B, P + S]``, ``position_ids``, ``past_key_values.{i}.key|value`` → ``logits``,
``present.{i}.key|value``). It is never held in torch or in Python: a *one*-layer
``LlamaForCausalLM`` of that shape is exported (TorchScript, opset 14, fp16), and its layer is
replicated 32 times in the ONNX graph, each copy with its own cache inputs and outputs and fresh
random weights streamed tensor by tensor into the data file (linear weights N(0, 0.02²), norm
weights 1 + N(0, 0.02²)). The replication is checked at a small shape against torch itself
(``--check-torch``: the same weights loaded into an N-layer ``LlamaForCausalLM``).

What is measured, each tool in a fresh process, on the same file: wall time, and the peak
*anonymous* resident memory (``RssAnon`` of the process and its children, sampled every 50 ms):
the weights' file pages a tool maps are page cache, not memory it owns (the peak ``RssFile`` is
recorded beside it). Targets for ``forgec --pipeline=transformer``: under 4 GB and 3 minutes. A
peer is stopped at its ``--timeout`` or when its anonymous memory passes ``--rss-cap`` (or the
machine's available memory falls under 1 GiB), and the row says so.

Two 7B sessions do not fit in 24 GB, so the compiled model is verified in parts: the graph is cut
at the residual stream between layers (the embedding's output, each layer's output), and each part
(embedding; layer i with its cache; final norm and LM head) is a model of its own in both the
original and the output: the nodes its outputs need back to its cut input, with the shared
prologue (mask, rotary tables) recomputed from the graph inputs, the weights read in place from the
data files. Both parts get the same inputs (the original's own activations, chained part to part);
max |Δ| per part is reported and held to an fp16 tolerance relative to the outputs' magnitude.

    python benchmarks/decoder_7b.py --build      # benchmarks/models/decoders/llama7b_past_ts.onnx + .data (~14.5 GB)
    python benchmarks/decoder_7b.py              # measure + verify; writes benchmarks/results/decoder_7b.json
    # the same at a small shape (seconds), checked against torch and verified end to end by forgec:
    python benchmarks/decoder_7b.py --build --check-torch --layers 4 --hidden 512 --heads 8 --kv-heads 2 --intermediate 1024 --vocab 1000
    python benchmarks/decoder_7b.py --layers 4 --hidden 512 --heads 8 --kv-heads 2 --intermediate 1024 --vocab 1000

Needs the ``models`` extra (torch, transformers) for ``--build`` and the ``bench`` extra for the peers.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import re
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import onnx
from onnx import NodeProto, TensorProto, ValueInfoProto

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT / "tools"))

MODELS = HERE / "models" / "decoders"
RESULTS = HERE / "results"
MASK_DIM = "past_sequence + sequence"
"""The mask's and presents' length, named as a sum so that verification binds it (as make_decoder_fixtures)."""
ALIGN = 4096
"""Tensors start on page boundaries in the data file, so that runtimes can map them in place."""
GIB = 2**30


# --- the shape ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Shape:
    """A Llama/Mistral decoder's dimensions; the defaults are Mistral-7B's (Llama-2-7B has MLP 11008 and
    32 KV heads: with 8 KV heads and 11008 it would be 6.7 G parameters, so Mistral's MLP is the 7B here)."""

    layers: int = 32
    hidden: int = 4096
    heads: int = 32
    kv_heads: int = 8
    intermediate: int = 14336
    vocab: int = 32000

    @property
    def name(self) -> str:
        return "llama7b" if self == Shape() else (f"llama_l{self.layers}_h{self.hidden}_a{self.heads}"
                                                  f"_kv{self.kv_heads}_i{self.intermediate}_v{self.vocab}")

    @property
    def head_size(self) -> int:
        return self.hidden // self.heads

    def parameters(self) -> int:
        attention = 2 * self.hidden * self.hidden + 2 * self.hidden * self.kv_heads * self.head_size
        layer = attention + 3 * self.hidden * self.intermediate + 2 * self.hidden
        return self.layers * layer + 2 * self.vocab * self.hidden + self.hidden

    def config(self, layers: int):  # type: ignore[no-untyped-def]
        import transformers as tf

        return tf.LlamaConfig(vocab_size=self.vocab, hidden_size=self.hidden, intermediate_size=self.intermediate,
                              num_hidden_layers=layers, num_attention_heads=self.heads,
                              num_key_value_heads=self.kv_heads, max_position_embeddings=4096,
                              attn_implementation="eager")


def model_path(shape: Shape) -> Path:
    return MODELS / f"{shape.name}_past_ts.onnx"


# --- build: export one layer, replicate it in ONNX ------------------------------------------------


def export_template(shape: Shape, path: Path) -> None:
    """One decode step of a one-layer fp16 model of ``shape`` (TorchScript exporter, as decode_latency.py).

    The norm weights are perturbed first: all-ones norms would be merged into one initializer by the
    exporter (with ``Identity`` nodes), and each layer must own its weights to be replicated."""
    import make_decoder_fixtures as fixtures
    import torch
    import transformers as tf

    config = shape.config(layers=1)
    torch.manual_seed(0)
    model = tf.LlamaForCausalLM(config).eval()
    with torch.no_grad():
        for name, param in model.named_parameters():
            if "norm" in name:
                param.add_(0.02 * torch.randn_like(param))
    model = model.half()  # CPU torch traces fp16 (RMSNorm and softmax upcast to fp32 inside)
    step = fixtures.DecodeStep(model, 1)
    feeds = {k: v.half() if k.startswith("past") else v for k, v in fixtures.example(config, 1, 4, 2).items()}
    names, outs = list(feeds), fixtures.output_names(config)
    axes = {"input_ids": {0: "batch", 1: "sequence"}, "attention_mask": {0: "batch", 1: "total"},
            "position_ids": {0: "batch", 1: "sequence"}, "logits": {0: "batch", 1: "sequence"}}
    axes |= {n: {0: "batch", 2: "past_sequence"} for n in names[3:]}
    axes |= {n: {0: "batch", 2: "total"} for n in outs[1:]}
    with torch.no_grad():
        torch.onnx.export(step, tuple(feeds.values()), str(path), dynamo=False, opset_version=14,
                          do_constant_folding=False, input_names=names, output_names=outs, dynamic_axes=axes)


LAYER0 = re.compile(r"layers\.0(?=[./])")
"""Layer 0 in node, value and weight names (``/model/model/layers.0/...``, ``model.model.layers.0.``)."""
CACHE0 = re.compile(r"^(past_key_values|present)\.0\.")


@dataclass
class Template:
    """The exported one-layer graph, split into what is replicated and what is shared."""

    proto: onnx.ModelProto
    layer: list[int]
    """Indices of the nodes replicated per layer: layer 0's own, and any node reading its cache inputs."""
    hidden_in: str
    """The residual stream entering layer 0 (the embedding's output)."""
    hidden_out: str
    """The residual stream leaving layer 0 (read by the final norm)."""

    @classmethod
    def read(cls, path: Path) -> Template:
        proto = onnx.load(str(path), load_external_data=False)
        graph = proto.graph
        layer = [i for i, node in enumerate(graph.node)
                 if LAYER0.search(node.name) or any(CACHE0.match(name) for name in node.input)]
        made = {name for i in layer for name in graph.node[i].output}
        embedding = next(n for n in graph.node if n.op_type == "Gather" and n.input[0].endswith("embed_tokens.weight"))
        outside = {name for i, node in enumerate(graph.node) if i not in layer for name in node.input if name in made}
        hidden_out = [name for name in outside if LAYER0.search(name)]  # not the cache pass-through (shape reads)
        if len(hidden_out) != 1:
            raise RuntimeError(f"expected one value leaving layer 0, found {hidden_out}")
        return cls(proto, layer, embedding.output[0], hidden_out[0])


def _rename(name: str, i: int) -> str:
    """Layer 0's ``name`` in layer ``i``."""
    if i == 0:
        return name
    if LAYER0.search(name):
        return LAYER0.sub(f"layers.{i}", name)
    if CACHE0.match(name):
        return CACHE0.sub(rf"\1.{i}.", name)
    return f"{name}__layers.{i}"  # a replicated node outside the layer's scope (the exporter's cache Concat)


class DataWriter:
    """Appends tensors to one external data file and returns their TensorProto stubs: only the graph is in memory."""

    def __init__(self, path: Path, seed: int) -> None:
        self.path, self.file, self.offset = path, open(path, "wb"), 0
        self.rng = np.random.default_rng(seed)

    def random(self, name: str, dims: list[int], data_type: int, norm: bool) -> TensorProto:
        """N(0, 0.02²) (1 + that for a norm weight), fp16 or fp32 as the template's tensor, in 16 M chunks."""
        dtype = onnx.helper.tensor_dtype_to_np_dtype(data_type)
        count = int(np.prod(dims)) if dims else 1
        pad = -self.offset % ALIGN
        self.file.write(b"\0" * pad)
        start = self.offset + pad
        for first in range(0, count, 1 << 24):
            chunk = self.rng.standard_normal(min(1 << 24, count - first), dtype=np.float32)
            chunk *= 0.02
            if norm:
                chunk += 1.0
            self.file.write(chunk.astype(dtype).tobytes())
        length = count * np.dtype(dtype).itemsize
        self.offset = start + length
        tensor = TensorProto(name=name, dims=dims, data_type=data_type, data_location=TensorProto.EXTERNAL)
        for key, value in (("location", self.path.name), ("offset", str(start)), ("length", str(length))):
            tensor.external_data.add(key=key, value=value)
        return tensor

    def close(self) -> None:
        self.file.close()


def replicate(template: Template, layers: int, path: Path, seed: int = 0) -> dict:
    """The template's layer ``layers`` times, wired in sequence, weights streamed to ``path``.data."""
    source = template.proto.graph
    layer = set(template.layer)
    last = max(template.layer)
    made = {name for i in template.layer for name in source.node[i].output}
    layer_weights = {t.name for t in source.initializer if LAYER0.search(t.name)}

    def clone(node: NodeProto, i: int) -> NodeProto:
        copy = NodeProto()
        copy.CopyFrom(node)
        copy.name = _rename(node.name, i)
        del copy.input[:], copy.output[:]
        for name in node.input:
            if name == template.hidden_in:
                name = _rename(template.hidden_out, i - 1)
            elif name in made or name in layer_weights or CACHE0.match(name):
                name = _rename(name, i)
            copy.input.append(name)
        copy.output.extend(_rename(name, i) for name in node.output)
        return copy

    model = onnx.ModelProto()
    model.CopyFrom(template.proto)
    graph = model.graph
    del graph.node[:], graph.initializer[:], graph.input[:], graph.output[:], graph.value_info[:]
    final = _rename(template.hidden_out, layers - 1)
    for index, node in enumerate(source.node):
        if index in layer or index <= last:
            graph.node.append(node)
        else:  # after the layers: the final norm reads the last layer's output
            copy = NodeProto()
            copy.CopyFrom(node)
            for k, name in enumerate(copy.input):
                if name == template.hidden_out:
                    copy.input[k] = final
            graph.node.append(copy)
        if index == last:
            graph.node.extend(clone(source.node[j], i) for i in range(1, layers) for j in template.layer)

    def values(infos, i: int) -> list[ValueInfoProto]:  # type: ignore[no-untyped-def]
        out = []
        for info in infos:
            copy = ValueInfoProto()
            copy.CopyFrom(info)
            copy.name = _rename(info.name, i)
            for dim in copy.type.tensor_type.shape.dim:
                if dim.dim_param in ("total", MASK_DIM):
                    dim.dim_param = MASK_DIM
            out.append(copy)
        return out

    cache_in = [v for v in source.input if CACHE0.match(v.name)]
    cache_out = [v for v in source.output if CACHE0.match(v.name)]
    graph.input.extend(values([v for v in source.input if v not in cache_in], 0))
    graph.input.extend(v for i in range(layers) for v in values(cache_in, i))
    graph.output.extend(values([v for v in source.output if v not in cache_out], 0))
    graph.output.extend(v for i in range(layers) for v in values(cache_out, i))
    graph.value_info.extend(values([v for v in source.value_info if v.name not in made], 0))
    graph.value_info.extend(v for i in range(layers) for v in values([v for v in source.value_info if v.name in made], i))

    data = Path(f"{path}.data")
    writer = DataWriter(data, seed)
    try:
        before = [t for t in source.initializer if t.name not in layer_weights and "embed_tokens" in t.name]
        after = [t for t in source.initializer if t.name not in layer_weights and t not in before]
        order = [(t, 0) for t in before] + [(t, i) for i in range(layers) for t in source.initializer
                                            if t.name in layer_weights] + [(t, 0) for t in after]
        for tensor, i in order:
            name = _rename(tensor.name, i) if tensor.name in layer_weights else tensor.name
            if tensor.data_type in (TensorProto.FLOAT16, TensorProto.FLOAT, TensorProto.BFLOAT16) and tensor.dims:
                graph.initializer.append(writer.random(name, list(tensor.dims), tensor.data_type, "norm" in name))
            else:  # a non-float or scalar initializer: keep the exporter's value
                copy = TensorProto()
                copy.CopyFrom(tensor)
                copy.name = name
                graph.initializer.append(copy)
    finally:
        writer.close()
    onnx.save(model, str(path))
    return {"nodes": len(graph.node), "layer_nodes": len(template.layer), "initializers": len(graph.initializer),
            "data_bytes": data.stat().st_size}


def build(shape: Shape, check_torch: bool) -> Path:
    path = model_path(shape)
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="decoder_7b.") as tmp:
        start = time.perf_counter()
        export_template(shape, Path(tmp) / "layer.onnx")
        exported = time.perf_counter() - start
        template = Template.read(Path(tmp) / "layer.onnx")
        for tensor in template.proto.graph.initializer:  # the template's own weights are not needed
            tensor.ClearField("raw_data")
    start = time.perf_counter()
    info = replicate(template, shape.layers, path)
    onnx.checker.check_model(str(path))  # path form: external data not loaded
    print(f"built {path} ({info['data_bytes'] / 1e9:.2f} GB of weights, {info['nodes']} nodes; "
          f"one-layer export {exported:.0f} s, replication {time.perf_counter() - start:.0f} s)", file=sys.stderr)
    if check_torch:
        print(json.dumps(check_against_torch(shape, path)), file=sys.stderr)
    return path


def check_against_torch(shape: Shape, path: Path) -> dict:
    """The replicated model against an N-layer ``LlamaForCausalLM`` holding the same weights (small shapes only)."""
    import make_decoder_fixtures as fixtures
    import onnxruntime as ort
    import torch
    import transformers as tf

    config = shape.config(shape.layers)
    model = tf.LlamaForCausalLM(config).eval().half()
    proto = onnx.load(str(path))  # with its weights: a small model
    state = {t.name.removeprefix("model."): torch.from_numpy(onnx.numpy_helper.to_array(t).copy())
             for t in proto.graph.initializer}
    missing, unexpected = model.load_state_dict(state, strict=False)
    if unexpected or [m for m in missing if "rotary" not in m]:
        raise RuntimeError(f"weights do not map: missing {missing}, unexpected {unexpected}")
    feeds = {k: v.half() if k.startswith("past") else v for k, v in fixtures.example(config, 2, 3, 4).items()}
    with torch.no_grad():
        expected = [t.float().numpy() for t in fixtures.DecodeStep(model, shape.layers)(*feeds.values())]
    got = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"]).run(
        None, {k: v.numpy() for k, v in feeds.items()})
    diffs = [float(np.abs(e - g.astype(np.float32)).max()) for e, g in zip(expected, got)]
    scale = max(float(np.abs(e).max()) for e in expected)
    return {"check_torch_max_abs_diff": max(diffs), "max_abs_ref": scale, "ok": max(diffs) <= 2e-2 * max(scale, 1.0)}


# --- measure: one tool, one fresh process tree, RssAnon sampled --------------------------------------


TOOLS: dict[str, tuple[str, str]] = {
    "forgec": ("onnxforge", "--pipeline=transformer"),
    "forgec std-23": ("onnxforge", "--pipeline=transformer --target-opset=23"),
    "forgec ort-23": ("onnxforge", "--pipeline=transformer --target=ort --target-opset=23"),
    "onnxslim": ("onnxslim", ""),
    "onnxsim": ("onnxsim", ""),
}
"""Row name → (tool, forgec flags). Peers run their ``peers.py`` adapter (documented defaults, dynamic axes)."""


def _status(pid: int) -> dict[str, int]:
    """``RssAnon``/``RssFile`` of one process in bytes (empty when it has gone)."""
    try:
        with open(f"/proc/{pid}/status") as status:
            return {k: int(v.split()[0]) * 1024 for k, v in (line.split(":", 1) for line in status)
                    if k in ("RssAnon", "RssFile")}
    except (FileNotFoundError, ProcessLookupError):
        return {}


def _tree(pid: int) -> list[int]:
    """``pid`` and its descendants (a tool may run its work in a child)."""
    found, stack = [], [pid]
    while stack:
        current = stack.pop()
        found.append(current)
        for children in Path(f"/proc/{current}/task").glob("*/children"):
            try:
                stack.extend(int(c) for c in children.read_text().split())
            except (FileNotFoundError, ProcessLookupError):
                pass
    return found


def _available() -> int:
    with open("/proc/meminfo") as meminfo:
        return next(int(line.split()[1]) * 1024 for line in meminfo if line.startswith("MemAvailable:"))


def run_measured(command: list[str], timeout: float, rss_cap: float, floor: float = GIB) -> dict:
    """Run ``command`` in a session of its own: wall time and the peak of the tree's summed ``RssAnon``
    (``RssFile`` beside it), sampled every 50 ms. Killed past ``timeout`` s, past ``rss_cap`` bytes of
    anonymous memory, or when the machine's available memory falls under ``floor`` (others run here too)."""
    os.sync()  # start without the previous run's dirty pages being written back under this one
    with tempfile.TemporaryFile("w+") as log:
        start = time.perf_counter()
        proc = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True, cwd=str(ROOT))
        peak_anon = peak_file = 0
        killed = None
        while proc.poll() is None:
            usage = [_status(p) for p in _tree(proc.pid)]
            anon, file = sum(u.get("RssAnon", 0) for u in usage), sum(u.get("RssFile", 0) for u in usage)
            peak_anon, peak_file = max(peak_anon, anon), max(peak_file, file)
            elapsed = time.perf_counter() - start
            if elapsed > timeout:
                killed = f"stopped after {timeout:.0f} s (timeout), RssAnon {anon / GIB:.1f} GiB then"
            elif anon > rss_cap:
                killed = f"stopped at RssAnon {anon / GIB:.1f} GiB after {elapsed:.0f} s (over the {rss_cap / GIB:.0f} GiB cap)"
            elif _available() < floor:
                killed = (f"stopped at RssAnon {anon / GIB:.1f} GiB after {elapsed:.0f} s: the machine's available "
                          f"memory fell under {floor / GIB:.0f} GiB")
            if killed:
                os.killpg(proc.pid, signal.SIGKILL)  # the session this call started
                proc.wait()
                break
            time.sleep(0.05)
        wall = time.perf_counter() - start
        log.seek(0)
        output = log.read()
    result = {"wall_s": round(wall, 2), "peak_rss_anon_bytes": peak_anon, "peak_rss_file_bytes": peak_file,
              "returncode": proc.returncode}
    if killed:
        result["error"] = killed
    elif proc.returncode != 0:
        lines = [line for line in output.strip().splitlines() if line.strip()]
        result["error"] = (lines[-1] if lines else f"exit {proc.returncode}")[:300]
        if proc.returncode < 0:
            result["error"] = f"killed by {signal.Signals(-proc.returncode).name}; " + result["error"]
    result["log_tail"] = output[-2000:]
    return result


def tool_command(tool: str, flags: str, model: Path, out: Path, report: Path) -> list[str]:
    if tool == "onnxforge":
        forgec = Path(sys.executable).with_name("forgec")
        return [str(forgec), str(model), "-o", str(out), *flags.split(), "--report-file", str(report)]
    return [sys.executable, str(HERE / "peers.py"), tool, str(model), str(out)]


def structure(path: Path) -> dict:
    """Nodes and attention-like ops of a model file (graph only: weights not read)."""
    graph = onnx.load(str(path), load_external_data=False).graph
    attention = {}
    for node in graph.node:
        if "Attention" in node.op_type:
            key = f"{node.domain + '.' if node.domain else ''}{node.op_type}"
            attention[key] = attention.get(key, 0) + 1
    return {"nodes": len(graph.node), "attention_ops": attention}


# --- verify in parts --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Feeds:
    """One decode step's inputs: batch 2 (row 1 left-padded by two), ``past`` cached, ``seq`` new tokens."""

    batch: int = 2
    past: int = 6
    seq: int = 3
    seed: int = 0

    def make(self, graph: onnx.GraphProto, shape: Shape) -> dict[str, np.ndarray]:
        rng = np.random.default_rng(self.seed)
        mask = np.ones((self.batch, self.past + self.seq), np.int64)
        mask[1:, :2] = 0
        feeds = {"input_ids": rng.integers(0, shape.vocab, (self.batch, self.seq)).astype(np.int64),
                 "attention_mask": mask,
                 "position_ids": np.maximum(mask.cumsum(-1) - 1, 0)[:, self.past:]}
        for value in graph.input:
            if value.name.startswith("past_key_values."):
                dtype = onnx.helper.tensor_dtype_to_np_dtype(value.type.tensor_type.elem_type)
                feeds[value.name] = rng.standard_normal(
                    (self.batch, shape.kv_heads, self.past, shape.head_size)).astype(dtype)
        return feeds


def cuts(shape: Shape) -> list[str]:
    """The residual stream between the parts: the embedding's output, then each layer's output (TorchScript names;
    forgec keeps them)."""
    return ["/model/model/embed_tokens/Gather_output_0"] + [f"/model/model/layers.{i}/Add_1_output_0"
                                                           for i in range(shape.layers)]


def parts(shape: Shape) -> list[tuple[str, str | None, list[str]]]:
    """(label, cut input, outputs) of every part, in order."""
    stream = cuts(shape)
    out = [("embedding", None, [stream[0]])]
    out += [(f"layer {i}", stream[i], [stream[i + 1], f"present.{i}.key", f"present.{i}.value"])
            for i in range(shape.layers)]
    return out + [("head", stream[-1], ["logits"])]


def _subgraph_reads(node: NodeProto) -> list[str]:
    """Every name a node's subgraphs read (outer-scope values among them; an over-approximation)."""
    names = []
    for attr in node.attribute:
        for graph in [attr.g] if attr.HasField("g") else list(attr.graphs):
            for inner in graph.node:
                names += [*inner.input, *_subgraph_reads(inner)]
    return names


def cut_model(model: onnx.ModelProto, outputs: list[str], stops: set[str], hidden: int) -> tuple[onnx.ModelProto, int]:
    """The nodes ``outputs`` need, back to the graph inputs and to the ``stops`` (residual-stream values, which
    become inputs); initializers as the model states them (external data stays where it is). Returns the part
    and its weight bytes."""
    graph = model.graph
    producer = {name: i for i, node in enumerate(graph.node) for name in node.output if name}
    missing = [name for name in outputs if name not in producer]
    if missing:
        raise KeyError(f"not computed by the model: {missing}")
    initializers = {t.name: t for t in graph.initializer}
    graph_inputs = {v.name: v for v in graph.input}
    chosen, inputs, weights, seen = set(), [], [], set()
    stack = list(outputs)
    while stack:
        name = stack.pop()
        if not name or name in seen:
            continue
        seen.add(name)
        if name in stops and name not in outputs:
            inputs.append(onnx.helper.make_tensor_value_info(name, TensorProto.FLOAT16, ["batch", "sequence", hidden]))
        elif name in initializers:
            weights.append(initializers[name])
        elif name in graph_inputs:
            inputs.append(graph_inputs[name])
        elif name in producer and producer[name] not in chosen:
            chosen.add(producer[name])
            node = graph.node[producer[name]]
            stack.extend([*node.input, *_subgraph_reads(node)])
    typed = {v.name: v for v in [*graph.output, *graph.value_info]}
    part = onnx.helper.make_model(
        onnx.helper.make_graph([graph.node[i] for i in sorted(chosen)], "part", inputs,
                               [typed.get(name) or onnx.helper.make_tensor_value_info(name, TensorProto.FLOAT16, None)
                                for name in outputs], initializer=weights),
        opset_imports=list(model.opset_import), ir_version=model.ir_version)
    part.functions.extend(model.functions)
    size = sum(int(next((e.value for e in t.external_data if e.key == "length"), 0)) or len(t.raw_data)
               for t in weights)
    return part, size


def _session(part: onnx.ModelProto, directory: Path):  # type: ignore[no-untyped-def]
    """An onnxruntime session on ``part`` written beside the data file it points into (relative locations)."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = 2
    with tempfile.NamedTemporaryFile(dir=directory, prefix=".part.", suffix=".onnx") as file:
        file.write(part.SerializeToString())
        file.flush()
        return ort.InferenceSession(file.name, options, providers=["CPUExecutionProvider"])


def verify_in_parts(original: Path, compiled: Path, shape: Shape, feeds: Feeds, rtol: float) -> dict:
    """Every part of ``compiled`` against the same part of ``original``, on the original's own activations.

    A part passes when each output's max |Δ| ≤ ``rtol`` · max(1, max |original|): fp16 rounds at 2⁻¹¹
    relative, so ``rtol`` = 2⁻⁷ allows a few ulps of reordered sums at the output's magnitude."""
    start = time.perf_counter()
    models = {"original": onnx.load(str(original), load_external_data=False),
              "compiled": onnx.load(str(compiled), load_external_data=False)}
    values = feeds.make(models["original"].graph, shape)
    stops = set(cuts(shape))
    rows, failed = [], []
    for label, _, outputs in parts(shape):
        row: dict = {"part": label}
        try:
            results = {}
            for which, model in models.items():
                part, size = cut_model(model, outputs, stops, shape.hidden)
                session = _session(part, (original if which == "original" else compiled).parent)
                names = [i.name for i in session.get_inputs()]
                results[which] = session.run(outputs, {n: values[n] for n in names})
                row[f"{which}_nodes"], row[f"{which}_weight_bytes"] = len(part.graph.node), size
                del session
                if which == "original":  # the next part runs on the original's activations
                    values.update(zip(outputs, results["original"]))
            diffs = {}
            for name, want, got in zip(outputs, results["original"], results["compiled"]):
                want, got = want.astype(np.float32), got.astype(np.float32)
                scale = max(1.0, float(np.abs(want).max()))
                diffs[name] = {"max_abs_diff": float(np.abs(want - got).max()), "max_abs": float(np.abs(want).max()),
                               "ok": bool(np.abs(want - got).max() <= rtol * scale and np.isfinite(got).all())}
            row["outputs"] = diffs
            row["ok"] = all(d["ok"] for d in diffs.values())
        except Exception as err:  # one part's failure is a row; the next parts run if its activations exist
            row["ok"], row["error"] = False, f"{type(err).__name__}: {str(err).strip().splitlines()[0][:200]}"
        rows.append(row)
        if not row["ok"]:
            failed.append(label)
        worst = max((d["max_abs_diff"] for d in row.get("outputs", {}).values()), default=float("nan"))
        print(f"  {label}: max |Δ| {worst:.3g}{'' if row['ok'] else '  FAILED ' + row.get('error', '')}",
              file=sys.stderr, flush=True)
        if any(name not in values for name in outputs):
            break  # the original's part did not run: the following parts have no inputs
    return {"parts": rows, "verified": sum(r["ok"] for r in rows), "of": len(parts(shape)), "failed": failed,
            "max_abs_diff": max((d["max_abs_diff"] for r in rows for d in r.get("outputs", {}).values()), default=None),
            "feeds": asdict(feeds), "rtol": rtol, "seconds": round(time.perf_counter() - start, 1)}


# --- where forgec's memory goes (when it misses a target) ------------------------------------------

TARGETS = {"peak_rss_anon_bytes": 4e9, "wall_s": 180.0}
"""The issue's targets for ``forgec --pipeline=transformer`` on the 7B model: 4 GB of RssAnon, 3 minutes."""

PROFILE_CHILD = r'''
import json, sys, threading, time, traceback
from onnxforge.cli.forgec import main
samples, done, main_id = [], threading.Event(), threading.get_ident()
def rss_anon():
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) * 1024 for line in status if line.startswith("RssAnon:"))
def sample():
    start = time.perf_counter()
    while not done.is_set():
        frames = [f for f in traceback.extract_stack(sys._current_frames().get(main_id)) if "/onnxforge/" in f.filename]
        where = [f"{f.filename.rsplit('/onnxforge/', 1)[1]}:{f.name}" for f in frames]
        samples.append((time.perf_counter() - start, rss_anon(), where))
        time.sleep(0.05)
thread = threading.Thread(target=sample, daemon=True)
thread.start()
code = main(sys.argv[2:])
done.set()
thread.join()
json.dump({"returncode": code, "samples": samples}, open(sys.argv[1], "w"))
'''


def profile(model: Path, out: Path, flags: str) -> dict:
    """forgec in a fresh process with a thread sampling its RssAnon and the main thread's onnxforge stack
    every 50 ms: RssAnon growth and seconds per innermost onnxforge function, and per pass (the frame of
    ``transforms/``) — which step holds the memory, and why, follows from the code it names."""
    with tempfile.NamedTemporaryFile(suffix=".json") as trace:
        done = subprocess.run([sys.executable, "-c", PROFILE_CHILD, trace.name, str(model), "-o", str(out),
                               *flags.split(), "--time-passes"], cwd=str(ROOT), capture_output=True, text=True)
        if done.returncode != 0:
            return {"error": (done.stderr.strip().splitlines() or [f"exit {done.returncode}"])[-1][:300]}
        timing = done.stderr[done.stderr.find("===-- pass execution timing"):].split("forgec:")[0].strip()
        samples = json.loads(Path(trace.name).read_text())["samples"]
    by_function: dict[str, list[float]] = {}
    by_pass: dict[str, list[float]] = {}
    for (_, before, _), (_, after, where) in zip(samples, samples[1:]):
        inner = where[-1] if where else "(outside onnxforge)"
        step = next((w for w in where if w.startswith("transforms/") or w.startswith("onnxio/")), inner)
        for table, key in ((by_function, inner), (by_pass, step)):
            grew, seconds = table.setdefault(key, [0.0, 0.0])
            table[key] = [grew + max(0, after - before), seconds + 0.05]

    def top(table: dict[str, list[float]]) -> list[dict]:
        rows = sorted(table.items(), key=lambda kv: -kv[1][0])[:8]
        return [{"where": k, "rss_anon_growth_bytes": int(g), "seconds": round(s, 1)} for k, (g, s) in rows]

    peak = max(samples, key=lambda s: s[1])
    return {"flags": flags, "time_passes": timing.splitlines()[2:9], "peak_rss_anon_bytes": peak[1], "peak_at_s": round(peak[0], 1), "peak_in": peak[2][-4:],
            "by_function": top(by_function), "by_step": top(by_pass),
            "timeline": [(round(t, 1), r) for t, r, _ in samples[::20]]}


# --- the benchmark ----------------------------------------------------------------------------------


def bench(shape: Shape, tools: list[str], args: argparse.Namespace) -> list[dict]:
    path = model_path(shape)
    if not path.exists():
        raise SystemExit(f"{path} missing: run with --build first")
    before = structure(path)
    rows = []
    with tempfile.TemporaryDirectory(dir=path.parent, prefix=f".{shape.name}.") as tmp:
        for name in tools:
            tool, flags = TOOLS[name]
            out, report = Path(tmp) / "out.onnx", Path(tmp) / "report.json"
            print(f"{name}: {' '.join(tool_command(tool, flags, path, out, report))}", file=sys.stderr, flush=True)
            row: dict = {"tool": name, "command": tool_command(tool, flags, path, Path("OUT.onnx"), Path("REPORT.json")),
                         "nodes_before": before["nodes"], "attention_ops_before": before["attention_ops"]}
            row["load_before"] = os.getloadavg()[0]  # 2 cores: other work here shows in the times
            row.update(run_measured(tool_command(tool, flags, path, out, report), args.timeout, args.rss_cap * GIB))
            if "error" not in row and not out.exists():
                row["error"] = "no output written"
            if "error" not in row:
                after = structure(out)
                row.update(nodes_after=after["nodes"], attention_ops=after["attention_ops"])
                if report.exists():
                    summary = json.loads(report.read_text())
                    row["fused"], row["not_fused"] = summary.get("fused", {}), summary.get("not_fused", [])
                data = Path(f"{out}.data")
                row["output_bytes"] = out.stat().st_size + (data.stat().st_size if data.exists() else 0)
                if not args.no_verify:
                    row["verify"] = verify_in_parts(path, out, shape, Feeds(seed=args.seed), args.rtol)
                over = [k for k, limit in TARGETS.items() if row[k] > limit]
                if tool == "onnxforge" and over and shape == Shape() and not args.no_profile:
                    for leftover in Path(tmp).iterdir():
                        leftover.unlink()
                    row["profile"] = profile(path, out, flags)
                    print(f"  profile: {json.dumps(row['profile']['by_step'][:3])}", file=sys.stderr, flush=True)
            print(f"{name}: {_line(row)}", file=sys.stderr, flush=True)
            rows.append(row)
            for leftover in Path(tmp).iterdir():  # ~14 GB per output: one at a time on this disk
                leftover.unlink()
    return rows


def _line(row: dict) -> str:
    if "error" in row:
        return f"{row['wall_s']:.0f} s, RssAnon {row['peak_rss_anon_bytes'] / GIB:.2f} GiB: {row['error']}"
    verify = row.get("verify", {})
    return (f"{row['wall_s']:.1f} s, RssAnon {row['peak_rss_anon_bytes'] / GIB:.2f} GiB, nodes {row['nodes_before']} → "
            f"{row['nodes_after']}, verified {verify.get('verified', '-')}/{verify.get('of', '-')}")


def markdown(rows: list[dict]) -> str:
    lines = ["| tool | wall s | peak RssAnon GiB | peak RssFile GiB | nodes before → after | attention ops | "
             "verified parts | max abs Δ | note |", "|---|---:|---:|---:|---|---|---|---:|---|"]
    for row in rows:
        anon, file = row["peak_rss_anon_bytes"] / GIB, row["peak_rss_file_bytes"] / GIB
        if "error" in row:
            lines.append(f"| {row['tool']} | {row['wall_s']:.0f} | {anon:.2f} | {file:.2f} | {row['nodes_before']} → – "
                         f"| – | – | – | {row['error'][:120]} |")
            continue
        attention = ", ".join(f"{k} ×{v}" for k, v in sorted(row["attention_ops"].items())) or "none"
        verify = row.get("verify")
        checked = f"{verify['verified']}/{verify['of']} in {verify['seconds']:.0f} s" if verify else "not run"
        diff = f"{verify['max_abs_diff']:.2g}" if verify and verify["max_abs_diff"] is not None else "–"
        note = ", ".join(f"{k} ×{v}" for k, v in row.get("fused", {}).items())
        lines.append(f"| {row['tool']} | {row['wall_s']:.1f} | {anon:.2f} | {file:.2f} | {row['nodes_before']} → "
                     f"{row['nodes_after']} | {attention} | {checked} | {diff} | {note} |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default = Shape()
    for field, value in asdict(default).items():
        parser.add_argument(f"--{field.replace('_', '-')}", type=int, default=value)
    parser.add_argument("--build", action="store_true", help="export one layer and replicate it into the model file")
    parser.add_argument("--check-torch", action="store_true", help="with --build: compare with torch (small shapes)")
    parser.add_argument("--tools", default=",".join(TOOLS), help=f"comma-separated rows of {', '.join(TOOLS)}")
    parser.add_argument("--timeout", type=float, default=900, help="seconds per tool run (default 15 min)")
    parser.add_argument("--rss-cap", type=float, default=18, help="GiB of RssAnon at which a run is stopped")
    parser.add_argument("--no-verify", action="store_true", help="measure only")
    parser.add_argument("--no-profile", action="store_true", help="no memory profile of a forgec run over its targets")
    parser.add_argument("--rtol", type=float, default=2**-7, help="verification tolerance relative to max(1, |output|)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    shape = Shape(**{field: getattr(args, field) for field in asdict(default)})
    if args.build:
        build(shape, args.check_torch)
        return 0
    rows = bench(shape, args.tools.split(","), args)
    result = {"date": datetime.date.today().isoformat(), "machine": platform.processor() or platform.machine(),
              "cpus": os.cpu_count(), "shape": asdict(shape), "parameters": shape.parameters(),
              "model": str(model_path(shape).relative_to(ROOT)),
              "weight_bytes": Path(f"{model_path(shape)}.data").stat().st_size, "rows": rows}
    RESULTS.mkdir(parents=True, exist_ok=True)
    suffix = "" if shape == default else f"_{shape.name}"
    (RESULTS / f"decoder_7b{suffix}.json").write_text(json.dumps(result, indent=1) + "\n")
    print(markdown(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
