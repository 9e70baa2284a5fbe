"""Without onnxruntime, compiling works and whatever runs a model says in one line what to install."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from paths import FIXTURES

from onnxforge.cli.forgec import main
from onnxforge.errors import ForgeError
from onnxforge.ortload import onnxruntime


@pytest.fixture
def no_onnxruntime(monkeypatch: pytest.MonkeyPatch) -> None:
    """``import onnxruntime`` fails as it does where neither distribution is installed."""
    monkeypatch.setitem(sys.modules, "onnxruntime", None)


def test_helper_names_both_distributions(no_onnxruntime: None) -> None:
    with pytest.raises(ForgeError, match="pip install onnxruntime.*onnxruntime-gpu") as caught:
        onnxruntime()
    assert "\n" not in str(caught.value)


def test_compile_needs_no_onnxruntime(no_onnxruntime: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rc = main([str(FIXTURES / "bert_ts.onnx"), "-o", str(tmp_path / "out.onnx"), "--pipeline=transformer"])
    assert rc == 0, capsys.readouterr().err
    assert (tmp_path / "out.onnx").exists()


def test_verify_without_onnxruntime_is_one_error_line(no_onnxruntime: None, tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    rc = main([str(FIXTURES / "bert_ts.onnx"), "-o", str(tmp_path / "out.onnx"), "--pipeline=transformer", "--verify"])
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.startswith("forgec: error:")]
    assert rc == 1 and len(lines) == 1, err
    assert "onnxruntime is not installed" in lines[0] and "onnxruntime-gpu" in lines[0]
    assert not (tmp_path / "out.onnx").exists()
