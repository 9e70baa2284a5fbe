"""``--target-opset``: onnx's version converter, held to the model's interface."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper

from onnxforge.cli.forgec import main
from onnxforge.runtime import run


def _scan8(path: Path) -> Path:
    """ONNX's test_scan_sum at opset 8: Scan-8 carries a batch axis that Scan-9 dropped."""
    body = helper.make_graph(
        [helper.make_node("Add", ["sum_in", "next"], ["sum_out"]), helper.make_node("Identity", ["sum_out"], ["scan_out"])],
        "body",
        [helper.make_tensor_value_info("sum_in", TensorProto.FLOAT, [2]), helper.make_tensor_value_info("next", TensorProto.FLOAT, [2])],
        [helper.make_tensor_value_info("sum_out", TensorProto.FLOAT, [2]), helper.make_tensor_value_info("scan_out", TensorProto.FLOAT, [2])],
    )
    graph = helper.make_graph(
        [helper.make_node("Scan", ["", "initial", "x"], ["y", "z"], body=body, num_scan_inputs=1)], "g",
        [helper.make_tensor_value_info("initial", TensorProto.FLOAT, [1, 2]),
         helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 2])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 2]),
         helper.make_tensor_value_info("z", TensorProto.FLOAT, [1, 3, 2])],
    )
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 8)], ir_version=4), path)
    return path


def test_a_conversion_that_changes_the_interface_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """onnx's Scan 8→9 adapter drops the batch axis from the graph's inputs: a different model. One line, no output."""
    model, out = _scan8(tmp_path / "scan.onnx"), tmp_path / "out.onnx"
    assert main([str(model), "-o", str(out), "--pipeline=none", "--target-opset=23"]) == 1
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and "changes the model's interface" in err and "'initial'" in err
    assert not out.exists()
    assert main([str(model), "-o", str(out), "--pipeline=none"]) == 0  # without the conversion it compiles


def test_converted_model_keeps_its_declarations(tmp_path: Path) -> None:
    """The converter's shape inference may name dims the original left unknown: the output keeps the
    original declarations (no ``unk__0``) and computes the same values."""
    graph = helper.make_graph(
        [helper.make_node("Concat", ["a", "b"], ["c"], axis=0)], "g",
        [helper.make_tensor_value_info("a", TensorProto.INT64, ["batch", "seq"]),
         helper.make_tensor_value_info("b", TensorProto.INT64, ["batch", "seq"])],
        [helper.make_tensor_value_info("c", TensorProto.INT64, [None, None])],
    )
    model = tmp_path / "m.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)], ir_version=8), model)
    out = tmp_path / "out.onnx"
    assert main([str(model), "-o", str(out), "--pipeline=none", "--target-opset=23"]) == 0
    result = onnx.load(out)
    assert result.graph.output[0].type == onnx.load(model).graph.output[0].type
    assert result.opset_import[0].version == 23
    feeds = {"a": np.arange(6).reshape(2, 3), "b": np.arange(6).reshape(2, 3) + 10}
    assert np.array_equal(run(out, feeds)["c"], np.concatenate([feeds["a"], feeds["b"]]))


def test_no_default_domain_means_nothing_to_convert(tmp_path: Path) -> None:
    """A model of ai.onnx.ml ops only has no default-domain opset: --target-opset leaves it as it is."""
    graph = helper.make_graph(
        [helper.make_node("Binarizer", ["x"], ["y"], domain="ai.onnx.ml", threshold=0.5)], "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [3])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [3])],
    )
    model = tmp_path / "ml.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("ai.onnx.ml", 1)], ir_version=8), model)
    out = tmp_path / "out.onnx"
    assert main([str(model), "-o", str(out), "--pipeline=cleanup", "--target-opset=23"]) == 0
    assert [(o.domain, o.version) for o in onnx.load(out).opset_import] == [("ai.onnx.ml", 1)]


def test_a_named_output_dim_the_converter_resolves_is_not_an_interface_change(tmp_path: Path) -> None:
    """TorchScript names output dims that are fixed (``Addlast_hidden_state_dim_1``); the converter's
    inference finds the number. That is no change of the interface: the conversion goes on, and the
    output keeps its declaration as given."""
    graph = helper.make_graph(
        [helper.make_node("Add", ["x", "w"], ["y"])], "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", "Addy_dim_1"])],
        [helper.make_tensor("w", TensorProto.FLOAT, [4], [1.0, 2.0, 3.0, 4.0])],
    )
    model = tmp_path / "m.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 14)], ir_version=8), model)
    out = tmp_path / "out.onnx"
    assert main([str(model), "-o", str(out), "--pipeline=none", "--target-opset=23", "--verify"]) == 0
    result = onnx.load(out)
    assert result.opset_import[0].version == 23
    assert result.graph.output[0].type == onnx.load(model).graph.output[0].type
