"""Attention with a KV cache (``nn-fuse-attention`` on decoders exported with ``past_key_values``).

The fixtures (``tools/make_decoder_fixtures.py``) are one decode step of GPT-2 (multi-head), Llama
and Qwen2 (grouped-query + rotary) from both torch exporters. Each compiled model keeps the
interface (names, types, shapes of every input and output) and is compared with the original on
onnxruntime at past = 0 (the prompt) and past > 0 (decode steps of 1 and 3 tokens), batch 2 with
left padding, so the mask hides the first positions of one row.
"""

from __future__ import annotations

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from paths import FIXTURES
from support import compile_state, near_misses, op_types

from onnxforge.transforms.pipelines import CLEANUP

DECODERS = FIXTURES / "decoders"
FUSED = "nn-fuse-attention/FuseAttention"
ATOL = 1e-5
PIPELINE = "onnx-infer-shapes,nn-fuse-rms-norm,nn-fuse-rotary-embedding,nn-fuse-attention,nn-fuse-qkv,nn-lower"

# (fixture, target, opset) → the attention op each of the 2 layers lowers to; None: not fused (reason)
CASES = [
    ("gpt2_past_ts", "ort", None, ("com.microsoft", "MultiHeadAttention")),
    ("gpt2_past_dynamo", "ort", None, ("com.microsoft", "MultiHeadAttention")),
    ("gpt2_past_ts", "standard", 23, ("", "Attention")),
    ("llama_past_ts", "ort", 23, ("", "Attention")),
    ("llama_past_ts", "standard", 23, ("", "Attention")),
    ("qwen2_past_ts", "ort", 23, ("", "Attention")),
    ("qwen2_past_ts", "standard", 23, ("", "Attention")),
    ("optimum_gpt2", "ort", None, ("com.microsoft", "MultiHeadAttention")),
    ("optimum_gpt2", "standard", 23, ("", "Attention")),
    ("optimum_llama", "ort", 23, ("", "Attention")),
    ("optimum_qwen2", "standard", 23, ("", "Attention")),
    ("optimum_phi3", "standard", 23, ("", "Attention")),
    ("optimum_mistral_window8", "ort", 23, ("", "Attention")),  # a sliding window of 8: steps below reach 12
    ("optimum_gpt_neox", "ort", 23, ("com.microsoft", "MultiHeadAttention")),  # q/k/v: parts of each packed head
    ("optimum_gpt_neox", "standard", 23, ("", "Attention")),
    # heads made in the [B, S, H, D] layout (merged back for the fused op): a per-head q/k RMSNorm, rotary before
    # the transpose with a pass-through part, one K/V head gathered from [B, S, H + 2, D] and broadcast (MQA)
    ("optimum_qwen3", "standard", 23, ("", "Attention")),
    ("optimum_qwen3", "ort", 23, ("", "Attention")),
    ("optimum_gptj", "ort", None, ("com.microsoft", "MultiHeadAttention")),
    ("optimum_gptj", "standard", 23, ("", "Attention")),
    ("optimum_falcon_mqa", "ort", 23, ("com.microsoft", "MultiHeadAttention")),
]

# Encoder–decoders (Optimum): (fixture, target, opset) → attention ops after lowering, main graph and branches
SEQ2SEQ = [
    # 2 layers × (cached self-attention + cross-attention over the fed-back encoder K/V)
    ("optimum_whisper_decoder_with_past", "ort", None, {("com.microsoft", "MultiHeadAttention"): 4}),
    # the merged decoder: the first step's branch (cross K/V projected from the encoder states) and the later steps'
    ("optimum_whisper_decoder_merged", "ort", None, {("com.microsoft", "MultiHeadAttention"): 6,
                                                      ("com.microsoft", "Attention"): 2}),
    ("optimum_bart_decoder_merged", "ort", None, {("com.microsoft", "MultiHeadAttention"): 6,
                                                   ("com.microsoft", "Attention"): 2}),
    # T5: relative position bias as the mask, spanning Shape(present)[2] keys in the first block; scale 1
    ("optimum_t5_decoder_with_past", "ort", None, {("com.microsoft", "MultiHeadAttention"): 4}),
]


def _cleaned(name: str) -> onnx.ModelProto:
    from support import cleaned

    return onnx.load_from_string(cleaned(f"decoders/{name}"))


def _all_op_types(graph: onnx.GraphProto, counts: dict[tuple[str, str], int]) -> dict[tuple[str, str], int]:
    for node in graph.node:
        counts[(node.domain, node.op_type)] = counts.get((node.domain, node.op_type), 0) + 1
        for attr in node.attribute:
            if attr.HasField("g"):
                _all_op_types(attr.g, counts)
    return counts


def _interface(model: onnx.ModelProto) -> list[tuple[str, str]]:
    """Names and types of the inputs and outputs; a dim named by a decimal number (Optimum's T5 writes
    ``dim_param: "1"``) counts as that size, as forgec reads it."""
    found = []
    for value in (*model.graph.input, *model.graph.output):
        kind = onnx.TypeProto()
        kind.CopyFrom(value.type)
        for dim in kind.tensor_type.shape.dim:
            if dim.HasField("dim_param") and dim.dim_param.isdecimal():
                dim.dim_value = int(dim.dim_param)
        found.append((value.name, str(kind)))
    return found


def feeds(model: onnx.ModelProto, batch: int, past: int, seq: int, seed: int = 0) -> dict[str, np.ndarray]:
    """A left-padded decode step: row 1's first two positions are padding; positions count real tokens."""
    rng = np.random.default_rng(seed)
    mask = np.ones((batch, past + seq), np.int64)
    if batch > 1:
        mask[1, :min(2, past + seq - 1)] = 0
    out: dict[str, np.ndarray] = {}
    for value in model.graph.input:
        if value.name == "input_ids":
            out[value.name] = rng.integers(0, 256, (batch, seq)).astype(np.int64)
        elif value.name == "attention_mask":
            out[value.name] = mask
        elif value.name == "position_ids":
            out[value.name] = np.maximum(np.cumsum(mask, -1) - 1, 0)[:, past:]
        else:
            dims = value.type.tensor_type.shape.dim
            shape = [batch, dims[1].dim_value, past, dims[3].dim_value]
            out[value.name] = rng.standard_normal(shape).astype(np.float32)
    return out


def run(model: onnx.ModelProto, inputs: dict[str, np.ndarray]) -> list[np.ndarray]:
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    return ort.InferenceSession(model.SerializeToString(), options, providers=["CPUExecutionProvider"]).run(None, inputs)


def assert_same_steps(original: onnx.ModelProto, compiled: onnx.ModelProto) -> None:
    for batch, past, seq in ((2, 0, 4), (2, 5, 1), (2, 5, 3), (1, 7, 1), (2, 10, 2)):
        inputs = feeds(original, batch, past, seq)
        for name, want, got in zip([o.name for o in original.graph.output], run(original, inputs),
                                   run(compiled, inputs), strict=True):
            assert want.shape == got.shape, (name, batch, past, seq)
            np.testing.assert_allclose(got, want, atol=ATOL, rtol=0, err_msg=f"{name} at B={batch} P={past} S={seq}")


@pytest.mark.parametrize(("name", "kind", "opset", "lowered"), CASES)
def test_cached_attention_fuses_and_keeps_the_step(name: str, kind: str, opset: int | None,
                                                   lowered: tuple[str, str]) -> None:
    original = onnx.load(DECODERS / f"{name}.onnx")
    compiled, state = compile_state(_cleaned(name), PIPELINE, kind, opset)
    assert state.statistics[FUSED] == 2, near_misses(state, "nn-fuse-attention")
    counts = op_types(compiled)
    assert counts.get(lowered) == 2
    assert ("", "Softmax") not in counts
    assert _interface(compiled) == _interface(original)
    assert_same_steps(original, compiled)


@pytest.mark.parametrize("name", ["llama_past_ts", "optimum_llama", "optimum_qwen3", "optimum_phi3"])
def test_per_sequence_rotary_below_opset_23_is_decomposed_and_the_attention_fuses(name: str) -> None:
    """Below opset 23 under ort, a rotary embedding with per-sequence positions (left padding, a cache's offset) has
    no op (the contrib one reads rows of one shared table): it lowers to basic ops, bit-exactly, and the attention
    around it fuses (multi-head attention over the repeated KV heads, which runs at any opset)."""
    original = onnx.load(DECODERS / f"{name}.onnx")
    compiled, state = compile_state(_cleaned(name), PIPELINE, "ort")
    assert state.statistics[FUSED] == 2, near_misses(state, "nn-fuse-attention")
    counts = op_types(compiled)
    assert counts.get(("com.microsoft", "MultiHeadAttention")) == 2 and ("", "Softmax") not in counts
    assert not any(op == "RotaryEmbedding" for _, op in counts)
    assert _interface(compiled) == _interface(original)
    assert_same_steps(original, compiled)
    alone, fused = compile_state(_cleaned(name), "onnx-infer-shapes,nn-fuse-rotary-embedding,nn-lower", "ort")
    assert sum(n for key, n in fused.statistics.items() if key.startswith("nn-fuse-rotary-embedding/")) == 4
    assert not any(op == "RotaryEmbedding" for _, op in op_types(alone))  # fused, lowered to basic ops:
    for batch, past, seq in ((2, 0, 4), (2, 5, 3)):
        inputs = feeds(original, batch, past, seq)
        for want, got in zip(run(_cleaned(name), inputs), run(alone, inputs), strict=True):
            np.testing.assert_array_equal(got, want)  # bit-identical


def test_dynamo_batch_may_be_empty() -> None:
    """The dynamo export runs at batch 0 (no Reshape proves it nonzero): onnxruntime's Attention would reject it, so
    the standard target declines; under ort the GQA cache is the graph's Concat, each KV head repeated, and
    MultiHeadAttention over the repeated heads — which runs an empty batch as the original does."""
    original = onnx.load(DECODERS / "llama_past_dynamo.onnx")
    empty = feeds(original, 0, 3, 1)
    assert run(original, empty)[0].shape[0] == 0
    compiled, state = compile_state(_cleaned("llama_past_dynamo"), PIPELINE, "standard", 23)
    assert FUSED not in state.statistics
    assert any("may be 0" in r for r in near_misses(state, "nn-fuse-attention"))
    compiled, state = compile_state(_cleaned("llama_past_dynamo"), PIPELINE, "ort", 23)
    assert state.statistics[FUSED] == 2
    counts = op_types(compiled)
    assert counts.get(("com.microsoft", "MultiHeadAttention")) == 2 and ("", "Attention") not in counts
    assert [o.shape for o in run(compiled, empty)] == [o.shape for o in run(original, empty)]
    assert _interface(compiled) == _interface(original)
    assert_same_steps(original, compiled)


def _mask_from_present(projected: bool = False, values: bool = False) -> onnx.ModelProto:
    """One cached attention whose mask is sliced to ``Shape(present_k)[2]`` keys (Optimum's GPT-2 before
    ``onnx-simplify-shape-chains`` proves that slice whole); ``projected``: q, k, v are three projections
    of one input ``x`` (what ``nn-fuse-qkv`` merges); ``values``: the mask also adds a function of the present's
    *values* (``ReduceMax`` over heads and size), which no shape arithmetic can replace."""
    from onnx import TensorProto as T
    from onnx import helper as h

    heads = lambda x, n: [h.make_node("Reshape", [x, "split"], [f"{n}_r"]),  # noqa: E731
                          h.make_node("Transpose", [f"{n}_r"], [f"{n}4"], perm=[0, 2, 1, 3])]
    nodes = [*heads("q", "q"), *heads("k", "k"), *heads("v", "v"),
             h.make_node("Concat", ["past_k", "k4"], ["present_k"], axis=2),
             h.make_node("Concat", ["past_v", "v4"], ["present_v"], axis=2),
             h.make_node("Shape", ["present_k"], ["shape"]),
             h.make_node("Gather", ["shape", "two"], ["total"], axis=0),
             h.make_node("Unsqueeze", ["total", "zero"], ["end"]),
             h.make_node("Slice", ["mask", "zero", "end", "three"], ["m"]),
             h.make_node("Transpose", ["present_k"], ["kt"], perm=[0, 1, 3, 2]),
             h.make_node("MatMul", ["q4", "kt"], ["s"]),
             h.make_node("Mul", ["s", "scale"], ["ss"]),
             h.make_node("Add", ["ss", "m"], ["sm"]),
             h.make_node("Softmax", ["sm"], ["p"], axis=-1),
             h.make_node("MatMul", ["p", "present_v"], ["y4"]),
             h.make_node("Transpose", ["y4"], ["yt"], perm=[0, 2, 1, 3]),
             h.make_node("Reshape", ["yt", "merge"], ["y"])]
    new = lambda n: h.make_tensor_value_info(n, T.FLOAT, ["batch", "seq", 32])  # noqa: E731
    past = lambda n: h.make_tensor_value_info(n, T.FLOAT, ["batch", 2, "past", 16])  # noqa: E731
    total = lambda n: h.make_tensor_value_info(n, T.FLOAT, ["batch", 2, "past + seq", 16])  # noqa: E731
    consts = [h.make_tensor("split", T.INT64, [4], [0, 0, 2, 16]), h.make_tensor("merge", T.INT64, [3], [0, 0, 32]),
              h.make_tensor("two", T.INT64, [], [2]), h.make_tensor("zero", T.INT64, [1], [0]),
              h.make_tensor("three", T.INT64, [1], [3]), h.make_tensor("scale", T.FLOAT, [], [0.25]),
              h.make_tensor("heads_and_size", T.INT64, [2], [1, 3])]
    inputs = [new("q"), new("k"), new("v")]
    mask = [h.make_tensor_value_info("mask", T.FLOAT, ["batch", 1, "seq", "past + seq"])]
    if values:
        add = next(n for n in nodes if n.op_type == "Add")
        nodes[nodes.index(add):nodes.index(add)] = [
            h.make_node("ReduceMax", ["present_k", "heads_and_size"], ["peak"], keepdims=1),
            h.make_node("Transpose", ["peak"], ["peak_t"], perm=[0, 1, 3, 2]),
            h.make_node("Add", ["m", "peak_t"], ["m2"])]
        add.input[1] = "m2"
    if projected:  # and no mask (one decode step without padding): the packed form would pass every check
        nodes = [n for n in nodes if n.op_type not in ("Shape", "Gather", "Unsqueeze", "Slice", "Add")]
        next(n for n in nodes if n.op_type == "Softmax").input[0] = "ss"
        mask = []
        rng = np.random.default_rng(1)
        consts += [h.make_tensor(f"w{n}", T.FLOAT, [32, 32], rng.standard_normal(32 * 32).astype(np.float32) * 0.2)
                   for n in "qkv"]
        nodes = [h.make_node("MatMul", ["x", f"w{n}"], [n]) for n in "qkv"] + nodes
        inputs = [new("x")]
    graph = h.make_graph(nodes, "mask_from_present",
                         [*inputs, past("past_k"), past("past_v"), *mask],
                         [new("y"), total("present_k"), total("present_v")], consts)
    return h.make_model(graph, opset_imports=[h.make_opsetid("", 18)], ir_version=9)


def test_mask_read_from_the_present_is_not_fused() -> None:
    """A mask computed from the present's values: the fused op would read its own result. Declined, with the reason."""
    original = _mask_from_present(values=True)
    compiled, state = compile_state(original, "onnx-infer-shapes,nn-fuse-attention,nn-lower", "ort")
    reasons = near_misses(state, "nn-fuse-attention")
    assert FUSED not in state.statistics, reasons
    assert any("read its own result" in r for r in reasons), reasons
    onnx.checker.check_model(compiled, full_check=True)
    _assert_same(original, compiled)


def test_mask_read_from_the_present_shape_is_computed_without_it() -> None:
    """A mask sliced to ``Shape(present_k)[2]`` keys (no shape simplification first): the fusion computes that shape
    from the past's and the new step's (``[B, H, P + T, D]``), then fuses; the block computes the same."""
    original = _mask_from_present()
    compiled, state = compile_state(original, "onnx-infer-shapes,nn-fuse-attention,nn-lower", "ort")
    assert state.statistics[FUSED] == 1, near_misses(state, "nn-fuse-attention")
    onnx.checker.check_model(compiled, full_check=True)
    _assert_same(original, compiled)


def test_whole_slice_is_dropped_then_the_attention_fuses() -> None:
    """``onnx-simplify-shape-chains`` proves ``Slice(mask, 0, Shape(present)[2])`` takes the mask whole, which
    frees the attention of the cycle; the fused model computes the same step."""
    original = _mask_from_present()
    compiled, state = compile_state(original, f"{CLEANUP},nn-fuse-attention,nn-lower", "ort")
    assert state.statistics["onnx-simplify-shape-chains/identity-slice"] == 1
    assert state.statistics[FUSED] == 1
    assert op_types(compiled).get(("com.microsoft", "MultiHeadAttention")) == 1
    _assert_same(original, compiled)


def test_cached_projections_are_split_not_packed() -> None:
    """q, k, v projected from one x, no mask: ``nn-fuse-qkv`` merges the projections into one MatMul + Split, never the
    packed attention form (which has no cache), and the step is unchanged."""
    original = _mask_from_present(projected=True)
    compiled, state = compile_state(original, f"{CLEANUP},{PIPELINE}", "ort")
    assert state.statistics[FUSED] == 1
    assert state.statistics["nn-fuse-qkv/FuseQKV"] == 1
    counts = op_types(compiled)
    assert counts.get(("", "MatMul")) == 1 and counts.get(("", "Split")) == 1
    assert counts.get(("com.microsoft", "MultiHeadAttention")) == 1
    _assert_same(original, compiled)


def _assert_same(original: onnx.ModelProto, compiled: onnx.ModelProto) -> None:
    """The synthetic block's outputs at past 0 and 3 (batch 2, 4 new positions, a random -1e4 mask)."""
    rng = np.random.default_rng(0)
    names = [i.name for i in original.graph.input]
    for past in (0, 3):
        inputs = {n: rng.standard_normal((2, 4, 32)).astype(np.float32) for n in ("q", "k", "v", "x") if n in names}
        inputs |= {n: rng.standard_normal((2, 2, past, 16)).astype(np.float32) for n in ("past_k", "past_v")}
        if "mask" in names:
            inputs["mask"] = np.where(rng.random((2, 1, 4, past + 4)) < 0.2, -1e4, 0).astype(np.float32)
        for want, got in zip(run(original, inputs), run(compiled, inputs), strict=True):
            np.testing.assert_allclose(got, want, atol=ATOL, rtol=0)


@pytest.mark.parametrize(("name", "kind", "opset", "lowered"), SEQ2SEQ)
def test_encoder_decoder_with_past(name: str, kind: str, opset: int | None, lowered: dict) -> None:
    """Self-attention over the cache and cross-attention over K/V inputs fuse, in both branches of the merged
    decoder; the verifier binds every dim (past and encoder length included) to 0 and 1 as well."""
    from onnxforge.runtime import verify

    original = onnx.load(DECODERS / f"{name}.onnx")
    compiled, state = compile_state(_cleaned(name), PIPELINE, kind, opset)
    counts = _all_op_types(compiled.graph, {})
    assert {k: counts.get(k) for k in lowered} == lowered, near_misses(state, "nn-fuse-attention")
    assert ("", "Softmax") not in counts
    assert _interface(compiled) == _interface(original)
    report = verify(original, compiled, seed=0)
    assert report.within(ATOL), report.summary()
    assert any(binding.endswith("=0") for binding in report.edge_bindings), report.summary()
