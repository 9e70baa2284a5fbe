"""External data: models whose weights live in a separate file round-trip through ``forgec``.

Contracts: the output uses external data by default when the input did, the
data file is written next to the output, the result loads with ``onnx.load``
and runs bit-identically in onnxruntime, the input files are never touched,
``--no-external-data`` / ``--external-data`` override the default, and the
loader maps weight bytes zero-copy from the files.
"""

from __future__ import annotations

import hashlib
import mmap
import os
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper, numpy_helper
from paths import FIXTURES

from onnxforge.cli.forgec import main
from onnxforge.onnxio.loader import load

F = TensorProto.FLOAT
THRESHOLD = 1024  # onnxforge.onnxio.writer.EXTERNAL_THRESHOLD: smaller tensors stay in the model file

_rng = np.random.default_rng(0)
WEIGHTS = {  # name -> array; bytes: 4096, 2048, 1024 (= threshold), 128, 32, 4
    "W1": _rng.standard_normal((16, 64)).astype(np.float32),
    "W2": _rng.standard_normal((64, 8)).astype(np.float32),
    "W3": _rng.standard_normal((8, 32)).astype(np.float32),
    "b1": _rng.standard_normal(32).astype(np.float32),
    "b2": _rng.standard_normal(8).astype(np.float32),
    "scale": np.array([0.5], np.float32),
}


def _mlp() -> onnx.ModelProto:
    """A small MLP, x[batch,16] -> y[batch,8], using every tensor of WEIGHTS."""
    nodes = [
        helper.make_node("MatMul", ["x", "W1"], ["h1"], name="mm1"),
        helper.make_node("Relu", ["h1"], ["h2"], name="relu"),
        helper.make_node("MatMul", ["h2", "W2"], ["h3"], name="mm2"),
        helper.make_node("MatMul", ["h3", "W3"], ["h4"], name="mm3"),
        helper.make_node("Add", ["h4", "b1"], ["h5"], name="add1"),
        helper.make_node("ReduceMean", ["h5"], ["h6"], name="mean", keepdims=1, axes=[1]),
        helper.make_node("Mul", ["h6", "b2"], ["h7"], name="mul"),
        helper.make_node("Mul", ["h7", "scale"], ["y"], name="scale"),
    ]
    graph = helper.make_graph(
        nodes, "mlp",
        [helper.make_tensor_value_info("x", F, ["batch", 16])],
        [helper.make_tensor_value_info("y", F, ["batch", 8])],
        [numpy_helper.from_array(a, n) for n, a in WEIGHTS.items()],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)
    onnx.checker.check_model(model, full_check=True)
    return model


def _save_external(directory: Path, location: str = "weights.bin") -> Path:
    """The MLP with every initializer in one external file (size_threshold=0)."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "model.onnx"
    onnx.save(_mlp(), path, save_as_external_data=True, all_tensors_to_one_file=True, location=location,
              size_threshold=0)
    return path


def _snapshot(root: Path) -> dict[str, tuple[str, int]]:
    return {
        str(p.relative_to(root)): (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mtime_ns)
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def _run(model: Path) -> np.ndarray:
    feeds = {"x": np.random.default_rng(1).standard_normal((3, 16)).astype(np.float32)}
    return ort.InferenceSession(str(model), providers=["CPUExecutionProvider"]).run(None, feeds)[0]


def _forgec(capsys: pytest.CaptureFixture[str], *args: str | os.PathLike[str]) -> tuple[int, str]:
    """forgec with the round-trip pipeline unless the test names one (these tests are about weight storage)."""
    argv = [str(a) for a in args]
    if not any(a.startswith(("--pipeline", "--passes")) for a in argv):
        argv.append("--pipeline=none")
    rc = main(argv)
    return rc, capsys.readouterr().err


def _external(tensor: TensorProto) -> dict[str, str] | None:
    if tensor.data_location != TensorProto.EXTERNAL:
        return None
    return {e.key: e.value for e in tensor.external_data}


@pytest.fixture
def ext_model(tmp_path: Path) -> Path:
    return _save_external(tmp_path / "in")


def test_external_round_trip_verified(ext_model: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """IN (external data) -> OUT with --verify: OUT uses external data next to it, loads, runs bit-identically."""
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    output = out_dir / "OUT.onnx"
    before = _snapshot(ext_model.parent)

    rc, err = _forgec(capsys, ext_model, "-o", output, "--verify")

    assert rc == 0, err
    assert "y: bit-identical" in err
    assert sorted(p.name for p in out_dir.iterdir()) == ["OUT.onnx", "OUT.onnx.data"]  # named after the output; no temp files left
    assert _snapshot(ext_model.parent) == before, "the input model or its data file changed"

    skeleton = onnx.load(output, load_external_data=False)
    for tensor in skeleton.graph.initializer:
        info = _external(tensor)
        if WEIGHTS[tensor.name].nbytes >= THRESHOLD:
            assert info is not None and info["location"] == "OUT.onnx.data", tensor.name
            assert int(info["length"]) == WEIGHTS[tensor.name].nbytes
        else:
            assert info is None, f"{tensor.name} is small and should be embedded"
    assert (out_dir / "OUT.onnx.data").stat().st_size >= sum(a.nbytes for a in WEIGHTS.values() if a.nbytes >= THRESHOLD)

    loaded = onnx.load(output)
    onnx.checker.check_model(loaded, full_check=True)
    assert {t.name: numpy_helper.to_array(t).tobytes() for t in loaded.graph.initializer} == {
        n: a.tobytes() for n, a in WEIGHTS.items()
    }
    assert _run(output).tobytes() == _run(ext_model).tobytes()


def test_no_external_data_embeds_everything(
    ext_model: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--no-external-data on an external-data input writes one self-contained file."""
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    before = _snapshot(ext_model.parent)

    rc, err = _forgec(capsys, ext_model, "-o", out_dir / "OUT.onnx", "--no-external-data", "--verify")

    assert rc == 0, err
    assert [p.name for p in out_dir.iterdir()] == ["OUT.onnx"]
    model = onnx.load(out_dir / "OUT.onnx", load_external_data=False)
    assert all(_external(t) is None and t.raw_data for t in model.graph.initializer)
    assert _run(out_dir / "OUT.onnx").tobytes() == _run(ext_model).tobytes()
    assert _snapshot(ext_model.parent) == before


def test_external_data_flag_on_embedded_fixture(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--external-data on an embedded model writes OUT.onnx.data with the large tensors; small ones stay inline."""
    source = FIXTURES / "resnet_ts.onnx"
    stat = source.stat()
    output = tmp_path / "OUT.onnx"

    rc, err = _forgec(capsys, source, "-o", output, "--external-data", "--verify")

    assert rc == 0, err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["OUT.onnx", "OUT.onnx.data"]
    original = {t.name: numpy_helper.to_array(t) for t in onnx.load(source).graph.initializer}
    skeleton = onnx.load(output, load_external_data=False)
    external = {t.name for t in skeleton.graph.initializer if _external(t)}
    assert external == {n for n, a in original.items() if a.nbytes >= THRESHOLD}
    assert all(_external(t)["location"] == "OUT.onnx.data" for t in skeleton.graph.initializer if _external(t))
    loaded = {t.name: numpy_helper.to_array(t).tobytes() for t in onnx.load(output).graph.initializer}
    assert loaded == {n: a.tobytes() for n, a in original.items()}
    assert source.stat().st_mtime_ns == stat.st_mtime_ns and source.stat().st_size == stat.st_size


def test_loader_maps_embedded_initializers_zero_copy() -> None:
    """load() gives each raw_data initializer as a memoryview of an mmap of the model file."""
    source = FIXTURES / "resnet_ts.onnx"
    loaded = load(source)
    reference = {t.name: numpy_helper.to_array(t).tobytes() for t in onnx.load(source).graph.initializer}
    views = [v for v in loaded.initializer_data if v is not None]
    assert len(views) == len(loaded.proto.graph.initializer) > 0
    for tensor, view in zip(loaded.proto.graph.initializer, loaded.initializer_data):
        assert isinstance(view.obj, mmap.mmap), tensor.name
        assert not tensor.raw_data, "the parsed skeleton should not hold the bytes"
        assert view.tobytes() == reference[tensor.name]


def test_loader_maps_external_initializers_zero_copy(ext_model: Path) -> None:
    """External-data tensors resolve to memoryviews of an mmap of the data file, with the right bytes."""
    loaded = load(ext_model)
    tensors = list(loaded.proto.graph.initializer)
    assert {t.name for t in tensors} == set(WEIGHTS)
    for tensor in tensors:
        assert _external(tensor) is not None
        view = loaded.resolve_external(tensor)
        assert isinstance(view, memoryview) and isinstance(view.obj, mmap.mmap), tensor.name
        assert view.tobytes() == WEIGHTS[tensor.name].tobytes()


@pytest.mark.parametrize("output_name", ["OUT.onnx", "weights.bin"])
def test_output_beside_input_leaves_input_data_alone(
    ext_model: Path, output_name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Writing the output into the input's directory never modifies the input's model or data file."""
    expected = _run(ext_model)
    before = _snapshot(ext_model.parent)

    _forgec(capsys, ext_model, "-o", ext_model.parent / output_name)

    after = _snapshot(ext_model.parent)
    assert {k: after.get(k) for k in before} == before
    assert _run(ext_model).tobytes() == expected.tobytes()


def test_external_data_in_subdirectory(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A location with a subdirectory (valid ONNX, onnxruntime loads it) round-trips with default options."""
    (tmp_path / "in" / "weights").mkdir(parents=True)
    source = _save_external(tmp_path / "in", location="weights/w.bin")
    assert (tmp_path / "in" / "weights" / "w.bin").is_file()
    out_dir = tmp_path / "out"
    out_dir.mkdir()

    rc, err = _forgec(capsys, source, "-o", out_dir / "OUT.onnx", "--verify")

    assert rc == 0, err
    assert _run(out_dir / "OUT.onnx").tobytes() == _run(source).tobytes()


def test_output_file_mode_follows_umask(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The written model is readable like any other new file (mode 0666 & ~umask)."""
    old = os.umask(0o022)
    try:
        rc, err = _forgec(capsys, FIXTURES / "resnet_ts.onnx", "-o", tmp_path / "OUT.onnx")
    finally:
        os.umask(old)
    assert rc == 0, err
    assert (tmp_path / "OUT.onnx").stat().st_mode & 0o777 == 0o644
