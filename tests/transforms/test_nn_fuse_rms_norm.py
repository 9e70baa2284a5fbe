"""``nn-fuse-rms-norm`` on real Llama exports and HF's half-precision form, checked on onnxruntime.

The tiny Llama has 5 RMSNorms (2 layers × 2 + the final norm). Targets: ``ort``
(SimplifiedLayerNormalization) below opset 23, and ``standard`` or ``ort`` at opset 23
(RMSNormalization); ``portable`` and ``standard`` below 23 must leave the graph alone.
"""

from __future__ import annotations

import onnx
import pytest
from llama_support import hf_rms_norm
from onnx import TensorProto
from support import FIXTURES, assert_close, cleaned, compile_for, op_types

PASSES = "onnx-infer-shapes,nn-fuse-rms-norm,nn-lower"
FUSED = "nn-fuse-rms-norm/FuseRMSNorm"
LLAMA_NORMS = 5


@pytest.mark.parametrize("name", ["llama_ts", "llama_dynamo"])
@pytest.mark.parametrize(("kind", "opset", "lowered"), [
    ("ort", None, ("", "SimplifiedLayerNormalization")),
    ("standard", 23, ("", "RMSNormalization")),
    ("ort", 23, ("", "RMSNormalization")),  # the standard op where the opset has it: valid ONNX, run by onnxruntime
])
def test_llama_fixtures(name: str, kind: str, opset: int | None, lowered: tuple[str, str]) -> None:
    original = onnx.load_from_string(cleaned(name))
    compiled, stats = compile_for(original, PASSES, kind, opset)
    assert stats.get(FUSED) == LLAMA_NORMS
    counts = op_types(compiled)
    assert counts.get(lowered) == LLAMA_NORMS
    assert ("", "ReduceMean") not in counts and ("", "Sqrt") not in counts
    assert_close(original, compiled)


def test_raw_torchscript_export_casts_and_gamma() -> None:
    """Without cleanup: HF's Casts to f32 and back and the Mul by γ are part of each match."""
    original = onnx.load(str(FIXTURES / "llama_ts.onnx"))
    compiled, stats = compile_for(original, PASSES, "ort")
    assert stats.get(FUSED) == LLAMA_NORMS
    assert_close(original, compiled)


@pytest.mark.parametrize(("kind", "opset"), [("portable", None), ("standard", None)])
def test_no_fusion_without_a_target_op(kind: str, opset: int | None) -> None:
    original = onnx.load_from_string(cleaned("llama_dynamo"))
    compiled, stats = compile_for(original, PASSES, kind, opset)
    assert FUSED not in stats
    assert op_types(compiled).get(("", "ReduceMean")) == LLAMA_NORMS


@pytest.mark.parametrize("name", ["bert_ts", "whisper_encoder_ts"])
def test_layer_norms_are_not_rms_norms(name: str) -> None:
    """Decomposed LayerNorms contain Pow/ReduceMean/Sqrt of x - mean(x): never an RMSNorm."""
    original = onnx.load(str(FIXTURES / f"{name}.onnx"))
    _, stats = compile_for(original, PASSES, "ort")
    assert FUSED not in stats


@pytest.mark.parametrize(("kind", "opset"), [("ort", None), ("standard", 23)])
def test_half_precision(kind: str, opset: int | None) -> None:
    """f16 → f32 statistics → f16 → ·γ: the fused op reads and returns f16 (statistics in f32)."""
    original = hf_rms_norm(TensorProto.FLOAT16)
    compiled, stats = compile_for(original, PASSES, kind, opset)
    assert stats.get(FUSED) == 1
    assert ("", "Cast") not in op_types(compiled)
    assert_close(original, compiled, atol=2e-3)  # two f16 roundings at |y| ≲ 4
