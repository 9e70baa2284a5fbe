"""``nn-fuse-attention`` on every committed transformer fixture and on the exporters' variants, checked on onnxruntime.

Each tiny fixture has 2 attention blocks (BERT with its padding mask, GPT-2 causal + padding with a
packed QKV Split, ViT, the Whisper encoder, Llama with GQA and rotary), exported by TorchScript
(opset 14) and dynamo (opset 20). Targets: ``ort`` at the model's opset (``MultiHeadAttention``, or
``com.microsoft::Attention`` when the packed QKV projection is a constant-weight ``Gemm``) and
``standard`` at opset 23 (``Attention``). Outputs must stay within accuracy class 1 (1e-4), also
with padded attention masks: right padding, left padding and a sequence padded entirely, whose
rows are masked everywhere (the case where onnxruntime's kernels differ most from softmax).
The synthetic blocks (``attention_graphs``) cover SDPA's decomposition (``√scale`` on q and kᵀ,
the flatten-transpose key, the ``Where(IsNaN)`` guard, the triangular causal mask).
"""

from __future__ import annotations

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from attention_graphs import block
from support import CLASS_1, assert_close, cleaned, compile_for, compile_state, near_misses, op_types

from onnxforge.compiler import load_model, optimize, to_ir
from onnxforge.onnxio.exporter import to_model_proto

PASSES = "onnx-infer-shapes,nn-fuse-rotary-embedding,nn-fuse-attention,nn-lower"
FUSED = "nn-fuse-attention/FuseAttention"
MHA = ("com.microsoft", "MultiHeadAttention")
PACKED = ("com.microsoft", "Attention")
STANDARD = ("", "Attention")
ORT_OP = {"bert": MHA, "gpt2": PACKED, "vit": MHA, "whisper_encoder": MHA, "llama": MHA}
TARGETS = [("ort", None), ("standard", 23)]
TEXT = ("bert", "gpt2", "llama")


def run(model: onnx.ModelProto, feeds: dict[str, np.ndarray]) -> list[np.ndarray]:
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    session = ort.InferenceSession(model.SerializeToString(), options, providers=["CPUExecutionProvider"])
    return session.run(None, feeds)


def assert_same(original: onnx.ModelProto, compiled: onnx.ModelProto, feeds: dict[str, np.ndarray]) -> None:
    """Every output within class 1, NaN exactly where the original has NaN."""
    for want, got in zip(run(original, feeds), run(compiled, feeds), strict=True):
        assert np.array_equal(np.isnan(want), np.isnan(got))
        np.testing.assert_allclose(np.nan_to_num(got), np.nan_to_num(want), atol=CLASS_1, rtol=0)


def padded_text_feeds() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(0)
    mask = np.ones((4, 7), np.int64)
    mask[1, 5:] = 0  # right padding
    mask[2, :3] = 0  # left padding: under a causal mask its first queries see no key at all
    mask[3] = 0  # a sequence padded entirely
    return {"input_ids": rng.integers(0, 256, (4, 7)), "attention_mask": mask}


@pytest.mark.parametrize("arch", ["bert", "gpt2", "vit", "whisper_encoder", "llama"])
@pytest.mark.parametrize("exporter", ["ts", "dynamo"])
@pytest.mark.parametrize(("kind", "opset"), TARGETS)
def test_fixtures(arch: str, exporter: str, kind: str, opset: int | None) -> None:
    original = onnx.load_from_string(cleaned(f"{arch}_{exporter}"))
    compiled, state = compile_state(original, PASSES, kind, opset)
    stats = dict(state.statistics)
    if kind == "standard" and exporter == "dynamo":
        # onnxruntime's Attention rejects batch 0, which these exports run (their own Reshapes have no
        # -1 next to batch to prove it nonzero, as the TorchScript exports' have)
        assert FUSED not in stats
        assert any("batch batch may be 0" in r for r in near_misses(state, "nn-fuse-attention"))
        assert_close(original, compiled)
        return
    assert stats.get(FUSED) == 2
    counts = op_types(compiled)
    assert counts.get(ORT_OP[arch] if kind == "ort" else STANDARD) == 2
    assert ("", "Softmax") not in counts
    assert_close(original, compiled)
    if arch in TEXT:
        assert_same(original, compiled, padded_text_feeds())


def test_transformer_pipeline_packs_bert_for_ort() -> None:
    """In the transformer pipeline nn-fuse-qkv runs after this fusion; the lowering then sees q, k, v as
    one Split of one projection and emits com.microsoft::Attention, taking the projection in."""
    original = onnx.load_from_string(cleaned("bert_dynamo"))
    module = to_ir(load_model(original))
    optimize(module, "transformer", target="ort")
    compiled = to_model_proto(module)
    counts = op_types(compiled)
    assert counts.get(PACKED) == 2 and ("", "Split") not in counts
    assert_same(original, compiled, padded_text_feeds())


@pytest.mark.parametrize(("kind", "opset", "reason"), [
    ("portable", None, "portable keeps attention decomposed"),
    ("standard", None, "Attention needs opset ≥ 23"),
])
def test_no_fusion_without_a_target_op(kind: str, opset: int | None, reason: str) -> None:
    original = onnx.load_from_string(cleaned("bert_dynamo"))
    module = to_ir(load_model(original))
    report = optimize(module, passes=PASSES, target=kind)
    assert FUSED not in report.state.statistics
    assert any(reason in miss.reason for miss in report.state.near_misses)


def test_unfused_rotary_is_a_near_miss() -> None:
    """Without nn-fuse-rotary-embedding, Llama's q/k are HF's decomposed rotary: no fusion, and the reason says so."""
    module = to_ir(load_model(onnx.load_from_string(cleaned("llama_dynamo"))))
    report = optimize(module, passes="onnx-infer-shapes,nn-fuse-attention{target=ort}")
    assert FUSED not in report.state.statistics
    assert any("unfused rotary embedding" in miss.reason for miss in report.state.near_misses)


# --- the exporters' variants, on synthetic blocks ----------------------------------------------------

VARIANTS = {
    "bert": {"key": "split_t", "mask": "float"},
    "llama_gqa_rope": {"key": "swap", "mask": "float", "group": 2, "rope": True},
    "sdpa_bool_inf_guard": {"key": "sdpa", "mask": "bool_inf", "guard": True},
    "sdpa_bool_min_guard_gqa": {"key": "sdpa", "mask": "bool_min", "guard": True, "group": 2},
    "sdpa_causal": {"key": "sdpa", "mask": "causal"},
    "gpt2_packed_2d_merge": {"packed": True, "merge": "2d"},
    "vit_zero_mask": {"mask": "zero"},
}


def synthetic_feeds(model: onnx.ModelProto) -> dict[str, np.ndarray]:
    """x, and a mask keeping ~70 % of the keys, with one query row and one whole sequence masked entirely."""
    rng = np.random.default_rng(0)
    keep = rng.random((3, 1, 5, 5)) < 0.7
    keep[..., 0] = True
    keep[1, :, 2, :] = False
    keep[2] = False
    feeds = {"x": rng.standard_normal((3, 5, 8)).astype(np.float32)}
    names = {i.name for i in model.graph.input}
    if "mask" in names:
        feeds["mask"] = np.where(keep, 0.0, np.finfo(np.float32).min).astype(np.float32)
    if "keep" in names:
        feeds["keep"] = keep
    return feeds


@pytest.mark.parametrize("variant", sorted(VARIANTS))
@pytest.mark.parametrize(("kind", "opset"), [("ort", None), ("standard", 23)])
def test_variants(variant: str, kind: str, opset: int | None) -> None:
    original = block(**VARIANTS[variant])  # type: ignore[arg-type]
    compiled, state = compile_state(original, PASSES, kind, opset)
    stats, misses = dict(state.statistics), near_misses(state, "nn-fuse-attention")
    if VARIANTS[variant].get("key") == "sdpa":
        # SDPA's kᵀ flattens with Reshape(k, [-1, T, D]): at T = 0 that 0 copies the heads dim, so the
        # flatten is [0, heads, D], not [B·heads, T, D], and the shape is not provable (issue 13)
        assert FUSED not in stats and any("does not keep [T, D]" in r for r in misses)
        assert_same(original, compiled, synthetic_feeds(original))
        return
    if kind == "standard":  # nothing in these blocks proves batch >= 1, and onnxruntime's Attention needs it
        assert FUSED not in stats and any("may be 0" in r for r in misses)
        assert_same(original, compiled, synthetic_feeds(original))
        return
    assert stats.get(FUSED) == 1
    counts = op_types(compiled)
    assert ("", "Softmax") not in counts
    lowered = [n for n in compiled.graph.node if n.op_type in ("Attention", "MultiHeadAttention")]
    assert len(lowered) == 1
    attrs = {a.name: onnx.helper.get_attribute_value(a) for a in lowered[0].attribute}
    causal = attrs.get("is_causal", attrs.get("unidirectional"))
    assert causal == (1 if variant == "sdpa_causal" else 0)
    assert_same(original, compiled, synthetic_feeds(original))


def test_gqa_under_ort_at_opset_23_keeps_the_kv_heads() -> None:
    """--target=ort at opset 23: grouped-query attention lowers to the standard Attention (no repeated KV heads)
    where batch and sequence are provably >= 1 (here: a Reshape with -1 beside them proves it)."""
    original = block(key="swap", mask="float", group=2, rope=True)
    graph = original.graph
    graph.node.insert(0, onnx.helper.make_node("Reshape", ["x", "proof_shape"], ["x_flat"], name="proof"))
    graph.initializer.append(onnx.numpy_helper.from_array(np.array([0, 0, -1], np.int64), "proof_shape"))
    graph.output.append(onnx.helper.make_tensor_value_info("x_flat", onnx.TensorProto.FLOAT, None))
    compiled, stats = compile_for(original, PASSES, "ort", 23)
    counts = op_types(compiled)
    assert stats.get(FUSED) == 1 and counts.get(STANDARD) == 1 and MHA not in counts
    assert ("", "Expand") not in counts
    assert_same(original, compiled, synthetic_feeds(original))


def test_gqa_under_ort_at_opset_23_without_a_proof_repeats_the_kv_heads() -> None:
    """Batch and sequence may be 0 (onnxruntime's Attention rejects both): MultiHeadAttention instead."""
    original = block(key="swap", mask="float", group=2, rope=True)
    compiled, stats = compile_for(original, PASSES, "ort", 23)
    counts = op_types(compiled)
    assert stats.get(FUSED) == 1 and counts.get(MHA) == 1 and STANDARD not in counts
    assert_close(original, compiled)  # also at batch 0 and sequence 0 (runtime.verify's edge bindings)
