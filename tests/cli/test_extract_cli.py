"""``forgec extract MODEL --module PATH -o OUT [--verify]``.

Contracts: registered as a forgec subcommand; writes a runnable model of the module and one summary line
on stderr (nodes, inputs, outputs, verification); ``--verify`` compares the extracted outputs with the full
model's values at the same place (max |Δ| ≤ 1e-6·max(1, max |value|)) and writes nothing when that fails;
``--list`` prints the module paths with node counts; every error is one ``forgec: error:`` line and exit 1;
the input is never overwritten.
"""

from __future__ import annotations

import ast
import hashlib
import re
from pathlib import Path

import numpy as np
import onnx
import pytest
from extract_support import constant_only
from onnx import StringStringEntryProto, TensorProto, helper, numpy_helper
from paths import FIXTURES

import onnxforge.onnxio.extract as extract_lib
from onnxforge.cli.forgec import SUBCOMMANDS
from onnxforge.cli.forgec import main as forgec

F = TensorProto.FLOAT
_NO_MODULE = "_empty_nn_module_stack_from_metadata_hook"


def _tag_from_name_scopes(model: onnx.ModelProto) -> onnx.ModelProto:
    """``onnxforge.module`` from the dynamo exporter's ``pkg.torch.onnx.name_scopes`` (second-to-last entry)."""
    for node in model.graph.node:
        scopes = {p.key: p.value for p in node.metadata_props}.get("pkg.torch.onnx.name_scopes")
        entries = ast.literal_eval(scopes) if scopes else []
        if entries and _NO_MODULE not in entries:
            node.metadata_props.append(StringStringEntryProto(key="onnxforge.module",
                                                              value=entries[-2] if len(entries) >= 2 else ""))
    return model


@pytest.fixture
def bert(tmp_path: Path) -> Path:
    path = tmp_path / "bert.onnx"
    onnx.save_model(_tag_from_name_scopes(onnx.load(str(FIXTURES / "bert_dynamo.onnx"))), str(path))
    return path


def _tagged(module: str, call: int = 0) -> list[StringStringEntryProto]:
    props = [StringStringEntryProto(key="onnxforge.module", value=module)]
    return props + ([StringStringEntryProto(key="onnxforge.module_call", value=str(call))] if call else [])


@pytest.fixture
def twice(tmp_path: Path) -> Path:
    """x → proj (call 0) → Relu (root) → proj (call 1) → y, proj's weight shared."""
    w = numpy_helper.from_array(np.random.default_rng(0).standard_normal((16, 16)).astype(np.float32), "w")  # 1 KiB
    nodes = [helper.make_node("MatMul", ["x", "w"], ["p0"], name="p0"), helper.make_node("Relu", ["p0"], ["r"], name="r"),
             helper.make_node("MatMul", ["r", "w"], ["y"], name="p1")]
    for node, props in zip(nodes, [_tagged("proj"), _tagged(""), _tagged("proj", 1)]):
        node.metadata_props.extend(props)
    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", F, ["batch", 16])],
                              [helper.make_tensor_value_info("y", F, ["batch", 16])], [w])
    path = tmp_path / "twice.onnx"
    onnx.save_model(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8), str(path))
    return path


def _one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    return lines[0]


def test_registered() -> None:
    assert SUBCOMMANDS["extract"] == "onnxforge.cli.extract"


@pytest.mark.parametrize("layer", [0, 1])
def test_bert_layer_extracted_and_verified(bert: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], layer: int) -> None:
    out = tmp_path / f"layer{layer}.onnx"
    before = hashlib.sha256(bert.read_bytes()).hexdigest()
    rc = forgec(["extract", str(bert), "--module", f"encoder.layer.{layer}", "-o", str(out), "--verify",
                 "--dim", "batch=2", "--dim", "sequence=5", "--seed", str(layer)])
    line = _one_line(capsys.readouterr().err)
    assert rc == 0, line
    assert hashlib.sha256(bert.read_bytes()).hexdigest() == before
    assert line.startswith(f"forgec: extracted 'encoder.layer.{layer}': {32 if layer == 0 else 30} nodes (+0 cloned), 4 (")
    assert "verified with onnxruntime (batch=2, sequence=5): max |Δ| " in line
    deltas = re.search(r"max \|Δ\| (.*); wrote", line).group(1)  # type: ignore[union-attr]
    values = [float(part.rsplit(" ", 1)[1]) for part in deltas.split(", ")]
    assert values and max(values) <= 1e-6
    extracted = onnx.load(str(out))
    onnx.checker.check_model(extracted, full_check=True)
    assert {p.key: p.value for p in extracted.metadata_props}[extract_lib.EXTRACTED_FROM] == f"encoder.layer.{layer}"
    full = onnx.load(str(bert))
    for value in extracted.graph.input:
        assert not constant_only(full, value.name), value.name
    assert len(values) == len(extracted.graph.output)


def test_call_and_summary_without_verify(twice: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "second.onnx"
    assert forgec(["extract", str(twice), "--module", "proj@1", "-o", str(out)]) == 0
    line = _one_line(capsys.readouterr().err)
    assert line == f"forgec: extracted 'proj@1': 1 nodes (+0 cloned), 1 (r) in, 1 (y) out; wrote {out}"
    model = onnx.load(str(out))
    assert [n.name for n in model.graph.node] == ["p1"]
    assert [[d.dim_param or d.dim_value for d in v.type.tensor_type.shape.dim] for v in model.graph.input] == [["batch", 16]]
    assert forgec(["extract", str(twice), "--module", "proj@1", "-o", str(out), "--verify", "-q"]) == 0
    assert capsys.readouterr().err == ""


def test_list(bert: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert forgec(["extract", str(bert), "--list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    counts = {line.split()[1]: int(line.split()[0]) for line in lines}
    assert counts["(root)"] == 95
    assert counts["encoder.layer.0"] == 32 and counts["encoder.layer.1"] == 30
    assert counts["encoder.layer.0.attention.self.query"] == 2


def test_list_shows_calls(twice: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert forgec(["extract", str(twice), "--list"]) == 0
    assert "2  proj  (2 calls: @0…@1)" in capsys.readouterr().out


def test_verification_failure_writes_nothing(bert: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    real = extract_lib.extract_module

    def corrupted(*args, **kwargs):  # type: ignore[no-untyped-def]
        extraction = real(*args, **kwargs)
        node = next(n for n in extraction.proto.graph.node if n.op_type == "Add")
        node.op_type = "Mul"  # the extracted model computes something else (biases may be zero: not Sub)
        return extraction

    monkeypatch.setattr(extract_lib, "extract_module", corrupted)
    out = tmp_path / "bad.onnx"
    rc = forgec(["extract", str(bert), "--module", "encoder.layer.0", "-o", str(out), "--verify"])
    line = _one_line(capsys.readouterr().err)
    assert rc == 1
    assert line.startswith("forgec: error: verification failed (") and line.endswith("; output not written")
    assert "over 1e-06·max(1, max |value|) for " in line
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bert.onnx"]  # no temporary file left


@pytest.mark.parametrize(("args", "message"), [
    (["--module", "encoder.layer.7", "-o", "{out}"], "no module 'encoder.layer.7' in the model; close: 'encoder.layer.0'"),
    (["--module", "encoder.layer.0@1", "-o", "{out}"], "module 'encoder.layer.0' has no call 1 (its calls: 0)"),
    (["--module", "encoder.layer.0@x", "-o", "{out}"], "--module expects PATH or PATH@CALL"),
    (["--module", "encoder.layer.0"], "-o OUT.onnx is required"),
    (["-o", "{out}"], "--module PATH is required"),
    (["--module", "encoder", "-o", "{model}"], "refusing to overwrite the input model"),
    (["--module", "encoder", "-o", "{tmp}/missing/x.onnx"], "does not exist"),
    (["--module", "encoder", "-o", "{out}", "--verify", "--dim", "batch=0"], "--dim expects NAME=POSITIVE_INTEGER"),
])
def test_errors(bert: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str) -> None:
    before = hashlib.sha256(bert.read_bytes()).hexdigest()
    argv = [a.format(out=tmp_path / "out.onnx", model=bert, tmp=tmp_path) for a in args]
    assert forgec(["extract", str(bert), *argv]) == 1
    line = _one_line(capsys.readouterr().err)
    assert line.startswith("forgec: error: ") and message in line, line
    assert hashlib.sha256(bert.read_bytes()).hexdigest() == before
    assert not (tmp_path / "out.onnx").exists()


def test_untagged_model(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert forgec(["extract", str(FIXTURES / "bert_dynamo.onnx"), "--module", "encoder", "-o", str(tmp_path / "o.onnx")]) == 1
    assert "has no onnxforge.module tags" in _one_line(capsys.readouterr().err)
    assert forgec(["extract", str(FIXTURES / "bert_dynamo.onnx"), "--list"]) == 1
    assert "has no onnxforge.module tags" in _one_line(capsys.readouterr().err)


def test_symlink_output_refused(bert: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "elsewhere.onnx"
    target.write_bytes(b"keep")
    link = tmp_path / "link.onnx"
    link.symlink_to(target)
    assert forgec(["extract", str(bert), "--module", "pooler", "-o", str(link)]) == 1
    assert "symbolic link" in _one_line(capsys.readouterr().err)
    assert link.is_symlink() and target.read_bytes() == b"keep"


def test_external_data_model(twice: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "ext" / "twice.onnx"
    source.parent.mkdir()
    onnx.save_model(onnx.load(str(twice)), str(source), save_as_external_data=True, location="twice.bin", size_threshold=0)
    data = (source.parent / "twice.bin").read_bytes()
    out = tmp_path / "first.onnx"
    assert forgec(["extract", str(source), "--module", "proj@0", "-o", str(out), "--verify"]) == 0
    line = _one_line(capsys.readouterr().err)
    assert "verified with onnxruntime" in line and line.endswith(f"wrote {out}, {out}.data")
    assert (source.parent / "twice.bin").read_bytes() == data
    (weight,) = onnx.load(str(out), load_external_data=False).graph.initializer
    assert {e.key: e.value for e in weight.external_data}["location"] == "first.onnx.data"


def test_stream_output(twice: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert forgec(["extract", str(twice), "--module", "proj@0", "-o", "/dev/null", "--verify"]) == 0
    assert "verified with onnxruntime" in _one_line(capsys.readouterr().err)


def test_verification_reads_external_weights_in_place(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A model with external data (past 2 GiB it has no other form) is verified without loading or copying its
    weights: onnxruntime reads the files from the model's folder (the TinyLlama-1.1B layers failed before:
    the full model with the extra outputs was serialised as one protobuf); a location that leaves the folder
    is refused, as the loader refuses it."""
    path = tmp_path / "bert.onnx"
    model = _tag_from_name_scopes(onnx.load(str(FIXTURES / "bert_dynamo.onnx")))
    onnx.save_model(model, str(path), save_as_external_data=True, location="bert.data", size_threshold=1024)
    rc = forgec(["extract", str(path), "--module", "encoder.layer.0", "-o", str(tmp_path / "l0.onnx"), "--verify"])
    line = _one_line(capsys.readouterr().err)
    assert rc == 0 and "verified with onnxruntime" in line, line
    (tmp_path / "inside").mkdir()
    outside = onnx.load(str(path), load_external_data=False)
    for tensor in outside.graph.initializer:
        for entry in tensor.external_data:
            if entry.key == "location":
                entry.value = "../bert.data"  # the same file, named from a folder below it
    onnx.save_model(outside, str(tmp_path / "inside" / "bert.onnx"))
    rc = forgec(["extract", str(tmp_path / "inside" / "bert.onnx"), "--module", "encoder.layer.0", "-o",
                 str(tmp_path / "l1.onnx"), "--verify"])
    line = _one_line(capsys.readouterr().err)
    assert rc != 0 and "refusing to read it" in line and not (tmp_path / "l1.onnx").exists(), line
