"""Our dialects reach plain ``xdsl-opt`` through the ``xdsl.universe`` entry point, and
textual IR drives ``forgec`` as well as ONNX does."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import onnx
import pytest

from onnxforge.backends.ort import verify
from onnxforge.cli.forgec import main as forgec
from onnxforge.compiler import to_ir
from onnxforge.frontend.loader import load
from onnxforge.ir.text import parse_ir, print_ir

FIXTURE = Path(__file__).parent / "fixtures" / "resnet_ts.onnx"


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
    source = Path(__file__).parent / "filecheck" / "eliminate_dead.mlir"
    chunk = source.read_text().split("// -----")[0]
    result = subprocess.run(["xdsl-opt", "-p", "onnx-eliminate-dead"], input=chunk, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert '"onnx.Relu"' in result.stdout and '"onnx.Neg"' not in result.stdout
