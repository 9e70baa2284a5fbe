"""Symbolic shape inference at its edges, through the pipelines that trust it, against onnxruntime.

Each model is the smallest that showed a miscompile or a blow-up (issue 13): dims of size 0,
integer ``Mod`` with ``fmod=1``, int64 overflow in shape arithmetic, ``Slice`` clamping with
negative steps, and chained shape arithmetic whose expressions double in size per step.
Compiled results are compared with the original on onnxruntime (class 0: bit-identical).
"""

from __future__ import annotations

import itertools
import time

import numpy as np
import onnx
import pytest
from onnx import TensorProto as T
from onnx import helper as h
from onnx import numpy_helper as nh

import onnxforge
from onnxforge import runtime
from onnxforge.analysis.shapes import dims as d
from onnxforge.analysis.shapes import infer
from onnxforge.compiler import load_model, to_ir

I64_MAX, I64_MIN = 2**63 - 1, -(2**63)


def _model(nodes: list[onnx.NodeProto], inits: dict[str, np.ndarray], x_shape: list, out_type: int) -> onnx.ModelProto:  # type: ignore[type-arg]
    graph = h.make_graph(nodes, "g", [h.make_tensor_value_info("x", T.FLOAT, x_shape)],
                         [h.make_tensor_value_info("y", out_type, None)],
                         [nh.from_array(np.asarray(v), k) for k, v in inits.items()])
    return h.make_model(graph, opset_imports=[h.make_opsetid("", 18)], ir_version=9)


def _same_on(model: onnx.ModelProto, compiled: onnx.ModelProto, x: np.ndarray) -> None:
    want = runtime.run(model, {"x": x})["y"]
    got = runtime.run(compiled, {"x": x})["y"]
    assert want.dtype == got.dtype and want.shape == got.shape and np.array_equal(want, got), (want, got)


_BATCH0 = [h.make_node("Shape", ["x"], ["s"]), h.make_node("Gather", ["s", "i0"], ["b"])]
ZERO_DIM_MODELS = {
    # batch == 0 must not fold to False
    "Equal(Shape(x)[0], 0)": ([*_BATCH0, h.make_node("Equal", ["b", "zero"], ["y"])], T.BOOL),
    "Size(x) == 0": ([h.make_node("Size", ["x"], ["n"]), h.make_node("Equal", ["n", "zero"], ["y"])], T.BOOL),
    "Size(x) > 0": ([h.make_node("Size", ["x"], ["n"]), h.make_node("Greater", ["n", "zero"], ["y"])], T.BOOL),
    "Max(batch, 1)": ([*_BATCH0, h.make_node("Max", ["b", "one"], ["y"])], T.INT64),
    "Clip(batch, 1)": ([*_BATCH0, h.make_node("Clip", ["b", "one"], ["y"])], T.INT64),
    "Min(batch, 0)": ([*_BATCH0, h.make_node("Min", ["b", "zero"], ["y"])], T.INT64),
    # Reshape(x, [batch, 2, 2*n]): the constant form [0, 2, -1] fails on onnxruntime at batch 0
    "Reshape to [batch, 2, 2n]": ([
        *_BATCH0, h.make_node("Gather", ["s", "i2"], ["n"]), h.make_node("Mul", ["n", "two_s"], ["n2"]),
        h.make_node("Unsqueeze", ["b", "ax"], ["bu"]), h.make_node("Unsqueeze", ["n2", "ax"], ["nu"]),
        h.make_node("Concat", ["bu", "two", "nu"], ["t"], axis=0), h.make_node("Reshape", ["x", "t"], ["y"]),
    ], T.FLOAT),
}
_ZERO_INITS = {"zero": np.array(0, np.int64), "one": np.array(1, np.int64), "i0": np.array(0, np.int64),
               "i2": np.array(2, np.int64), "two_s": np.array(2, np.int64), "ax": np.array([0]), "two": np.array([2])}


@pytest.mark.parametrize("pipeline", ["cleanup", "auto"])
@pytest.mark.parametrize("name", sorted(ZERO_DIM_MODELS))
def test_a_batch_of_zero_is_not_ruled_out(name: str, pipeline: str) -> None:
    nodes, out_type = ZERO_DIM_MODELS[name]
    used = {i for n in nodes for i in n.input}
    model = _model(nodes, {k: v for k, v in _ZERO_INITS.items() if k in used}, ["batch", 4, "n"], out_type)
    compiled = onnxforge.compile(model, pipeline=pipeline)
    for batch in (0, 1, 3):
        _same_on(model, compiled, np.ones((batch, 4, 3), np.float32))


def test_symbols_are_nonnegative() -> None:
    n = d.symbol("n")
    assert d.eq(n, 0) is None and d.lt(0, n) is None and d.le(0, n) is True and d.lt(n, 0) is False
    assert d.dmax(n, 1) is None and d.dmin(n, 0) == 0 and d.eq(n * d.symbol("m"), 0) is None


def test_a_reshape_with_minus_one_proves_its_other_dims_nonzero() -> None:
    """The model's own ``Reshape(x, [batch, -1])`` fails at batch 0, so batch >= 1 wherever it runs: the
    second Reshape's computed target [batch, 2, 2n] may then become the constant [0, 2, -1]."""
    nodes, _ = ZERO_DIM_MODELS["Reshape to [batch, 2, 2n]"]
    nodes = [h.make_node("Reshape", ["x", "flat"], ["f"]), h.make_node("Identity", ["f"], ["y2"]), *nodes]
    used = {i for n in nodes for i in n.input}
    inits = {**{k: v for k, v in _ZERO_INITS.items() if k in used}, "flat": np.array([0, -1])}
    model = _model(nodes, inits, ["batch", 4, "n"], T.FLOAT)
    model.graph.output.append(h.make_tensor_value_info("y2", T.FLOAT, None))
    compiled = onnxforge.compile(model, pipeline="cleanup")
    assert [n.op_type for n in compiled.graph.node].count("Shape") == 0
    _same_on(model, compiled, np.ones((3, 4, 5), np.float32))


# --- integer semantics of shape values ------------------------------------------------------------


@pytest.mark.parametrize("fmod", [0, 1])
def test_mod_of_shape_values_follows_fmod(fmod: int) -> None:
    """-Shape(x) mod 3: fmod=1 takes the dividend's sign (C), fmod=0 the divisor's (Python)."""
    nodes = [h.make_node("Shape", ["x"], ["s"]), h.make_node("Sub", ["zero", "s"], ["n"]),
             h.make_node("Mod", ["n", "three"], ["y"], fmod=fmod)]
    model = _model(nodes, {"zero": np.array([0]), "three": np.array([3])}, [7, 4], T.INT64)
    compiled = onnxforge.compile(model, pipeline="cleanup")
    assert [n.op_type for n in compiled.graph.node] == ["Identity"]
    _same_on(model, compiled, np.ones((7, 4), np.float32))


def test_int64_overflow_in_shape_arithmetic_wraps() -> None:
    """Shape(x) * 2**62 * 2**62 aborted the compile (an int no int64 holds); the runtime wraps."""
    nodes = [h.make_node("Shape", ["x"], ["s"]), h.make_node("Mul", ["s", "c"], ["m"]), h.make_node("Mul", ["m", "c"], ["y"])]
    model = _model(nodes, {"c": np.array([2**62, 3 * 2**61], np.int64)}, [3, 5], T.INT64)
    for pipeline in ("cleanup", "auto"):
        compiled = onnxforge.compile(model, pipeline=pipeline)
        _same_on(model, compiled, np.ones((3, 5), np.float32))


SLICE_BOUNDS = [I64_MAX, I64_MIN, 2**31 - 1, -1, 0, 4, 7, -7]


@pytest.mark.parametrize("step", [-1, -2, 1, 2])
def test_slice_of_a_shape_clamps_as_onnxruntime(step: int) -> None:
    """Shape(x)[start:end:step] on a rank-5 shape, every bound pair: the spec's clamping (start -7 with
    step -1 selects index 0) and onnxruntime's reading of end=INT_MAX as "to the front"."""
    for start, end in itertools.product(SLICE_BOUNDS, SLICE_BOUNDS):
        nodes = [h.make_node("Shape", ["x"], ["s"]), h.make_node("Slice", ["s", "a", "b", "axis", "step"], ["y"])]
        inits = {"a": np.array([start]), "b": np.array([end]), "axis": np.array([0]), "step": np.array([step])}
        model = _model(nodes, inits, [1, 2, 3, 4, 5], T.INT64)
        compiled = onnxforge.compile(model, pipeline="cleanup")
        _same_on(model, compiled, np.ones((1, 2, 3, 4, 5), np.float32))


# --- bounded expression growth ---------------------------------------------------------------------


def _doubling_chain(depth: int) -> onnx.ModelProto:
    """s = Shape(a); depth times s = Concat(s * s + s): each dim's expression doubles per step."""
    nodes = [h.make_node("Shape", ["x"], ["s0"])]
    for k in range(depth):
        nodes += [h.make_node("Mul", [f"s{k}", f"s{k}"], [f"m{k}"]), h.make_node("Add", [f"m{k}", f"s{k}"], [f"a{k}"]),
                  h.make_node("Concat", [f"a{k}"], [f"s{k + 1}"], axis=0)]
    nodes.append(h.make_node("ConstantOfShape", [f"s{depth}"], ["y"]))
    return _model(nodes, {}, ["n", "m"], T.FLOAT)


def test_chained_shape_arithmetic_is_linear() -> None:
    """Depth 20 took over 120 s (depth 16: 23 s) under ``auto``; expressions past
    ``MAX_EXPRESSION_SIZE`` nodes are now unknown dims."""
    model = _doubling_chain(20)
    start = time.perf_counter()
    compiled = onnxforge.compile(model, pipeline="auto")
    assert time.perf_counter() - start < 10
    facts = infer(to_ir(load_model(model)))
    assert all(len(str(dim)) < 2000 for value in facts.values() for dim in facts.shape(value) or ())
    _same_on(model, compiled, np.ones((0, 0), np.float32))  # any other size overflows ConstantOfShape


def test_expression_size_is_bounded_and_linear_to_measure() -> None:
    n = d.symbol("n")
    e = n
    for _ in range(40):  # a tree of 2**40 nodes, 80 distinct ones
        e = e * e + e
    assert d.expression_size(e) == d.MAX_EXPRESSION_SIZE + 1
    assert d.norm(e) is None and d.add(n, 1) == n + 1
    assert d.norm(2**70 * n) is None  # no int64 holds the coefficient
