"""``nn-fuse-skip-layer-norm`` and onnxruntime's SkipLayerNormalization on real exports and synthetic forms.

Only ``--target=ort`` has one op for Add + LayerNorm. Every residual LayerNorm of the fixtures
fuses: BERT's 4 (its embeddings LayerNorm adds position embeddings of shape
``[1, min(64, sequence), H]``, which is not provably ``[1, sequence, H]``: a near miss), GPT-2's,
ViT's and Whisper's 5 (pre-LN: the sum also feeds the next residual, as the op's second output).
Outputs within class 1.
"""

from __future__ import annotations

import onnx
import pytest
from norm_gelu_support import check, residual_blocks
from support import FIXTURES, cleaned, compile_for, op_types

PASSES = "nn-fuse-layer-norm,nn-fuse-skip-layer-norm"
FUSED = "nn-fuse-skip-layer-norm/FuseSkipLayerNorm"
SKIPS = {"bert": 4, "gpt2": 5, "vit": 5, "whisper_encoder": 5}
SKIP_OP = ("com.microsoft", "SkipLayerNormalization")


@pytest.mark.parametrize("name", [f"{m}_{e}" for m in SKIPS for e in ("ts", "dynamo")])
def test_fixtures(name: str) -> None:
    family = name.rsplit("_", 1)[0]
    counts = op_types(check(onnx.load_from_string(cleaned(name)), PASSES, "ort", None, {FUSED: SKIPS[family]}))
    assert counts[SKIP_OP] == SKIPS[family]
    assert counts.get(("", "LayerNormalization"), 0) == 5 - SKIPS[family]


@pytest.mark.parametrize(("kind", "opset"), [("standard", 20), ("portable", None)])
def test_no_single_op_elsewhere(kind: str, opset: int | None) -> None:
    _, stats = compile_for(onnx.load_from_string(cleaned("gpt2_dynamo")), f"onnx-infer-shapes,{PASSES},nn-lower", kind, opset)
    assert FUSED not in stats


def test_uncleaned_export() -> None:
    """Straight from the exporter, Shape ops read GPT-2's residual sums before their LayerNorm: the fused
    op then takes the Add's place (γ and β are initializers, defined before it)."""
    check(onnx.load(str(FIXTURES / "gpt2_ts.onnx")), PASSES, "ort", None, {FUSED: 5})


def test_forms() -> None:
    """Post-LN with the dense bias absorbed, pre-LN whose sum feeds the next residual, a [S, H] skip."""
    compiled = check(residual_blocks(), PASSES, "ort", None, {FUSED: 3})
    skips = [n for n in compiled.graph.node if (n.domain, n.op_type) == SKIP_OP]
    assert len(skips) == 3 and [len(n.input) == 5 and n.input[4] != "" for n in skips] == [True, False, False]
    assert [len(n.output) == 4 and n.output[3] != "" for n in skips] == [False, True, False]  # pre-LN's sum is read
