"""``nn-fuse-conv-affine``: per-channel Add/Sub/Mul/Div by a constant after a Conv, ConvTranspose or Gemm,
folded into the weights, checked on onnxruntime; what must not fold stays."""

from __future__ import annotations

import numpy as np
import onnx
import pytest
from conv_linear_support import model, random, tensor
from onnx import TensorProto, helper
from support import assert_close, compile_state, near_misses, op_types

PASSES = "onnx-infer-shapes,nn-fuse-conv-affine,nn-lower"
PASS = "nn-fuse-conv-affine"
FOLDED = f"{PASS}/FoldChannelAffine"


def _conv_then(ops: list[tuple[str, list[int], bool]], bias: bool = True, group: int = 1) -> onnx.ModelProto:
    """Conv [batch, 4, 7, 7] → each (op, constant shape, conv output first?) in turn."""
    inits = {"w": random(6, 4 // group, 3, 3, seed=1)}
    conv_inputs = ["x", "w"]
    if bias:
        inits["b"] = random(6, seed=2)
        conv_inputs.append("b")
    nodes = [helper.make_node("Conv", conv_inputs, ["y0"], pads=[1, 1, 1, 1], group=group)]
    for index, (op, shape, first) in enumerate(ops):
        c = random(*shape, seed=10 + index) + (2.0 if op == "Div" else 0.0)
        inits[f"c{index}"] = c
        operands = [f"y{index}", f"c{index}"] if first else [f"c{index}", f"y{index}"]
        nodes.append(helper.make_node(op, operands, [f"y{index + 1}"]))
    return model(nodes, [tensor("x", ["batch", 4, 7, 7])], [f"y{len(ops)}"], inits)


@pytest.mark.parametrize(("op", "shape", "first"), [
    ("Add", [6, 1, 1], True), ("Add", [1, 6, 1, 1], False), ("Sub", [6, 1, 1], True), ("Sub", [6, 1, 1], False),
    ("Mul", [6, 1, 1], False), ("Div", [6, 1, 1], True), ("Add", [1], True), ("Mul", [], True),
])
def test_one_affine_op_folds(op: str, shape: list[int], first: bool) -> None:
    original = _conv_then([(op, shape, first)])
    compiled, state = compile_state(original, PASSES)
    assert state.statistics[FOLDED] == 1
    assert op_types(compiled) == {("", "Conv"): 1}
    assert_close(original, compiled)


def test_a_chain_folds_one_op_at_a_time() -> None:
    """Paddle's Conv + bias Add, then a frozen BN written as Mul + Add: one Conv is left."""
    original = _conv_then([("Add", [1, 6, 1, 1], True), ("Mul", [6, 1, 1], True), ("Add", [6, 1, 1], False)],
                          bias=False, group=2)
    compiled, state = compile_state(original, PASSES)
    assert state.statistics[FOLDED] == 3
    assert op_types(compiled) == {("", "Conv"): 1}
    assert_close(original, compiled)


@pytest.mark.parametrize("op", ["Add", "Mul"])
def test_conv_transpose_and_gemm(op: str) -> None:
    inits = {"w": random(4, 3, 3, 3, seed=1), "c": random(6, 1, 1, seed=2), "g": random(5, 6, seed=3), "d": random(6, seed=4)}
    nodes = [helper.make_node("ConvTranspose", ["x", "w"], ["y"], group=2, strides=[2, 2]),
             helper.make_node(op, ["y", "c"], ["out"]),
             helper.make_node("Gemm", ["v", "g"], ["z"]),
             helper.make_node(op, ["d", "z"], ["out2"])]
    original = model(nodes, [tensor("x", ["batch", 4, 5, 5]), tensor("v", [3, 5])], ["out", "out2"], inits)
    compiled, state = compile_state(original, PASSES)
    assert state.statistics[FOLDED] == 2
    assert op_types(compiled) == {("", "ConvTranspose"): 1, ("", "Gemm"): 1}
    assert_close(original, compiled)


def test_what_must_not_fold_stays() -> None:
    """A constant varying along a spatial dim, one that broadcasts the output up, a conv read twice, a zero
    divisor, the conv as divisor and a non-constant operand are near misses, and nothing changes."""
    inits = {"w": random(6, 4, 3, 3, seed=1), "spatial": random(1, 1, 7, 1, seed=2), "big": random(2, 6, 1, 1, 1, seed=3),
             "zero": np.zeros((6, 1, 1), np.float32), "c": random(6, 1, 1, seed=4)}
    names = ["spatial", "big", "shared", "zero", "divisor", "input"]
    nodes = [helper.make_node("Conv", ["x", "w"], [f"y_{n}"], pads=[1, 1, 1, 1]) for n in names]
    nodes += [helper.make_node("Add", ["y_spatial", "spatial"], ["o_spatial"]),
              helper.make_node("Add", ["y_big", "big"], ["o_big"]),
              helper.make_node("Mul", ["y_shared", "c"], ["o_shared"]),
              helper.make_node("Div", ["y_zero", "zero"], ["o_zero"]),
              helper.make_node("Div", ["c", "y_divisor"], ["o_divisor"]),
              helper.make_node("Add", ["y_input", "v"], ["o_input"])]
    outputs = [f"o_{n}" for n in names] + ["y_shared"]
    original = model(nodes, [tensor("x", ["batch", 4, 7, 7]), tensor("v", [6, 1, 1])], outputs, inits)
    compiled, state = compile_state(original, PASSES)
    assert FOLDED not in state.statistics
    reasons = " | ".join(near_misses(state, PASS))
    for expected in ("varying along the channels only", "other readers", "division by a zero channel",
                     "the conv output is the divisor"):
        assert expected in reasons
    assert op_types(compiled)[("", "Conv")] == 6


def test_half_precision_weights_stay_half() -> None:
    inits = {"w": random(6, 3, 3, 3, seed=1, dtype=np.float16), "c": random(6, 1, 1, seed=2, dtype=np.float16)}
    nodes = [helper.make_node("Conv", ["x", "w"], ["y"], pads=[1, 1, 1, 1]), helper.make_node("Mul", ["y", "c"], ["out"])]
    original = model(nodes, [tensor("x", ["batch", 3, 8, 8], TensorProto.FLOAT16)], ["out"], inits, elem=TensorProto.FLOAT16)
    compiled, state = compile_state(original, PASSES)
    assert state.statistics[FOLDED] == 1
    assert {t.data_type for t in compiled.graph.initializer} == {TensorProto.FLOAT16}
    assert_close(original, compiled, atol=2e-2)


@pytest.mark.parametrize(("group", "shape"), [(1, [1, 4, 1, 1]), (2, [4, 1, 1]), (1, [])])
def test_a_scale_before_the_conv_folds_into_its_input_channels(group: int, shape: list[int]) -> None:
    """Conv(x · c): input channel i's weights scaled by c[i]; the padded zeros stay zeros. An Add before a
    conv stays (the padding would have to pad with it)."""
    inits = {"w": random(6, 4 // group, 3, 3, seed=1), "b": random(6, seed=2),
             "c": random(*shape, seed=3) if shape else np.array(1.7, np.float32), "d": random(4, 1, 1, seed=4)}
    nodes = [helper.make_node("Mul", ["x", "c"], ["s"]),
             helper.make_node("Conv", ["s", "w", "b"], ["y"], pads=[1, 1, 1, 1], group=group),
             helper.make_node("Add", ["x", "d"], ["a"]),
             helper.make_node("Conv", ["a", "w", "b"], ["z"], pads=[1, 1, 1, 1], group=group)]
    original = model(nodes, [tensor("x", ["batch", 4, 7, 7])], ["y", "z"], inits)
    compiled, state = compile_state(original, PASSES)
    assert state.statistics[f"{PASS}/FoldInputScale"] == 1
    assert op_types(compiled) == {("", "Conv"): 2, ("", "Add"): 1}
    assert_close(original, compiled)
