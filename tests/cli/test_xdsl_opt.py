"""Our dialects reach plain ``xdsl-opt`` through the ``xdsl.universe`` entry point, and
textual IR drives ``forgec`` as well as ONNX does."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import onnx
import pytest
from paths import FILECHECK, FIXTURES

from onnxforge.cli.forgec import main as forgec
from onnxforge.compiler import to_ir
from onnxforge.dialects.context import parse_ir
from onnxforge.ir.text import print_ir
from onnxforge.onnxio.loader import load
from onnxforge.runtime import verify

FIXTURE = FIXTURES / "resnet_ts.onnx"


@pytest.mark.skipif(shutil.which("xdsl-opt") is None, reason="xdsl-opt is installed with xdsl; missing means a broken install")
def test_xdsl_opt_reads_our_ir(tmp_path: Path) -> None:
    source = tmp_path / "resnet.mlir"
    source.write_text(print_ir(to_ir(load(FIXTURE)), weights=True))
    result = subprocess.run(["xdsl-opt", "--print-debuginfo", str(source)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "onnx.Conv" in result.stdout
    # xdsl-opt's output (custom syntax for builtin ops) parses back to the same IR.
    assert print_ir(parse_ir(result.stdout)) == print_ir(parse_ir(source.read_text()))


def test_forgec_compiles_textual_ir_to_onnx(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ir_file, out = tmp_path / "resnet.mlir", tmp_path / "resnet.onnx"
    assert forgec([str(FIXTURE), "--pipeline=none", "--emit=ir", "--print-weights", "-o", str(ir_file)]) == 0
    assert forgec([str(ir_file), "--pipeline=none", "-o", str(out)]) == 0
    onnx.checker.check_model(onnx.load(out), full_check=True)
    assert verify(FIXTURE, out).identical


def test_elided_weights_cannot_be_exported(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ir_file = tmp_path / "resnet.mlir"
    assert forgec([str(FIXTURE), "--emit=ir", "-o", str(ir_file)]) == 0
    assert forgec([str(ir_file), "-o", str(tmp_path / "x.onnx")]) == 1
    err = capsys.readouterr().err
    assert "elided" in err and not (tmp_path / "x.onnx").exists()


@pytest.mark.skipif(shutil.which("xdsl-opt") is None, reason="xdsl-opt is installed with xdsl; missing means a broken install")
def test_xdsl_opt_runs_our_passes() -> None:
    source = FILECHECK / "transforms" / "onnx-eliminate-dead.mlir"
    chunk = source.read_text().split("// -----")[0]
    result = subprocess.run(["xdsl-opt", "-p", "onnx-eliminate-dead"], input=chunk, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert '"onnx.Relu"' in result.stdout and '"onnx.Neg"' not in result.stdout


@pytest.mark.skipif(shutil.which("xdsl-opt") is None, reason="xdsl-opt is installed with xdsl; missing means a broken install")
def test_xdsl_opt_runs_fusions_with_a_target_option(tmp_path: Path) -> None:
    """The target is a pass option: plain xdsl-opt fuses and lowers for onnxruntime, exactly as forgec does
    with the same pass list (whose exported model computes what the fixture computes)."""
    fixture, cleaned, lowered = FIXTURES / "bert_ts.onnx", tmp_path / "bert.mlir", tmp_path / "lowered.mlir"
    assert forgec([str(fixture), "--pipeline=cleanup", "--emit=ir", "-o", str(cleaned)]) == 0
    pipeline = "onnx-infer-shapes,nn-fuse-attention{target=ort},nn-lower{target=ort}"
    result = subprocess.run(["xdsl-opt", str(cleaned), "-p", pipeline, "--print-debuginfo", "-o", str(lowered)],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    text = lowered.read_text()
    assert text.count('op_type = "MultiHeadAttention"') == 2 and '"nn.' not in text
    by_forgec, exported = tmp_path / "forgec.mlir", tmp_path / "bert.onnx"
    assert forgec([str(cleaned), f"--passes={pipeline}", "--emit=ir", "-o", str(by_forgec)]) == 0
    assert print_ir(parse_ir(text)) == print_ir(parse_ir(by_forgec.read_text()))
    assert forgec([str(fixture), f"--passes=onnx-infer-shapes,onnx-cse,{pipeline}", "-o", str(exported)]) == 0
    assert [n.op_type for n in onnx.load(exported).graph.node].count("MultiHeadAttention") == 2
    assert verify(fixture, exported).within(1e-4)
