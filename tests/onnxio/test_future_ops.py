"""Operators newer than the generated dialect pass through as ``onnx.custom`` ops.

The dialect (onnxforge/dialects/onnx/generated.py) was generated from one onnx release's schemas,
while onnx itself is a range in pyproject.toml: the installed onnx may know an op, or a version of an
op, that the table has no class for. The importer resolves a node through the installed onnx's
schema (``defs.get_schema`` at the model's opset) and then the table (``op_class_for``); a miss at
either step gives an ``onnx.custom`` op, which every pipeline leaves alone and the exporter writes
back as it came.
"""

from __future__ import annotations

import types
from pathlib import Path

import onnx
import pytest
from onnx import TensorProto, defs, helper

from onnxforge.cli.forgec import main
from onnxforge.dialects.onnx.ops import op_class_for
from onnxforge.onnxio import importer

F = TensorProto.FLOAT


def _model(path: Path, nodes: list[onnx.NodeProto], initializers: tuple[TensorProto, ...] = (),
           opset: int = 23) -> onnx.ModelProto:
    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", F, ["batch", 4])],
                              [helper.make_tensor_value_info("y", F, ["batch", 4])], list(initializers))
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)], ir_version=10)
    onnx.save(model, path)
    return model


def _forgec(capsys: pytest.CaptureFixture[str], *args: object) -> tuple[int, str, str]:
    rc = main([str(a) for a in args])
    captured = capsys.readouterr()
    return rc, captured.out, captured.err


def _fields(node: onnx.NodeProto) -> tuple[object, ...]:
    return (node.name, node.domain, node.op_type, list(node.input), list(node.output),
            [a.SerializeToString() for a in node.attribute])


def _assert_passes_through(tmp_path: Path, capsys: pytest.CaptureFixture[str], model: onnx.ModelProto,
                           op_type: str) -> None:
    source = tmp_path / "in.onnx"
    rc, ir, err = _forgec(capsys, source, "--emit=ir", "--pipeline=transformer")
    assert rc == 0, err
    assert '"onnx.custom"' in ir and f'domain = "", op_type = "{op_type}"' in ir

    rc, _, err = _forgec(capsys, source, "-o", tmp_path / "out.onnx", "--pipeline=transformer")
    assert rc == 0, err
    out = onnx.load(tmp_path / "out.onnx")
    assert [_fields(n) for n in out.graph.node] == [_fields(n) for n in model.graph.node]
    assert [(o.domain, o.version) for o in out.opset_import] == [("", 23)]


def test_op_unknown_to_onnx_is_a_custom_op(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A default-domain op no schema has (a future operator, here made up) at opset 23."""
    with pytest.raises(defs.SchemaError):
        defs.get_schema("FutureOp", 23, "")
    nodes = [helper.make_node("Relu", ["x"], ["h"], name="relu"),
             helper.make_node("FutureOp", ["h", "h"], ["y"], name="future", alpha=0.5, mode="fast")]
    model = _model(tmp_path / "in.onnx", nodes)

    _assert_passes_through(tmp_path, capsys, model, "FutureOp")


class _OnnxWithNewerAdd:
    """``onnx.defs`` as a newer onnx would answer: ``Add`` has a schema version the table lacks."""

    VERSION = 99

    def __getattr__(self, name: str) -> object:
        return getattr(defs, name)

    def get_schema(self, op_type: str, version: int, domain: str = "") -> object:
        if op_type == "Add" and domain in ("", "ai.onnx"):
            return types.SimpleNamespace(name=op_type, domain=domain, since_version=self.VERSION)
        return defs.get_schema(op_type, version, domain)


def test_op_version_newer_than_the_table_is_a_custom_op(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """A real op whose schema version (as the installed onnx resolves it) the generated table does not have:
    imported as a custom op, not as the table's older form, and untouched by the pipeline (which would
    otherwise fold ``x + 0``)."""
    assert op_class_for("", "Add", _OnnxWithNewerAdd.VERSION) is None
    monkeypatch.setattr(importer, "defs", _OnnxWithNewerAdd())
    zero = helper.make_tensor("zero", F, [], [0.0])
    model = _model(tmp_path / "in.onnx", [helper.make_node("Add", ["x", "zero"], ["y"], name="add")], (zero,))

    _assert_passes_through(tmp_path, capsys, model, "Add")
