"""``nn-fuse-rotary-embedding`` on real Llama exports and HF's partial rotation, and the lowering of
both layouts of ``nn.rotary_embedding`` (4-D from this fusion, 3-D after nn-fuse-attention), checked
on onnxruntime.

The tiny Llama rotates q and k in each of its 2 layers: 4 fusions. Targets: ``ort``
(com.microsoft::RotaryEmbedding with a [S, D/2] cache and position offset 0) at the model's opset
and ``standard`` at opset 23 (RotaryEmbedding); ``portable`` and ``standard`` below 23 must leave
the graph alone.
"""

from __future__ import annotations

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from llama_support import hf_rope
from support import CLASS_1, assert_close, cleaned, compile_for, op_types

from onnxforge.compiler import optimize
from onnxforge.dialects.context import parse_ir
from onnxforge.onnxio.exporter import to_model_proto

PASSES = "onnx-infer-shapes,nn-fuse-rotary-embedding,nn-lower"
FUSED = "nn-fuse-rotary-embedding/FuseRotaryEmbedding"
PARTIAL = "nn-fuse-rotary-embedding/FusePartialRotary"
LOWERED = {"ort": ("com.microsoft", "RotaryEmbedding"), "standard": ("", "RotaryEmbedding")}
TARGETS = [("ort", None), ("standard", 23)]


@pytest.mark.parametrize("name", ["llama_ts", "llama_dynamo"])
@pytest.mark.parametrize(("kind", "opset"), TARGETS)
def test_llama_fixtures(name: str, kind: str, opset: int | None) -> None:
    original = onnx.load_from_string(cleaned(name))
    compiled, stats = compile_for(original, PASSES, kind, opset)
    assert stats.get(FUSED) == 4
    counts = op_types(compiled)
    assert counts.get(LOWERED[kind]) == 4
    assert ("", "Neg") not in counts
    assert_close(original, compiled)


@pytest.mark.parametrize(("kind", "opset"), [("portable", None), ("standard", None)])
def test_no_fusion_without_a_target_op(kind: str, opset: int | None) -> None:
    original = onnx.load_from_string(cleaned("llama_dynamo"))
    compiled, stats = compile_for(original, PASSES, kind, opset)
    assert FUSED not in stats
    assert op_types(compiled).get(("", "Neg")) == 4


@pytest.mark.parametrize(("kind", "opset"), TARGETS)
@pytest.mark.parametrize("rotary", [None, 4])
def test_hf_rope(kind: str, opset: int | None, rotary: int | None) -> None:
    """The whole head, and GPT-NeoX/Phi's partial rotation (4 of 8 dims; the rest passes through)."""
    original = hf_rope(rotary=rotary)
    compiled, stats = compile_for(original, PASSES, kind, opset)
    assert stats.get(FUSED) == 1 and stats.get(PARTIAL, 0) == (1 if rotary else 0)
    assert op_types(compiled).get(LOWERED[kind]) == 1
    assert_close(original, compiled)


# --- the lowering of both layouts, against the op's formula ------------------------------------------

ROTARY_IR = """
"builtin.module"() ({{
  "onnx.model"() <{{ir_version = 10 : i64, opset_import = {{"" = {opset} : i64}}}}> ({{
    "onnx.graph"() <{{name = "rotary", input_names = ["x", "cos", "sin"], output_names = ["y"], output_types = [!onnx.any]}}> ({{
    ^bb0(%x: !onnx.tensor<{x_type}, f32>, %cos: !onnx.tensor<[1, sequence, {half}], f32>, %sin: !onnx.tensor<[1, sequence, {half}], f32>):
      %none = "onnx.novalue"() : () -> !onnx.none
      %y = "nn.rotary_embedding"(%x, %cos, %sin, %none) <{{num_heads = {heads} : i64, rotary_dim = {rotary} : i64, interleaved = {interleaved} : i64}}> : (!onnx.tensor<{x_type}, f32>, !onnx.tensor<[1, sequence, {half}], f32>, !onnx.tensor<[1, sequence, {half}], f32>, !onnx.none) -> !onnx.tensor<{x_type}, f32>
      "onnx.return"(%y) : (!onnx.tensor<{x_type}, f32>) -> ()
    }}) : () -> ()
  }}) : () -> ()
}}) : () -> ()
"""


def reference(x: np.ndarray, cos: np.ndarray, sin: np.ndarray, rotary: int, interleaved: bool) -> np.ndarray:
    """``nn.rotary_embedding`` on ``[B, H, S, D]`` with ``[S, rotary/2]`` caches (its docstring's formula)."""
    c, s = cos, sin  # [S, rotary/2], broadcast over batch and heads
    rot, rest = x[..., :rotary], x[..., rotary:]
    x1, x2 = (rot[..., 0::2], rot[..., 1::2]) if interleaved else np.split(rot, 2, axis=-1)
    real, imag = x1 * c - x2 * s, x2 * c + x1 * s
    out = np.stack([real, imag], axis=-1).reshape(rot.shape) if interleaved else np.concatenate([real, imag], -1)
    return np.concatenate([out, rest], axis=-1)


@pytest.mark.parametrize(("kind", "opset"), [("ort", 20), ("standard", 23)])
@pytest.mark.parametrize("layout", ["BHSD", "BSHD-packed"])
@pytest.mark.parametrize(("rotary", "interleaved"), [(8, 0), (4, 0), (8, 1)])
def test_lowering_layouts(kind: str, opset: int, layout: str, rotary: int, interleaved: int) -> None:
    batch, heads, seq, head = 3, 2, 5, 8
    x_type = "[batch, 2, sequence, 8]" if layout == "BHSD" else "[batch, sequence, 16]"
    text = ROTARY_IR.format(opset=opset, x_type=x_type, half=rotary // 2, heads=heads, rotary=rotary, interleaved=interleaved)
    module = parse_ir(text, "rotary")
    optimize(module, passes=f"nn-lower{{target={kind} opset={opset}}}")
    model = to_model_proto(module)
    assert op_types(model).get(LOWERED[kind]) == 1
    rng = np.random.default_rng(0)
    x = rng.standard_normal((batch, heads, seq, head)).astype(np.float32)
    angles = rng.uniform(0, 6, (1, seq, rotary // 2)).astype(np.float32)
    cos, sin = np.cos(angles), np.sin(angles)
    fed = x if layout == "BHSD" else x.transpose(0, 2, 1, 3).reshape(batch, seq, heads * head)
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    (got,) = session.run(None, {"x": fed, "cos": cos, "sin": sin})
    if layout != "BHSD":
        got = got.reshape(batch, seq, heads, head).transpose(0, 2, 1, 3)
    np.testing.assert_allclose(got, reference(x, cos[0], sin[0], rotary, bool(interleaved)), atol=CLASS_1, rtol=0)
