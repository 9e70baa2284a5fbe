"""The bad-input contract of ``forgec``, and custom-domain pass-through.

Bad input gets exactly one line on stderr, ``forgec: error: ...``, naming the
file and the problem; exit status 1; no traceback; no output file and no
leftover temporary file; the input files are never modified (bytes and mtime).

Most cases drive ``onnxforge.cli.forgec.main`` in-process (fast); one test runs
the installed ``forgec`` console script to show the entry point behaves the same.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import AttributeProto, TensorProto, helper, numpy_helper
from paths import FIXTURES

from onnxforge.cli.forgec import main

F = TensorProto.FLOAT


# --- helpers ------------------------------------------------------------------


def _model(
    nodes: list[onnx.NodeProto],
    initializers: list[TensorProto] = (),  # type: ignore[assignment]
    opsets: dict[str, int] | None = None,
    ir_version: int = 8,
) -> onnx.ModelProto:
    """x: float[2] -> y: float[2] through ``nodes`` (no checker: many of these are invalid on purpose)."""
    graph = helper.make_graph(
        nodes,
        "g",
        [helper.make_tensor_value_info("x", F, [2])],
        [helper.make_tensor_value_info("y", F, [2])],
        initializer=list(initializers),
    )
    opsets = opsets or {"": 17}
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid(d, v) for d, v in opsets.items()])
    model.ir_version = ir_version
    return model


def _write(path: Path, model: onnx.ModelProto) -> Path:
    path.write_bytes(model.SerializeToString())
    return path


def _external_model(directory: Path) -> Path:
    """A small model whose one initializer lives in ``w.data`` next to it."""
    directory.mkdir()
    weight = numpy_helper.from_array(np.array([1.5, -2.0], np.float32), "w")
    model = _model([helper.make_node("Add", ["x", "w"], ["y"])], [weight])
    onnx.save(model, directory / "m.onnx", save_as_external_data=True, all_tensors_to_one_file=True,
              location="w.data", size_threshold=0)
    assert (directory / "w.data").stat().st_size == 8
    return directory / "m.onnx"


def _snapshot(root: Path) -> dict[str, tuple[str, int]]:
    """Every file under ``root``: content hash and mtime (ns)."""
    return {
        str(p.relative_to(root)): (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mtime_ns)
        for p in sorted(root.rglob("*"))
        if p.is_file() and not p.is_symlink()
    }


def _forgec(capsys: pytest.CaptureFixture[str], *args: str | os.PathLike[str]) -> tuple[int, str, str]:
    rc = main([str(a) for a in args])
    captured = capsys.readouterr()
    return rc, captured.out, captured.err


def _assert_one_error_line(rc: int, err: str, *needles: str) -> str:
    lines = err.splitlines()
    assert rc == 1, f"exit {rc}, stderr: {err!r}"
    assert len(lines) == 1, f"expected one stderr line, got {err!r}"
    assert "Traceback" not in err
    line = lines[0]
    assert line.startswith("forgec: error: "), line
    for needle in needles:
        assert needle.lower() in line.lower(), f"{needle!r} not in {line!r}"
    return line


# --- the bad inputs -------------------------------------------------------------


@dataclass
class Bad:
    """One bad input: ``make(tmp_path)`` returns (model path, file the message must name)."""

    make: Callable[[Path], tuple[Path, str]]
    needles: tuple[str, ...]


def _corrupt(tmp: Path) -> tuple[Path, str]:
    path = tmp / "corrupt.onnx"
    path.write_bytes(np.random.default_rng(0).bytes(1000))
    return path, "corrupt.onnx"


def _truncated(tmp: Path) -> tuple[Path, str]:
    data = (FIXTURES / "resnet_ts.onnx").read_bytes()
    path = tmp / "truncated.onnx"
    path.write_bytes(data[: len(data) // 2])
    return path, "truncated.onnx"


def _empty(tmp: Path) -> tuple[Path, str]:
    path = tmp / "empty.onnx"
    path.write_bytes(b"")
    return path, "empty.onnx"


def _directory(tmp: Path) -> tuple[Path, str]:
    path = tmp / "model_dir.onnx"
    path.mkdir()
    return path, "model_dir.onnx"


def _nonexistent(tmp: Path) -> tuple[Path, str]:
    return tmp / "nowhere.onnx", "nowhere.onnx"


def _missing_external(tmp: Path) -> tuple[Path, str]:
    path = _external_model(tmp / "ext")
    (path.parent / "w.data").unlink()
    return path, "w.data"


def _short_external(tmp: Path) -> tuple[Path, str]:
    path = _external_model(tmp / "ext")
    os.truncate(path.parent / "w.data", 4)
    return path, "w.data"


def _dangling(tmp: Path) -> tuple[Path, str]:
    model = _model([helper.make_node("Add", ["x", "ghost"], ["y"], name="add")])
    return _write(tmp / "dangling.onnx", model), "dangling.onnx"


def _cycle(tmp: Path) -> tuple[Path, str]:
    nodes = [
        helper.make_node("Add", ["x", "b"], ["a"], name="n1"),
        helper.make_node("Relu", ["a"], ["b"], name="n2"),
        helper.make_node("Identity", ["a"], ["y"], name="n3"),
    ]
    return _write(tmp / "cycle.onnx", _model(nodes)), "cycle.onnx"


def _produced_twice(tmp: Path) -> tuple[Path, str]:
    nodes = [helper.make_node("Relu", ["x"], ["y"]), helper.make_node("Neg", ["x"], ["y"])]
    return _write(tmp / "twice.onnx", _model(nodes)), "twice.onnx"


def _opset_99(tmp: Path) -> tuple[Path, str]:
    model = _model([helper.make_node("Relu", ["x"], ["y"])], opsets={"": 99})
    return _write(tmp / "opset99.onnx", model), "opset99.onnx"


def _ir_99(tmp: Path) -> tuple[Path, str]:
    return _write(tmp / "ir99.onnx", _model([helper.make_node("Relu", ["x"], ["y"])], ir_version=99)), "ir99.onnx"


def _bad_utf8(old: bytes, new: bytes, name: str) -> Callable[[Path], tuple[Path, str]]:
    """A valid model with one string field's bytes replaced by invalid UTF-8 (a corrupt file)."""

    def make(tmp: Path) -> tuple[Path, str]:
        data = _model([helper.make_node("Relu", ["x"], ["y"], name="QQQQ")]).SerializeToString()
        assert data.count(old) == 1
        path = tmp / name
        path.write_bytes(data.replace(old, new))
        onnx.load(path)  # protobuf itself accepts it: the bytes are only checked on access
        return path, name

    return make


def _undefined_dtype(tmp: Path) -> tuple[Path, str]:
    weight = TensorProto(name="w", data_type=TensorProto.UNDEFINED, dims=[2])
    return _write(tmp / "undef.onnx", _model([helper.make_node("Add", ["x", "w"], ["y"])], [weight])), "undef.onnx"


def _short_raw_data(tmp: Path) -> tuple[Path, str]:
    weight = TensorProto(name="w", data_type=F, dims=[2], raw_data=b"\0" * 4)  # float[2] needs 8 bytes
    model = _model([helper.make_node("Add", ["x", "w"], ["y"])], [weight])
    return _write(tmp / "shortraw.onnx", model), "shortraw.onnx"


BAD = {
    "corrupt": Bad(_corrupt, ("corrupt or truncated",)),
    "truncated": Bad(_truncated, ("corrupt or truncated",)),
    "empty": Bad(_empty, ("empty",)),
    "directory": Bad(_directory, ("directory",)),
    "nonexistent": Bad(_nonexistent, ("no such file",)),
    "missing-external-data": Bad(_missing_external, ("external data", "missing", "'w'")),
    "short-external-data": Bad(_short_external, ("external data", "too short", "'w'")),
    "dangling-input": Bad(_dangling, ("dangling", "'ghost'", "'add'")),
    "cycle": Bad(_cycle, ("cycle",)),
    "produced-twice": Bad(_produced_twice, ("'y'", "produced twice")),
    "opset-99": Bad(_opset_99, ("opset 99", "not supported")),
    "ir-version-99": Bad(_ir_99, ("IR version 99", "not supported")),
    "bad-utf8-node-name": Bad(_bad_utf8(b"QQQQ", b"\xffQQQ", "utf8name.onnx"), ("UTF-8", "name")),
    "bad-utf8-op-type": Bad(_bad_utf8(b"Relu", b"\xffelu", "utf8op.onnx"), ("UTF-8", "op_type")),
    "undefined-dtype-initializer": Bad(_undefined_dtype, ("'w'", "element type")),
    "raw-data-too-short": Bad(_short_raw_data, ("'w'", "bytes")),
}


@pytest.mark.parametrize("emit", ["onnx", "ir"])
@pytest.mark.parametrize("case", list(BAD.values()), ids=list(BAD))
def test_bad_input_is_one_clean_error(case: Bad, emit: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Each bad input: one 'forgec: error:' line naming file and problem, exit 1, nothing written, input untouched."""
    inputs = tmp_path / "in"
    inputs.mkdir()
    model, named = case.make(inputs)
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    output = out_dir / ("OUT.onnx" if emit == "onnx" else "OUT.mlir")
    before = _snapshot(inputs)

    rc, out, err = _forgec(capsys, model, "-o", output, *(["--emit=ir"] if emit == "ir" else []))

    _assert_one_error_line(rc, err, named, *case.needles)
    assert out == ""
    assert list(out_dir.iterdir()) == [], "an output or temporary file was left behind"
    assert _snapshot(inputs) == before, "the input files were modified"


def _valid_model(tmp_path: Path) -> Path:
    return _write(tmp_path / "model.onnx", _model([helper.make_node("Relu", ["x"], ["y"])]))


@pytest.mark.parametrize("alias", ["same-path", "dotdot", "symlink", "hardlink"])
def test_output_equal_to_input_is_refused(alias: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``-o`` naming the input itself (however spelled) is refused and the input keeps its bytes and mtime."""
    model = _valid_model(tmp_path)
    output = {
        "same-path": model,
        "dotdot": tmp_path / "sub" / ".." / model.name,
        "symlink": tmp_path / "link.onnx",
        "hardlink": tmp_path / "hard.onnx",
    }[alias]
    if alias == "symlink":
        output.symlink_to(model.name)
    elif alias == "hardlink":
        os.link(model, output)
    before = _snapshot(tmp_path)

    rc, _, err = _forgec(capsys, model, "-o", output)

    _assert_one_error_line(rc, err, output.name, "refusing to overwrite the input")
    assert _snapshot(tmp_path) == before
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_output_directory_must_exist(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``-o`` into a missing directory is an error; the directory is not created."""
    model = _valid_model(tmp_path)
    before = _snapshot(tmp_path)

    rc, _, err = _forgec(capsys, model, "-o", tmp_path / "missing" / "OUT.onnx")

    _assert_one_error_line(rc, err, "missing", "does not exist")
    assert not (tmp_path / "missing").exists()
    assert _snapshot(tmp_path) == before


def test_verify_error_leaves_no_output(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A --verify that cannot run (onnxruntime knows no com.example.MyOp) is an error and removes the output."""
    node = helper.make_node("MyOp", ["x"], ["y"], domain="com.example")
    model = _write(tmp_path / "custom.onnx", _model([node], opsets={"": 17, "com.example": 1}))
    out_dir = tmp_path / "out"
    out_dir.mkdir()

    rc, _, err = _forgec(capsys, model, "-o", out_dir / "OUT.onnx", "--verify")

    assert rc == 1 and "forgec: error: cannot verify" in err and "onnxruntime" in err
    assert list(out_dir.iterdir()) == []


def test_installed_console_script(tmp_path: Path) -> None:
    """The installed ``forgec`` entry point gives the same one-line error and exit status 1 in a real process."""
    script = Path(sys.executable).with_name("forgec")
    forgec = str(script) if script.exists() else shutil.which("forgec")
    assert forgec, "the forgec console script is not installed (pip install -e .)"
    model, _ = _dangling(tmp_path)
    output = tmp_path / "OUT.onnx"
    before = _snapshot(tmp_path)

    proc = subprocess.run([forgec, str(model), "-o", str(output)], capture_output=True, text=True, timeout=60)

    _assert_one_error_line(proc.returncode, proc.stderr, "dangling.onnx", "dangling", "'ghost'")
    assert proc.stdout == ""
    assert _snapshot(tmp_path) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dangling.onnx"]


# --- what must pass through -----------------------------------------------------


def _custom_node() -> onnx.NodeProto:
    return helper.make_node(
        "MyOp", ["x"], ["y"], name="my_op", domain="com.example", doc_string="a custom op",
        count=3, alpha=0.1, mode='he said "hi"\n\\ ü', sizes=[1, -2, 3],
    )


def _assert_same_node(got: onnx.NodeProto, want: onnx.NodeProto) -> None:
    for field in ("name", "op_type", "domain", "overload", "doc_string"):
        assert getattr(got, field) == getattr(want, field), field
    assert list(got.input) == list(want.input)
    assert list(got.output) == list(want.output)
    assert [a.name for a in got.attribute] == [a.name for a in want.attribute]
    for a, b in zip(got.attribute, want.attribute):
        assert a.SerializeToString() == b.SerializeToString(), a.name
    assert list(got.metadata_props) == list(want.metadata_props)
    assert {f.name for f, v in got.ListFields() if v} == {f.name for f, v in want.ListFields() if v}, "extra fields"


def test_custom_domain_node_passes_through(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A node of an unknown domain survives --emit=ir, ONNX export, and IR text -> ONNX, field by field."""
    node = _custom_node()
    assert {a.type for a in node.attribute} == {AttributeProto.INT, AttributeProto.FLOAT, AttributeProto.STRING,
                                                AttributeProto.INTS}
    model = _write(tmp_path / "custom.onnx", _model([node], opsets={"": 17, "com.example": 1}))
    before = _snapshot(tmp_path)

    rc, _, err = _forgec(capsys, model, "--emit=ir", "-o", tmp_path / "custom.mlir")
    assert rc == 0, err
    ir = (tmp_path / "custom.mlir").read_text()
    assert '"onnx.custom"' in ir and 'domain = "com.example"' in ir and 'op_type = "MyOp"' in ir

    rc, _, err = _forgec(capsys, model, "-o", tmp_path / "out.onnx")
    assert rc == 0, err
    _assert_same_node(onnx.load(tmp_path / "out.onnx").graph.node[0], node)

    rc, _, err = _forgec(capsys, tmp_path / "custom.mlir", "-o", tmp_path / "from_ir.onnx")
    assert rc == 0, err
    _assert_same_node(onnx.load(tmp_path / "from_ir.onnx").graph.node[0], node)

    assert {k: v for k, v in _snapshot(tmp_path).items() if k in before} == before


def test_custom_node_attribute_doc_string_kept(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """An attribute's doc_string is part of the node and passes through untouched."""
    node = helper.make_node("MyOp", ["x"], ["y"], domain="com.example")
    node.attribute.append(AttributeProto(name="k", type=AttributeProto.INT, i=1, doc_string="why k is 1"))
    model = _write(tmp_path / "custom.onnx", _model([node], opsets={"": 17, "com.example": 1}))

    rc, _, err = _forgec(capsys, model, "-o", tmp_path / "out.onnx")

    assert rc == 0, err
    _assert_same_node(onnx.load(tmp_path / "out.onnx").graph.node[0], node)


def test_custom_node_tensor_attribute_through_ir_text(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A TENSOR attribute of a custom node (data and tensor name) survives --emit=ir --print-weights and back."""
    node = helper.make_node("MyOp", ["x"], ["y"], domain="com.example",
                            table=numpy_helper.from_array(np.array([1.5, 2.0], np.float32), "table"))
    model = _write(tmp_path / "custom.onnx", _model([node], opsets={"": 17, "com.example": 1}))
    rc, _, err = _forgec(capsys, model, "--emit=ir", "--print-weights", "-o", tmp_path / "custom.mlir")
    assert rc == 0, err

    rc, _, err = _forgec(capsys, tmp_path / "custom.mlir", "-o", tmp_path / "out.onnx")

    assert rc == 0, err
    _assert_same_node(onnx.load(tmp_path / "out.onnx").graph.node[0], node)


def test_microsoft_contrib_ops_round_trip_and_verify(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """com.microsoft FusedMatMul + Gelu pass through unchanged and --verify is bit-identical in onnxruntime."""
    weight = numpy_helper.from_array(np.random.default_rng(0).standard_normal((4, 3)).astype(np.float32), "w")
    nodes = [
        helper.make_node("FusedMatMul", ["x", "w"], ["h"], name="fmm", domain="com.microsoft", alpha=0.5),
        helper.make_node("Gelu", ["h"], ["y"], name="gelu", domain="com.microsoft"),
    ]
    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", F, ["batch", 4])],
                              [helper.make_tensor_value_info("y", F, ["batch", 3])], [weight])
    opsets = [helper.make_opsetid("", 17), helper.make_opsetid("com.microsoft", 1)]
    model = helper.make_model(graph, opset_imports=opsets, ir_version=8)
    path = tmp_path / "contrib.onnx"
    onnx.save(model, path)
    before = _snapshot(tmp_path)

    rc, _, err = _forgec(capsys, path, "-o", tmp_path / "out.onnx", "--verify")

    assert rc == 0, err
    assert "y: bit-identical" in err
    out = onnx.load(tmp_path / "out.onnx")
    assert len(out.graph.node) == 2
    for got, want in zip(out.graph.node, nodes):
        _assert_same_node(got, want)
    assert {k: v for k, v in _snapshot(tmp_path).items() if k in before} == before
