"""A node of a known op that lacks a required input is bad input, refused at import.

Before, ``Add(x)`` imported as ``onnx.Add(x, <no value>)``: the absent-optional placeholder stood in
for a required operand, passes and instruments that read the second operand failed deep inside
(``forgec inspect``, ``--pipeline=auto``), or the invalid node was written back out.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from onnx import TensorProto, helper

from onnxforge.cli.forgec import main


def _model(path: Path, node_inputs: list[str]) -> Path:
    graph = helper.make_graph(
        [helper.make_node("Add", node_inputs, ["y"], name="add")], "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2])],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)
    path.write_bytes(model.SerializeToString())
    return path


@pytest.mark.parametrize("inputs", [["x"], ["x", ""], ["", "x"]], ids=["one-input", "empty-second", "empty-first"])
@pytest.mark.parametrize("command", [["--pipeline=auto", "-o", "OUT"], ["--emit=ir"], ["inspect"]], ids=["auto", "ir", "inspect"])
def test_known_op_missing_a_required_input_is_one_error(inputs: list[str], command: list[str], tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    model = _model(tmp_path / "m.onnx", inputs)
    out = tmp_path / "out.onnx"
    argv = ["inspect", str(model)] if command == ["inspect"] else [str(model), *[str(out) if a == "OUT" else a for a in command]]

    rc = main(argv)
    captured = capsys.readouterr()

    lines = captured.err.splitlines()
    assert rc == 1 and len(lines) == 1, captured.err
    assert "error: " in lines[0] and "m.onnx" in lines[0] and "node 'add' (Add): required input" in lines[0], lines[0]
    assert "is missing" in lines[0]
    assert not out.exists()


def test_both_inputs_present_still_imports(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    model = _model(tmp_path / "m.onnx", ["x", "x"])

    assert main([str(model), "-o", str(tmp_path / "out.onnx"), "--verify"]) == 0, capsys.readouterr().err
