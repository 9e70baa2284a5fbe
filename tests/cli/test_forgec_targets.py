"""forgec's fusion-facing flags: ``auto`` as the default, ``--target``, ``--target-opset``, ``--explain-fusions``
and the subcommands, on committed fixtures."""

from __future__ import annotations

from pathlib import Path

import onnx
import pytest
from paths import FIXTURES

from onnxforge.cli.forgec import main as forgec


def _run(capsys: pytest.CaptureFixture[str], *args: object) -> tuple[int, str, str]:
    code = forgec([str(a) for a in args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_explain_fusions_says_why_standard_opset_14_cannot_fuse(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """BERT exported at opset 14: the standard target has no LayerNormalization (17), Gelu (20) or Attention (23)."""
    code, _, err = _run(capsys, FIXTURES / "bert_ts.onnx", "-o", tmp_path / "o.onnx", "--pipeline=transformer",
                        "--explain-fusions")
    assert code == 0, err
    applied = err.split("fusions applied:")[1].splitlines()[0]
    assert "nn-fuse-attention" not in applied and "nn-fuse-layer-norm" not in applied
    misses = [line for line in err.splitlines() if line.startswith("  nn-fuse-")]
    assert any(m.startswith("  nn-fuse-layer-norm") and "17" in m for m in misses), misses
    assert any(m.startswith("  nn-fuse-attention") and "23" in m for m in misses), misses


def test_target_opset_converts_then_fuses_and_verifies(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "o.onnx"
    code, _, err = _run(capsys, FIXTURES / "bert_ts.onnx", "-o", out, "--target-opset", "23", "--verify", "--explain-fusions")
    assert code == 0, err
    assert "nn-fuse-attention" in err.split("fusions applied:")[1].splitlines()[0]
    model = onnx.load(out)
    assert {(o.domain, o.version) for o in model.opset_import} == {("", 23)}
    assert {n.op_type for n in model.graph.node} >= {"Attention", "LayerNormalization", "Gelu"}


def test_target_opset_below_the_model_is_a_clean_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _run(capsys, FIXTURES / "bert_dynamo.onnx", "-o", tmp_path / "o.onnx", "--target-opset", "17")
    assert code == 1 and "below the model's opset 20" in err and not (tmp_path / "o.onnx").exists()


def test_default_pipeline_is_auto_and_picks_by_fingerprint(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source, vision = FIXTURES / "mobilenet_v2_ts.onnx", tmp_path / "v.onnx"
    assert "BatchNormalization" in {n.op_type for n in onnx.load(source).graph.node}  # the TorchScript export keeps BN
    code, _, err = _run(capsys, source, "-o", vision, "--target=ort", "--verify")
    assert code == 0, err
    assert "BatchNormalization" not in {n.op_type for n in onnx.load(vision).graph.node}  # vision pipeline chosen
    text = tmp_path / "t.onnx"
    code, _, err = _run(capsys, FIXTURES / "gpt2_dynamo.onnx", "-o", text, "--target=ort", "--verify")
    assert code == 0, err
    contrib = {n.op_type for n in onnx.load(text).graph.node if n.domain == "com.microsoft"}
    assert contrib & {"Attention", "MultiHeadAttention"}, contrib


def test_subcommands_are_dispatched(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _run(capsys, "inspect", FIXTURES / "vit_ts.onnx", "--format", "json")
    assert code == 0, err
    assert '"transformer"' in out


def test_target_flag_only_fills_in_pass_options(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``--target`` is shorthand for the passes' ``target`` option: it gives the same IR as spelling the option
    out, and an option the pass list spells wins over it."""
    source = FIXTURES / "bert_ts.onnx"
    flag, spelled, mixed = tmp_path / "flag.mlir", tmp_path / "spelled.mlir", tmp_path / "mixed.mlir"
    base = "onnx-infer-shapes,onnx-cse,onnx-eliminate-dead,"
    assert _run(capsys, source, "--emit=ir", "-o", flag, f"--passes={base}nn-fuse-gelu,nn-lower", "--target=ort")[0] == 0
    assert _run(capsys, source, "--emit=ir", "-o", spelled,
                f"--passes={base}nn-fuse-gelu{{target=ort}},nn-lower{{target=ort}}")[0] == 0
    assert flag.read_text() == spelled.read_text()
    assert 'op_type = "Gelu"' in flag.read_text()  # com.microsoft Gelu: the opset-14 model has no standard one
    code, _, err = _run(capsys, source, "--emit=ir", "-o", mixed,
                        f"--passes={base}nn-fuse-gelu{{target=standard}},nn-lower", "--target=ort", "--explain-fusions")
    assert code == 0, err
    assert "Gelu" not in mixed.read_text() and "nn-fuse-gelu" in err.split("fusions applied:")[1]


def test_bad_target_option_is_a_clean_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _run(capsys, FIXTURES / "bert_ts.onnx", "-o", tmp_path / "o.onnx", "--passes=nn-lower{target=tpu}")
    assert code == 1 and err.strip() == "forgec: error: nn-lower: unknown target 'tpu' (known: standard, ort, portable, tensorrt)"
    assert not (tmp_path / "o.onnx").exists()


def test_tensorrt_target_explains_what_it_leaves_to_the_builder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """At opset 23 --target=tensorrt writes LayerNormalization and Gelu, and says why attention stays decomposed."""
    from onnxforge.transforms.lowering.tensorrt_support import unsupported_ops

    out = tmp_path / "o.onnx"
    code, _, err = _run(capsys, FIXTURES / "bert_ts.onnx", "-o", out, "--target=tensorrt", "--target-opset", "23",
                        "--verify", "--explain-fusions")
    assert code == 0, err
    assert any(line.startswith("  nn-fuse-attention") and "tensorrt keeps attention decomposed" in line
               for line in err.splitlines()), err
    model = onnx.load(out)
    assert {n.op_type for n in model.graph.node} >= {"LayerNormalization", "Gelu"}
    assert "Attention" not in {n.op_type for n in model.graph.node} and unsupported_ops(model) == []
    code, _, err = _run(capsys, FIXTURES / "resnet_ts.onnx", "-o", tmp_path / "r.onnx", "--target=tensorrt", "--target-opset", "25")
    assert code == 1 and "opsets 9 to 24" in err and not (tmp_path / "r.onnx").exists()
