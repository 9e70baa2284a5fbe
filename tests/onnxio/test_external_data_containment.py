"""External data is read only from regular files inside the model's directory, as onnx's loader reads it.

A model names its own data files, so a model from elsewhere could otherwise point
``forgec`` at any file the user can read and have its bytes copied into the
output model, the printed IR (``--print-weights``) and the cost report. Each case
below is a tiny model whose one weight lives in ``w.data``, reached in a way
onnx refuses (``onnx.load`` and ``onnx.checker`` raise on the same models): a
symbolic link to the file, a symbolic link to a directory on the way, a hard link,
or a FIFO. forgec must refuse with one error line, write nothing and leave the
secret unread.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from onnxforge.cli.forgec import main
from onnxforge.onnxio.loader import load

SECRET = np.array([4.25, -7.5], np.float32)


def _model_with_external(directory: Path, location: str) -> Path:
    """model.onnx in ``directory``: y = x + w, with w (float[2]) stored at ``location`` (not created here)."""
    weight = numpy_helper.from_array(SECRET, "w")
    weight.ClearField("raw_data")
    weight.data_location = TensorProto.EXTERNAL
    for key, value in (("location", location), ("offset", "0"), ("length", "8")):
        weight.external_data.add(key=key, value=value)
    graph = helper.make_graph(
        [helper.make_node("Add", ["x", "w"], ["y"])], "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2])],
        [weight],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)
    path = directory / "model.onnx"
    path.write_bytes(model.SerializeToString())
    return path


def _secret_file(tmp_path: Path) -> Path:
    """A file outside the model directory that must never be read."""
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.bin").write_bytes(SECRET.tobytes())
    return outside / "secret.bin"


def _symlinked_file(tmp_path: Path, model_dir: Path) -> str:
    (model_dir / "w.data").symlink_to(_secret_file(tmp_path))
    return "w.data"


def _symlinked_directory(tmp_path: Path, model_dir: Path) -> str:
    (model_dir / "weights").symlink_to(_secret_file(tmp_path).parent, target_is_directory=True)
    return "weights/secret.bin"


def _symlink_inside(tmp_path: Path, model_dir: Path) -> str:
    """A link that stays inside the directory: onnx refuses any symbolic link, and so do we."""
    (model_dir / "real.data").write_bytes(SECRET.tobytes())
    (model_dir / "w.data").symlink_to("real.data")
    return "w.data"


def _hard_link(tmp_path: Path, model_dir: Path) -> str:
    os.link(_secret_file(tmp_path), model_dir / "w.data")
    return "w.data"


def _fifo(tmp_path: Path, model_dir: Path) -> str:
    os.mkfifo(model_dir / "w.data")  # opening it for reading would block forever
    return "w.data"


CASES = {
    "symlink-to-file": (_symlinked_file, "symbolic link"),
    "symlink-directory": (_symlinked_directory, "symbolic link 'weights'"),
    "symlink-inside": (_symlink_inside, "symbolic link"),
    "hard-link": (_hard_link, "2 hard links"),
    "fifo": (_fifo, "not a regular file"),
}


@pytest.mark.parametrize("emit", ["onnx", "ir", "cost"])
@pytest.mark.parametrize("case", list(CASES), ids=list(CASES))
def test_external_data_through_a_link_is_refused(case: str, emit: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    make, needle = CASES[case]
    model_dir = tmp_path / "model"
    model_dir.mkdir()
    model = _model_with_external(model_dir, make(tmp_path, model_dir))
    if case != "fifo":
        with pytest.raises(Exception, match="(?i)symbolic link|symlink|hard ?link|outside"):
            onnx.load(model)  # onnx's own loader refuses the same model
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    extra = {"onnx": ["-o", out_dir / "OUT.onnx"], "ir": ["--emit=ir", "--print-weights", "-o", out_dir / "OUT.mlir"],
             "cost": ["--cost=host"]}[emit]

    rc = main([str(model), "--pipeline=none", *map(str, extra)])
    captured = capsys.readouterr()

    lines = captured.err.splitlines()
    assert rc == 1 and len(lines) == 1, captured.err
    assert lines[0].startswith("forgec: error: ") and "model.onnx" in lines[0] and "'w'" in lines[0], lines[0]
    assert needle in lines[0], lines[0]
    assert list(out_dir.iterdir()) == []
    assert SECRET.tobytes().hex() not in captured.out and "4.25" not in captured.out


def test_plain_file_in_a_subdirectory_is_still_read(tmp_path: Path) -> None:
    """The rule refuses links, not locations with directories: ``weights/w.bin`` in a real directory loads."""
    (tmp_path / "weights").mkdir()
    (tmp_path / "weights" / "w.bin").write_bytes(SECRET.tobytes())
    loaded = load(_model_with_external(tmp_path, "./weights//w.bin"))

    data = loaded.resolve_external(loaded.proto.graph.initializer[0])

    assert bytes(data) == SECRET.tobytes()


def test_model_directory_reached_through_a_link_is_fine(tmp_path: Path) -> None:
    """Like onnx, only the part below the model's directory is checked: the user chose the path to the model."""
    real = tmp_path / "real"
    real.mkdir()
    (real / "w.data").write_bytes(SECRET.tobytes())
    _model_with_external(real, "w.data")
    (tmp_path / "alias").symlink_to(real, target_is_directory=True)
    loaded = load(tmp_path / "alias" / "model.onnx")

    assert bytes(loaded.resolve_external(loaded.proto.graph.initializer[0])) == SECRET.tobytes()
