"""The crash reproducer is written only where the user asked for output, never through a link, and
without the weights unless asked (each elided weight named with its digest)."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from onnxforge.cli.forgec import main
from onnxforge.passmanager import ForgePass, register

WEIGHT = np.arange(64, dtype=np.float32) + 0.25  # 64 elements: printed as 'elided' unless weights are asked for


@register
@dataclass(frozen=True)
class _Boom(ForgePass):
    name = "test-reproducer-boom"
    summary = "raises on purpose (reproducer tests)"

    def run(self, module, state) -> None:  # type: ignore[no-untyped-def]
        raise RuntimeError("boom")


@register
@dataclass(frozen=True)
class _Mark(ForgePass):
    name = "test-reproducer-mark"
    summary = "changes the module (marks it), so a reproducer must show the IR from before it"

    def run(self, module, state) -> None:  # type: ignore[no-untyped-def]
        from xdsl.dialects.builtin import UnitAttr

        module.attributes["test.marked"] = UnitAttr()
        state.changed = True


def _model(path: Path) -> Path:
    graph = helper.make_graph(
        [helper.make_node("Add", ["x", "w"], ["y"], name="add")], "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [64])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [64])],
        [numpy_helper.from_array(WEIGHT, "w")],
    )
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8), path)
    return path


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty working directory: nothing may appear in it."""
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    return cwd


def _fail(capsys: pytest.CaptureFixture[str], *args: object) -> str:
    rc = main([str(a) for a in args] + ["--passes=test-reproducer-boom"])
    err = capsys.readouterr().err
    assert rc == 1 and len(err.splitlines()) == 1 and "pass test-reproducer-boom failed" in err, err
    return err


def test_reproducer_beside_the_output_with_weights_elided(tmp_path: Path, workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    model, out = _model(tmp_path / "m.onnx"), tmp_path / "out" / "OUT.onnx"
    out.parent.mkdir()

    err = _fail(capsys, model, "-o", out)

    repro = out.parent / "OUT.onnx.reproducer.mlir"
    assert f"reproducer: {repro}" in err
    assert sorted(p.name for p in out.parent.iterdir()) == ["OUT.onnx.reproducer.mlir"]
    assert list(workdir.iterdir()) == []
    text = repro.read_text()
    assert WEIGHT.tobytes().hex() not in text and "= elided" in text
    assert f"//   w: {TensorProto.FLOAT} [64] sha256:{hashlib.sha256(WEIGHT.tobytes()).hexdigest()}" in text


def test_reproducer_with_weights_when_asked(tmp_path: Path, workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    model, repro = _model(tmp_path / "m.onnx"), tmp_path / "r.mlir"

    _fail(capsys, model, "--emit=ir", "--print-weights", "--reproducer", repro)

    assert WEIGHT.tobytes().hex() in repro.read_text()
    assert list(workdir.iterdir()) == []


def test_no_output_file_means_no_reproducer(tmp_path: Path, workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """IR to stdout: the user asked for no file, so none is written (the old default was ./forgec-reproducer.mlir)."""
    model = _model(tmp_path / "m.onnx")

    err = _fail(capsys, model, "--emit=ir")

    assert "--reproducer=FILE" in err
    assert list(workdir.iterdir()) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cwd", "m.onnx"]


def test_reproducer_never_written_through_a_link(tmp_path: Path, workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    model = _model(tmp_path / "m.onnx")
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    link = tmp_path / "repro.mlir"
    link.symlink_to(victim)

    err = _fail(capsys, model, "--emit=ir", "--reproducer", link)

    assert "reproducer not written" in err and "symbolic link" in err
    assert link.is_symlink() and victim.read_text() == "keep me"
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_reproducer_replaces_an_old_one_keeping_its_mode(tmp_path: Path, workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    model, repro = _model(tmp_path / "m.onnx"), tmp_path / "r.mlir"
    repro.write_text("old")
    os.chmod(repro, 0o600)

    _fail(capsys, model, "--emit=ir", "--reproducer", repro)

    assert repro.read_text().startswith("// onnxforge reproducer: forgec r.mlir --passes='test-reproducer-boom'")
    assert repro.stat().st_mode & 0o777 == 0o600


def test_reproducer_holds_the_input_without_a_clone_per_run(tmp_path: Path, workdir: Path,
                                                            capsys: pytest.CaptureFixture[str],
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """forgec re-reads its (never modified) input for the reproducer instead of cloning the module on every
    run: the reproducer shows the IR before the passes that ran, although a pass changed the module first."""
    from xdsl.dialects.builtin import ModuleOp

    def no_clone(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        raise AssertionError("the pass manager cloned the module")

    model = _model(tmp_path / "m.onnx")
    out = tmp_path / "o" / "OUT.onnx"
    out.parent.mkdir()
    monkeypatch.setattr(ModuleOp, "clone", no_clone)
    assert main([str(model), "-o", str(out), "--pipeline=cleanup"]) == 0  # a successful run clones nothing
    rc = main([str(model), "-o", str(out), "--passes=test-reproducer-mark,test-reproducer-boom"])
    err = capsys.readouterr().err
    assert rc == 1 and "pass test-reproducer-boom failed" in err
    text = (out.parent / "OUT.onnx.reproducer.mlir").read_text()
    assert "onnx.Add" in text and "--passes='test-reproducer-mark,test-reproducer-boom'" in text
    assert "test.marked" not in text
