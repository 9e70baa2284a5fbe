"""``nn-fuse-layer-norm`` and the ``nn.layer_norm`` lowering on real exports and synthetic forms, on onnxruntime.

Every transformer fixture has 5 LayerNorms (embeddings + 2 layers × 2): decomposed in the
TorchScript exports (opset 14, ReduceMean axes attribute), ``LayerNormalization`` in the dynamo
ones (raised as it is). Targets: ``ort`` (LayerNormalization at any opset), ``standard`` at
opset 17 for the TorchScript fixtures (``--target-opset``: ReduceMean gets its axes input) and at
the dynamo fixtures' own opset 20, and ``portable`` (the decomposition). Outputs within class 1.
"""

from __future__ import annotations

import onnx
import pytest
from norm_gelu_support import ALL_TARGETS, check, half_layer_norm, layer_norms
from support import FIXTURES, cleaned, compile_for, op_types

PASS = "nn-fuse-layer-norm"
FUSED = f"{PASS}/FuseLayerNorm"
RAISED = f"{PASS}/RaiseLayerNormalization"
NORMS = 5
TORCHSCRIPT = ["bert_ts", "gpt2_ts", "vit_ts", "whisper_encoder_ts"]
DYNAMO = ["bert_dynamo", "gpt2_dynamo", "vit_dynamo", "whisper_encoder_dynamo"]
TARGETS = [("ort", None), ("standard", 17), ("portable", None)]


@pytest.mark.parametrize(("kind", "opset"), TARGETS)
@pytest.mark.parametrize("name", TORCHSCRIPT + DYNAMO)
def test_fixtures(name: str, kind: str, opset: int | None) -> None:
    model = onnx.load_from_string(cleaned(name))
    dynamo = name.endswith("_dynamo")
    counts = op_types(check(model, PASS, kind, None if dynamo else opset, {RAISED if dynamo else FUSED: NORMS}))
    if kind == "portable":
        assert ("", "LayerNormalization") not in counts and counts[("", "ReduceMean")] == 2 * NORMS
    else:
        assert counts[("", "LayerNormalization")] == NORMS and ("", "ReduceMean") not in counts


def test_no_layer_norm_op_below_opset_17() -> None:
    """Standard ONNX has no LayerNormalization at opset 14: nothing fuses, with the reason recorded."""
    compiled, stats = compile_for(onnx.load_from_string(cleaned("bert_ts")), f"onnx-infer-shapes,{PASS},nn-lower", "standard")
    assert FUSED not in stats
    assert sum(n.op_type == "ReduceMean" for n in compiled.graph.node) == 2 * NORMS


@pytest.mark.parametrize("name", ["llama_ts", "llama_dynamo"])
def test_rms_norms_are_not_layer_norms(name: str) -> None:
    _, stats = compile_for(onnx.load_from_string(cleaned(name)), f"onnx-infer-shapes,{PASS},nn-lower", "ort")
    assert FUSED not in stats and RAISED not in stats


def test_uncleaned_export() -> None:
    """Straight from the exporter (γ and β as Mul/Add of initializers, Constant nodes): same 5 fusions."""
    model = onnx.load(str(FIXTURES / "gpt2_ts.onnx"))
    check(model, PASS, "ort", None, {FUSED: NORMS})


@pytest.mark.parametrize("opset", [14, 18])
@pytest.mark.parametrize(("kind", "target_opset"), ALL_TARGETS)
def test_forms(opset: int, kind: str, target_opset: int | None) -> None:
    """Non-trivial γ / β, Mul(d, d), Reciprocal, ε first, two normalised dims; axes attribute and input."""
    counts = op_types(check(layer_norms(opset), PASS, kind, target_opset, {FUSED: 3}))
    assert counts.get(("", "LayerNormalization"), 0) == (0 if kind == "portable" else 3)


@pytest.mark.parametrize(("kind", "opset"), TARGETS)
def test_half_precision(kind: str, opset: int | None) -> None:
    """torch's f16 form (f32 statistics, cast back before γ, β) is LayerNormalization's stash_type = 1: the
    fused op reads and returns f16; the mean moves from f16 to f32, so outputs differ by f16 rounding."""
    counts = op_types(check(half_layer_norm(), PASS, kind, opset, {FUSED: 1}, atol=2e-3))
    if kind == "portable":  # x → f32 statistics → back to f16, as LayerNormalization's function body
        assert counts[("", "Cast")] == 2 and counts[("", "ReduceMean")] == 2
    else:
        assert counts[("", "LayerNormalization")] == 1 and ("", "Cast") not in counts
