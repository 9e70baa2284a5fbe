"""Weights a pass computes are moved to an unlinked scratch file (``onnxio.weights.spill``), not held in anonymous memory.

A TorchScript export writes every linear layer as ``MatMul(x, Transpose(W))``; folding those transposes
made a 7B model's whole 14 GB of weights anonymous memory until the writer ran. Here a 16 MiB weight
(``SPILL_BYTES``) is folded and written, and its bytes are checked, with the scratch file gone.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

from onnxforge.compiler import optimize, to_ir
from onnxforge.dialects.onnx.structure import InitializerOp
from onnxforge.ir.tensor import TensorValue
from onnxforge.onnxio.exporter import to_model_proto
from onnxforge.onnxio.loader import from_proto
from onnxforge.onnxio.weights import SPILL_BYTES, mapped_range, spill


def _scratch_files() -> set[str]:
    return {n for n in os.listdir(tempfile.gettempdir()) if n.startswith("onnxforge-") and n.endswith(".weight")}


def test_spill_maps_the_bytes_from_an_unlinked_file() -> None:
    before = _scratch_files()
    array = np.arange(SPILL_BYTES // 4, dtype=np.float32).reshape(-1, 1024)
    spilled = spill(TensorValue.from_numpy(array))
    assert mapped_range(spilled.raw) is not None  # file-backed, not a copy in this process's heap
    np.testing.assert_array_equal(spilled.numpy(), array)
    assert _scratch_files() == before  # unlinked at once: nothing is left behind


def test_small_and_mapped_weights_stay_as_they_are() -> None:
    small = TensorValue.from_numpy(np.ones((4, 4), np.float32))
    assert spill(small) is small
    big = spill(TensorValue.from_numpy(np.zeros(SPILL_BYTES // 4, np.float32)))
    assert spill(big) is big


def test_folded_transpose_of_a_large_weight_is_spilled_and_written(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    weight = rng.standard_normal((2048, 2048)).astype(np.float32)  # 16 MiB
    graph = helper.make_graph(
        [helper.make_node("Transpose", ["w"], ["wt"], perm=[1, 0]), helper.make_node("MatMul", ["x", "wt"], ["y"])],
        "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["n", 2048])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["n", 2048])], [numpy_helper.from_array(weight, "w")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=9)
    module = to_ir(from_proto(model))
    optimize(module, passes="onnx-infer-shapes,onnx-fold-constants")
    folded = [op for op in module.walk() if isinstance(op, InitializerOp)]
    assert len(folded) == 1 and mapped_range(folded[0].value.value.raw) is not None
    out = to_model_proto(module)
    assert [n.op_type for n in out.graph.node] == ["MatMul"]
    np.testing.assert_array_equal(numpy_helper.to_array(out.graph.initializer[0]), weight.T)
    x = rng.standard_normal((3, 2048)).astype(np.float32)
    got = ort.InferenceSession(out.SerializeToString()).run(None, {"x": x})[0]
    np.testing.assert_allclose(got, x @ weight.T, rtol=1e-4, atol=1e-3)
    onnx.checker.check_model(out)
