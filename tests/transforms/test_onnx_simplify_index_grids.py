"""``onnx-simplify-index-grids``: the vectorised mask builders of transformers 5 dynamo exports lose their
index grids bit-identically, and every grid that is not a whole, ordered one keeps its GatherND."""

from __future__ import annotations

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper
from paths import FIXTURES
from support import compile_state, op_types

from onnxforge.runtime import verify
from onnxforge.transforms.onnx_simplify_index_grids import composed_axes
from onnxforge.transforms.pipelines import CLEANUP

PASSES = "onnx-infer-shapes,onnx-simplify-index-grids,onnx-eliminate-dead"
GRID = "onnx-simplify-index-grids/GatherNDOfGrid"


def _axes(name: str, axes: list[int], opset: int, inits: dict[str, np.ndarray]) -> dict[str, object]:
    """Unsqueeze's axes in the opset's form: an extra input from 13, an attribute before."""
    if opset >= 13:
        inits[name] = np.array(axes, np.int64)
        return {}
    return {"axes": axes}


def _unsqueeze(x: str, axes: list[int], out: str, opset: int, inits: dict[str, np.ndarray]) -> onnx.NodeProto:
    attrs = _axes(f"{out}_axes", axes, opset, inits)
    inputs = [x, f"{out}_axes"] if opset >= 13 else [x]
    return helper.make_node("Unsqueeze", inputs, [out], **attrs)


def _mask_builder(opset: int = 17, starts: tuple[int, int] = (0, 0), steps: tuple[int, int] = (1, 1),
                  grid_axes: tuple[list[int], list[int]] = ([1, 2, 3], [0, 1, 2]), swap: bool = False,
                  limit_dim: tuple[int, int] = (0, 1)) -> onnx.ModelProto:
    """transformers 5's ``padding_mask[batch_idx, kv_idx]`` as torch.export writes it: ramps over the batch
    and key positions (``Range`` of dims read from the mask), unsqueezed onto their grid axes, broadcast
    with ``Expand(Shape(Max))``, stacked on a last axis and gathered; then a ``k <= q`` style ``And``."""
    inits: dict[str, np.ndarray] = {"zero": np.array(0, np.int64), "one": np.array(1, np.int64),
                                    "i0": np.array([0], np.int64), "i1": np.array([1], np.int64)}
    nodes = [helper.make_node("Shape", ["mask"], ["shape"]),
             helper.make_node("Cast", ["mask"], ["flags"], to=TensorProto.BOOL)]
    for i, name in enumerate(("b", "k")):
        inits[f"start_{name}"] = np.array(starts[i], np.int64)
        inits[f"step_{name}"] = np.array(steps[i], np.int64)
        nodes += [helper.make_node("Gather", ["shape", f"i{limit_dim[i]}"], [f"n_{name}1"], axis=0),
                  helper.make_node("Squeeze", [f"n_{name}1"], [f"n_{name}"]) if opset >= 13 else
                  helper.make_node("Squeeze", [f"n_{name}1"], [f"n_{name}"], axes=[0]),
                  helper.make_node("Range", [f"start_{name}", f"n_{name}", f"step_{name}"], [f"r_{name}"]),
                  _unsqueeze(f"r_{name}", grid_axes[i], f"g_{name}", opset, inits)]
    nodes += [helper.make_node("Max", ["g_b", "g_k"], ["both"]),
              helper.make_node("Shape", ["both"], ["grid_shape"])]
    for name in ("b", "k"):
        nodes += [helper.make_node("Expand", [f"g_{name}", "grid_shape"], [f"e_{name}"]),
                  _unsqueeze(f"e_{name}", [-1], f"p_{name}", opset, inits)]
    parts = ["p_k", "p_b"] if swap else ["p_b", "p_k"]
    nodes += [helper.make_node("Concat", parts, ["grid"], axis=-1),
              helper.make_node("GatherND", ["flags", "grid"], ["gathered"]),
              helper.make_node("Not", ["gathered"], ["out"])]
    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("mask", TensorProto.INT64, ["batch", "keys"])],
                              [helper.make_tensor_value_info("out", TensorProto.BOOL, None)],
                              [numpy_helper.from_array(v, k) for k, v in inits.items()])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 8
    return model


@pytest.mark.parametrize("opset", [12, 17])  # Unsqueeze's axes an attribute at 12 (Max of int64 needs 12)
def test_a_padding_mask_grid_is_the_mask_unsqueezed(opset: int) -> None:
    original = _mask_builder(opset)
    compiled, state = compile_state(original, PASSES)
    assert state.statistics[GRID] == 1
    ops = op_types(compiled)
    assert ("", "GatherND") not in ops and ("", "Range") not in ops and ("", "Concat") not in ops
    report = verify(original, compiled)  # batch and keys bound to 0 and 1 too
    assert report.identical, report.summary()


@pytest.mark.parametrize("change", [
    {"starts": (0, 1)},  # keys from 1: a shifted gather, not the mask
    {"steps": (1, 2)},  # every other key
    {"swap": True},  # mask[k, b]: a transpose, not an unsqueeze
    {"limit_dim": (0, 0)},  # the key ramp counts the batch: only the first keys
])
def test_a_grid_that_is_not_every_index_in_order_stays(change: dict[str, object]) -> None:
    original = _mask_builder(**change)  # type: ignore[arg-type]
    compiled, state = compile_state(original, PASSES)
    assert state.statistics.get(GRID, 0) == 0
    assert op_types(compiled)[("", "GatherND")] == 1
    # a square mask: the swapped and the batch-counting grids index out of range otherwise (in the original too)
    assert verify(original, compiled, dims={"batch": 4, "keys": 4}, edges=False).identical


def test_gather_of_the_whole_ramp_is_its_input() -> None:
    inits = {"zero": np.array(0, np.int64), "one": np.array(1, np.int64), "i1": np.array(1, np.int64)}
    nodes = [helper.make_node("Shape", ["x"], ["shape"]),
             helper.make_node("Gather", ["shape", "i1"], ["n"], axis=0),
             helper.make_node("Range", ["zero", "n", "one"], ["ramp"]),
             helper.make_node("Gather", ["x", "ramp"], ["whole"], axis=1),
             helper.make_node("Gather", ["x", "ramp"], ["rows"], axis=0),  # the ramp counts columns: stays
             helper.make_node("Add", ["whole", "whole"], ["out"])]
    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["n", "m"])],
                              [helper.make_tensor_value_info("out", TensorProto.FLOAT, None),
                               helper.make_tensor_value_info("rows", TensorProto.FLOAT, None)],
                              [numpy_helper.from_array(v, k) for k, v in inits.items()])
    original = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    original.ir_version = 8
    compiled, state = compile_state(original, PASSES)
    assert state.statistics["onnx-simplify-index-grids/GatherOfWholeRamp"] == 1
    assert op_types(compiled)[("", "Gather")] == 2  # the Shape read and the row gather
    report = verify(original, compiled, dims={"n": 4, "m": 4})
    assert report.identical, report.summary()


@pytest.mark.parametrize("opset", [11, 17])
@pytest.mark.parametrize(("inner", "outer"), [([0], [0]), ([1, 2], [-1]), ([0, 3], [1, 4]), ([-1], [0, 2])])
def test_unsqueeze_chains_compose(opset: int, inner: list[int], outer: list[int]) -> None:
    inits: dict[str, np.ndarray] = {}
    nodes = [_unsqueeze("x", inner, "u1", opset, inits), _unsqueeze("u1", outer, "out", opset, inits)]
    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["a", 3])],
                              [helper.make_tensor_value_info("out", TensorProto.FLOAT, None)],
                              [numpy_helper.from_array(v, k) for k, v in inits.items()])
    original = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    original.ir_version = 8
    compiled, state = compile_state(original, PASSES)
    assert state.statistics["onnx-simplify-index-grids/ComposeUnsqueezes"] == 1
    assert op_types(compiled)[("", "Unsqueeze")] == 1
    report = verify(original, compiled)
    assert report.identical, report.summary()


def test_composed_axes() -> None:
    # x [a, b] → Unsqueeze 1 → [a, 1, b] → Unsqueeze 0, 3 → [1, a, 1, 1, b]: axes 0, 2, 3
    assert composed_axes([1], [0, 3], 5) == [0, 2, 3]
    assert composed_axes([0], [0], 4) == [0, 1]


@pytest.mark.parametrize("name", ["bert_dynamo", "gpt2_dynamo", "llama_dynamo"])
def test_dynamo_mask_builders_lose_their_grid(name: str) -> None:
    original = onnx.load(FIXTURES / "hierarchy" / f"{name}.onnx")
    before = op_types(original)
    compiled, state = compile_state(original, CLEANUP)  # the exports' Constant nodes and CastLikes go first
    assert state.statistics[GRID] == before[("", "GatherND")] == 1
    assert ("", "GatherND") not in op_types(compiled)
    report = verify(original, compiled)
    assert report.identical, report.summary()

