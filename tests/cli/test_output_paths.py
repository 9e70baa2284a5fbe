"""Where ``forgec`` writes: only the path asked for, only as asked.

- ``-o`` naming a symbolic link is refused (never written through, never replaced);
  a FIFO or character device (``-o /dev/null``) is written in place and stays what it was.
- Replacing a regular file keeps its permission bits (and the new data file gets them too).
- The ``.onnx`` / ``.onnx.data`` pair: at every moment the model at the output path loads
  with its own data, never with the data of another write.
- ``--verify`` runs before the output replaces anything: a failing or erroring check leaves
  no output (and the file that was there before untouched).
- SIGTERM and SIGHUP remove the temporary files, as SIGINT does.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from onnxforge.cli.forgec import main

F = TensorProto.FLOAT


def _model(path: Path, version: int = 1, external: bool = False, elem: int = F) -> Path:
    """y = x + w with w = float[512] filled with ``version`` (2 KiB: above the external-data threshold);
    the doc_string says the version too, so a model paired with another write's data shows."""
    weight = numpy_helper.from_array(np.full(512, version, np.float32), "w")
    graph = helper.make_graph(
        [helper.make_node("Add", ["x", "w"], ["y"])], "g",
        [helper.make_tensor_value_info("x", elem, [512])],
        [helper.make_tensor_value_info("y", elem, [512])],
        [weight],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8, doc_string=f"v{version}")
    if external:
        onnx.save(model, path, save_as_external_data=True, location=f"{path.name}.weights", size_threshold=0)
    else:
        path.write_bytes(model.SerializeToString())
    return path


def _forgec(capsys: pytest.CaptureFixture[str], *args: str | os.PathLike[str]) -> tuple[int, str, str]:
    rc = main([str(a) for a in args])
    captured = capsys.readouterr()
    return rc, captured.out, captured.err


def _one_error(rc: int, err: str, *needles: str) -> None:
    lines = err.splitlines()
    assert rc == 1 and len(lines) == 1 and lines[0].startswith("forgec: error: "), err
    for needle in needles:
        assert needle in lines[0], lines[0]


def _version_of(path: Path) -> int:
    """The version a complete model at ``path`` carries; asserts its weights are that version's."""
    model = onnx.load(path)  # reads the external data the model names
    version = int(model.doc_string[1:])
    weight = numpy_helper.to_array(model.graph.initializer[0])
    assert np.all(weight == version), f"a v{version} model with the weights of v{weight[0]:g}"
    return version


# --- links, FIFOs and devices -----------------------------------------------------


@pytest.mark.parametrize("emit", ["onnx", "ir"])
def test_symlink_output_is_refused(emit: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    model = _model(tmp_path / "m.onnx")
    target = tmp_path / "elsewhere.txt"
    target.write_text("keep me")
    link = tmp_path / ("out.onnx" if emit == "onnx" else "out.mlir")
    link.symlink_to(target)

    rc, _, err = _forgec(capsys, model, "-o", link, *(["--emit=ir"] if emit == "ir" else []))

    _one_error(rc, err, link.name, "symbolic link")
    assert link.is_symlink() and target.read_text() == "keep me"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["elsewhere.txt", "m.onnx", link.name]


@pytest.mark.parametrize("external", [False, True], ids=["embedded", "external-input"])
def test_fifo_output_is_streamed_in_place(external: bool, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The model goes into the FIFO (weights embedded: a stream has no neighbour for a data file)."""
    (tmp_path / "in").mkdir()
    model = _model(tmp_path / "in" / "m.onnx", external=external)
    fifo = tmp_path / "out.onnx"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()))
    reader.start()

    rc, _, err = _forgec(capsys, model, "-o", fifo)

    reader.join(timeout=30)
    assert rc == 0, err
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    streamed = onnx.load_from_string(received[0])
    assert numpy_helper.to_array(streamed.graph.initializer[0]).tolist() == [1.0] * 512
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in", "out.onnx"]


def test_fifo_output_with_external_data_asked_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    model = _model(tmp_path / "m.onnx")
    fifo = tmp_path / "out.onnx"
    os.mkfifo(fifo)

    rc, _, err = _forgec(capsys, model, "-o", fifo, "--external-data")

    _one_error(rc, err, "out.onnx", "not a regular file")
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.onnx", "out.onnx"]


@pytest.mark.skipif(not os.access("/dev/null", os.W_OK), reason="/dev/null is not writable here")
@pytest.mark.parametrize("emit", ["onnx", "ir"])
def test_dev_null_stays_a_device(emit: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``-o /dev/null`` compiles and discards; as root, a rename used to replace the device with a file."""
    before = os.lstat("/dev/null")
    model = _model(tmp_path / "m.onnx")

    rc, _, err = _forgec(capsys, model, "-o", "/dev/null", "--verify", *(["--emit=ir"] if emit == "ir" else []))

    after = os.lstat("/dev/null")
    assert rc == 0, err
    assert stat.S_ISCHR(after.st_mode) and after.st_rdev == before.st_rdev and after.st_ino == before.st_ino
    assert not [p for p in Path("/dev").iterdir() if p.name.startswith(".null.")]


# --- replacing regular files -----------------------------------------------------


@pytest.mark.parametrize("emit", ["onnx", "ir"])
def test_replaced_output_keeps_its_permission_bits(emit: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    model = _model(tmp_path / "m.onnx")
    out = tmp_path / ("out.onnx" if emit == "onnx" else "out.mlir")
    out.write_text("old")
    out.chmod(0o640)

    extra = ["--external-data"] if emit == "onnx" else ["--emit=ir"]
    rc, _, err = _forgec(capsys, model, "-o", out, *extra)

    assert rc == 0, err
    assert out.read_text(errors="replace") != "old"
    assert stat.S_IMODE(out.stat().st_mode) == 0o640
    if emit == "onnx":  # the weights are as private as the model
        assert stat.S_IMODE((tmp_path / "out.onnx.data").stat().st_mode) == 0o640


def test_model_and_data_are_never_mismatched(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """Write v1, v2, v3 over one another with external data; at every rename and after the data file is
    complete, the model at the output path must load with its own weights (v_k model, v_k data)."""
    from onnxforge.onnxio import writer

    out = tmp_path / "out" / "model.onnx"
    out.parent.mkdir()
    seen: list[int] = []

    def observed(step):  # type: ignore[no-untyped-def]
        def wrapper(*args, **kwargs):  # type: ignore[no-untyped-def]
            if out.exists():
                seen.append(_version_of(out))
            result = step(*args, **kwargs)
            if out.exists():
                seen.append(_version_of(out))
            return result
        return wrapper

    monkeypatch.setattr(writer.os, "replace", observed(os.replace))
    monkeypatch.setattr(writer._DataFile, "write", observed(writer._DataFile.write))
    for version in (1, 2, 3):
        source = _model(tmp_path / f"v{version}.onnx", version)
        rc, _, err = _forgec(capsys, source, "-o", out, "--external-data")
        assert rc == 0, err
        assert _version_of(out) == version
        data_files = sorted(p.name for p in out.parent.iterdir() if p.name != "model.onnx")
        assert len(data_files) == 1 and data_files[0].startswith("model.onnx.") and data_files[0].endswith(".data"), data_files

    # write k: the old model (k-1) stays whole while its successor's data is written, until the rename makes it k
    assert seen == [1, 1, 1, 1, 2, 2, 2, 2, 3], seen


def test_embedded_output_over_an_external_one_removes_the_old_data(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source, out = _model(tmp_path / "m.onnx"), tmp_path / "out.onnx"
    assert _forgec(capsys, source, "-o", out, "--external-data")[0] == 0
    assert (tmp_path / "out.onnx.data").exists()

    rc, _, err = _forgec(capsys, source, "-o", out, "--no-external-data")

    assert rc == 0, err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.onnx", "out.onnx"]
    assert _version_of(out) == 1


def test_old_output_naming_the_input_data_keeps_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The input's data file is called ``out.onnx.data`` and the old ``out.onnx`` names it too: replacing
    ``out.onnx`` must not remove the input's data."""
    source = tmp_path / "in.onnx"
    onnx.save(onnx.load(_model(tmp_path / "v1.onnx")), source, save_as_external_data=True, location="out.onnx.data",
              size_threshold=0)
    out = tmp_path / "out.onnx"
    out.write_bytes(source.read_bytes())

    rc, _, err = _forgec(capsys, source, "-o", out, "--external-data")

    assert rc == 0, err
    assert (tmp_path / "out.onnx.data").exists(), "the input's data file was removed"
    assert _version_of(source) == 1 and _version_of(out) == 1


# --- --verify ---------------------------------------------------------------------


def test_verify_that_raises_writes_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """An input of element type UNDEFINED makes the input generator raise KeyError; that is one error line
    and no output, and the file that was at the output path stays as it was."""
    model = _model(tmp_path / "m.onnx", elem=TensorProto.UNDEFINED)
    out = tmp_path / "out.onnx"
    out.write_bytes(b"previous")

    rc, _, err = _forgec(capsys, model, "-o", out, "--verify", "--pipeline=none")

    _one_error(rc, err, "cannot verify", "output not written")
    assert out.read_bytes() == b"previous"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.onnx", "out.onnx"]


def test_verify_checks_the_external_data_pair_before_it_is_committed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    model = _model(tmp_path / "m.onnx", external=True)
    out = tmp_path / "o" / "out.onnx"
    out.parent.mkdir()

    rc, _, err = _forgec(capsys, model, "-o", out, "--verify")

    assert rc == 0, err
    assert "verified with onnxruntime" in err and _version_of(out) == 1
    assert sorted(p.name for p in out.parent.iterdir()) == ["out.onnx", "out.onnx.data"]


# --- signals ----------------------------------------------------------------------


@pytest.mark.parametrize("signame", ["SIGTERM", "SIGHUP", "SIGINT"])
def test_signal_while_writing_removes_temporary_files(signame: str, tmp_path: Path) -> None:
    """The signal arrives while the model's bytes are being written (both temp files exist)."""
    model = _model(tmp_path / "m.onnx", external=True)
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    script = textwrap.dedent(f"""
        import os, signal, sys
        from onnxforge.onnxio import writer
        from onnxforge.cli.forgec import main

        if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:  # a background job's (``cmd &``): a shell starts
            signal.signal(signal.SIGINT, signal.default_int_handler)  # it ignoring SIGINT, and Python keeps that

        def write(self, out, piece):
            os.kill(os.getpid(), signal.{signame})
        writer._Copier.write = write
        sys.exit(main([{str(model)!r}, "-o", {str(out_dir / "OUT.onnx")!r}, "--external-data"]))
    """)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}

    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, env=env)

    signum = getattr(__import__("signal"), signame)
    assert proc.returncode == 128 + signum, proc.stderr
    assert "Traceback" not in proc.stderr and len(proc.stderr.splitlines()) == 1, proc.stderr
    assert list(out_dir.iterdir()) == []
