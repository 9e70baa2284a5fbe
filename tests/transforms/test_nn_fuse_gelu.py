"""``nn-fuse-gelu`` and the ``nn.gelu`` lowering on real exports and synthetic forms, on onnxruntime.

GELUs per fixture: BERT, ViT 2 (erf), GPT-2 2 (tanh), Whisper encoder 4 (erf, two after the
convolutions). TorchScript exports decompose them; the dynamo exporter writes ``Gelu`` for the
erf ones (raised as they are) and decomposes GPT-2's tanh form. Targets: ``ort`` (com.microsoft
Gelu / FastGelu), ``standard`` at opset 20 (``Gelu``; the TorchScript fixtures are converted
first) and ``portable`` (the decomposition). Outputs within class 1.
"""

from __future__ import annotations

import onnx
import pytest
from norm_gelu_support import ALL_TARGETS, check, gelus
from support import FIXTURES, cleaned, compile_for, op_types

PASS = "nn-fuse-gelu"
FUSED = f"{PASS}/FuseGelu"
RAISED = f"{PASS}/RaiseGelu"
GELUS = {"bert": 2, "gpt2": 2, "vit": 2, "whisper_encoder": 4}
LOWERED = {"ort": ("com.microsoft", "Gelu"), "standard": ("", "Gelu"), "portable": ("", "Erf")}


@pytest.mark.parametrize(("kind", "opset"), ALL_TARGETS)
@pytest.mark.parametrize("name", [f"{m}_{e}" for m in GELUS for e in ("ts", "dynamo")])
def test_fixtures(name: str, kind: str, opset: int | None) -> None:
    model, family = onnx.load_from_string(cleaned(name)), name.rsplit("_", 1)[0]
    tanh = family == "gpt2"
    pattern = RAISED if name.endswith("_dynamo") and not tanh else FUSED
    counts = op_types(check(model, PASS, kind, opset, {pattern: GELUS[family]}))
    domain, op_type = LOWERED[kind]
    if tanh:
        op_type = {"ort": "FastGelu", "standard": "Gelu", "portable": "Tanh"}[kind]
    assert counts[(domain, op_type)] == GELUS[family]


def test_no_gelu_op_below_opset_20() -> None:
    _, stats = compile_for(onnx.load_from_string(cleaned("bert_ts")), f"onnx-infer-shapes,{PASS},nn-lower", "standard")
    assert FUSED not in stats


@pytest.mark.parametrize("name", ["llama_ts", "llama_dynamo"])
def test_silu_is_not_gelu(name: str) -> None:
    _, stats = compile_for(onnx.load_from_string(cleaned(name)), f"onnx-infer-shapes,{PASS},nn-lower", "ort")
    assert FUSED not in stats and RAISED not in stats


def test_uncleaned_export_absorbs_bias() -> None:
    """Straight from the exporter (biases not folded yet), ViT's fc1 bias Add goes into BiasGelu."""
    model = onnx.load(str(FIXTURES / "vit_dynamo.onnx"))
    counts = op_types(check(model, PASS, "ort", None, {RAISED: 2}))
    assert counts[("com.microsoft", "BiasGelu")] == 2


@pytest.mark.parametrize("biased", [False, True])
@pytest.mark.parametrize(("kind", "opset"), ALL_TARGETS)
def test_forms(biased: bool, kind: str, opset: int | None) -> None:
    """Four erf associations, two tanh cubes; with a 1-D bias Add before each (absorbed only under ort)."""
    counts = op_types(check(gelus(biased=biased), PASS, kind, opset, {FUSED: 6}))
    if kind == "ort":
        erf = ("com.microsoft", "BiasGelu" if biased else "Gelu")
        assert counts[erf] == 4 and counts[("com.microsoft", "FastGelu")] == 2 and ("", "Add") not in counts
    elif biased:  # the six bias Adds stay (portable: plus 1 + erf four times, two Adds per tanh form)
        assert counts[("", "Add")] == 6 + (4 + 2 * 2 if kind == "portable" else 0)
