"""Test support for the LayerNorm, skip-LayerNorm and GELU fusions: synthetic exports of their forms.

The committed fixtures cover what the exporters emit (and after cleanup their γ = 1, β = 0 and
zero biases are folded away); these small graphs, built with ``onnx.helper``, cover the other
operand orders, non-trivial γ / β, biases and multi-dim normalisation, so that every form is
checked on onnxruntime, not only matched. Compiling and comparing is in ``support``.
"""

from __future__ import annotations

import math

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper
from support import CLASS_1, assert_close, compile_for, synthetic_model

HIDDEN = 8
SEQUENCE = 3
ALL_TARGETS = (("ort", None), ("portable", None), ("standard", 20))
"""The targets with their ``--target-opset`` (standard needs LayerNormalization ≥ 17 and Gelu ≥ 20)."""


def check(model: onnx.ModelProto, passes: str, kind: str, opset: int | None, fused: dict[str, int],
          atol: float = CLASS_1) -> onnx.ModelProto:
    """Compile for the target, assert the rewrite counts and closeness (class 1 unless ``atol``); return the
    compiled model."""
    compiled, stats = compile_for(model, f"onnx-infer-shapes,{passes},nn-lower", kind, opset)
    assert {k: stats.get(k, 0) for k in fused} == fused, stats
    assert_close(model, compiled, atol)
    return compiled


class Graph:
    """A small graph under construction: nodes, constants and a fresh-name counter."""

    def __init__(self, rng_seed: int = 0) -> None:
        self.nodes: list[onnx.NodeProto] = []
        self.inits: list[onnx.TensorProto] = []
        self.rng = np.random.default_rng(rng_seed)
        self.count = 0

    def const(self, value: np.ndarray | float | list[int], dtype: type = np.float32) -> str:
        self.count += 1
        name = f"c{self.count}"
        self.inits.append(numpy_helper.from_array(np.asarray(value, dtype), name))
        return name

    def random(self, *shape: int) -> str:
        return self.const(self.rng.standard_normal(shape))

    def op(self, op_type: str, *inputs: str, **attrs: object) -> str:
        self.count += 1
        out = f"v{self.count}"
        self.nodes.append(helper.make_node(op_type, list(inputs), [out], **attrs))
        return out

    def model(self, inputs: dict[str, list[int | str]], outputs: list[str], opset: int,
              elem: int = TensorProto.FLOAT) -> onnx.ModelProto:
        """The model; every input and output is of type ``elem``, every output of the first input's shape."""
        shape = next(iter(inputs.values()))
        graph = helper.make_graph(
            self.nodes, "synthetic",
            [helper.make_tensor_value_info(n, elem, s) for n, s in inputs.items()],
            [helper.make_tensor_value_info(o, elem, shape) for o in outputs],
            self.inits,
        )
        return synthetic_model(graph, opset)


# --- LayerNorm ---------------------------------------------------------------------------------------


def _mean(g: Graph, x: str, axes: list[int], opset: int) -> str:
    if opset < 18:
        return g.op("ReduceMean", x, axes=axes)
    return g.op("ReduceMean", x, g.const(axes, np.int64))


def layer_norms(opset: int = 14) -> onnx.ModelProto:
    """Three LayerNorms of ``x [batch, 3, 8]``: the TorchScript form with γ and β; Mul(d, d), Add(ε, ·),
    Reciprocal and β only; and one over the two trailing dims with a [3, 8] γ."""
    g = Graph()
    outputs = []
    for axes, square, divide, gamma, beta in (
        ([-1], "pow", "div", (HIDDEN,), (HIDDEN,)),
        ([-1], "mul", "reciprocal", None, (HIDDEN,)),
        ([-2, -1], "pow", "div", (SEQUENCE, HIDDEN), None),
    ):
        d = g.op("Sub", "x", _mean(g, "x", axes, opset))
        sq = g.op("Pow", d, g.const(2.0)) if square == "pow" else g.op("Mul", d, d)
        std = g.op("Sqrt", g.op("Add", g.const(1e-5), _mean(g, sq, axes, opset)))
        y = g.op("Div", d, std) if divide == "div" else g.op("Mul", g.op("Reciprocal", std), d)
        if gamma is not None:
            y = g.op("Mul", y, g.random(*gamma))
        if beta is not None:
            y = g.op("Add", g.random(*beta), y)
        outputs.append(y)
    return g.model({"x": ["batch", SEQUENCE, HIDDEN]}, outputs, opset)


def half_layer_norm(elem: int = TensorProto.FLOAT16, opset: int = 14) -> onnx.ModelProto:
    """torch's TorchScript LayerNorm of a half-precision ``x``: mean and centring in x's type, the centred
    value cast to f32 for the statistics, the normalised value cast back, then ·γ + β in x's type."""
    g = Graph()
    dtype = helper.tensor_dtype_to_np_dtype(elem)
    d = g.op("Sub", "x", _mean(g, "x", [-1], opset))
    d32 = g.op("Cast", d, to=TensorProto.FLOAT)
    std = g.op("Sqrt", g.op("Add", _mean(g, g.op("Pow", d32, g.const(2.0)), [-1], opset), g.const(1e-5)))
    n = g.op("Cast", g.op("Div", d32, std), to=elem)
    y = g.op("Add", g.op("Mul", n, g.const(g.rng.standard_normal(HIDDEN), dtype)), g.const(g.rng.standard_normal(HIDDEN), dtype))
    return g.model({"x": ["batch", SEQUENCE, HIDDEN]}, [y], opset, elem)


# --- GELU --------------------------------------------------------------------------------------------


def gelus(opset: int = 14, biased: bool = False) -> onnx.ModelProto:
    """Six GELUs of ``x [batch, 3, 8]`` (four erf associations, tanh with Pow(x, 3) and with x·(x·x));
    with ``biased``, each reads its own ``Add(x, b)`` with a 1-D bias (BiasGelu / FastGelu under ort)."""
    g = Graph()
    half, one = g.const(0.5), g.const(1.0)
    outputs = []

    def source() -> str:
        return g.op("Add", "x", g.random(HIDDEN)) if biased else "x"

    def erf(x: str, by_mul: bool) -> str:
        arg = g.op("Mul", x, g.const(1 / math.sqrt(2))) if by_mul else g.op("Div", x, g.const(math.sqrt(2)))
        return g.op("Add", g.op("Erf", arg), one)

    x = source()
    outputs.append(g.op("Mul", g.op("Mul", x, erf(x, False)), half))  # (x·s)·0.5
    x = source()
    outputs.append(g.op("Mul", g.op("Mul", half, x), erf(x, True)))  # (0.5·x)·s
    x = source()
    outputs.append(g.op("Div", g.op("Mul", erf(x, False), x), g.const(2.0)))  # (s·x)/2
    x = source()
    outputs.append(g.op("Mul", x, g.op("Mul", erf(x, True), half)))  # x·(s·0.5)
    for cube in ("pow", "mul"):
        x = source()
        cubed = g.op("Pow", x, g.const(3.0)) if cube == "pow" else g.op("Mul", g.op("Mul", x, x), x)
        inner = g.op("Add", x, g.op("Mul", cubed, g.const(0.044715)))
        s = g.op("Add", g.op("Tanh", g.op("Mul", inner, g.const(math.sqrt(2 / math.pi)))), one)
        outputs.append(g.op("Mul", g.op("Mul", x, half), s))
    return g.model({"x": ["batch", SEQUENCE, HIDDEN]}, outputs, opset)


# --- skip LayerNorm ----------------------------------------------------------------------------------


def _layer_norm(g: Graph, x: str) -> str:
    d = g.op("Sub", x, g.op("ReduceMean", x, axes=[-1]))
    std = g.op("Sqrt", g.op("Add", g.op("ReduceMean", g.op("Pow", d, g.const(2.0)), axes=[-1]), g.const(1e-5)))
    return g.op("Add", g.op("Mul", g.op("Div", d, std), g.random(HIDDEN)), g.random(HIDDEN))


def residual_blocks(opset: int = 14) -> onnx.ModelProto:
    """Three residual LayerNorms: post-LN ``LN(MatMul(x, W) + b + x)`` (bias absorbed under ort);
    pre-LN whose sum also feeds the next residual; and a 3-D input plus a 2-D ``[S, H]`` skip."""
    g = Graph()
    dense = g.op("Add", g.op("MatMul", "x", g.random(HIDDEN, HIDDEN)), g.random(HIDDEN))
    post = _layer_norm(g, g.op("Add", dense, "x"))
    total = g.op("Add", "x", post)
    pre = _layer_norm(g, total)
    nxt = g.op("Add", total, g.op("MatMul", pre, g.random(HIDDEN, HIDDEN)))
    positions = _layer_norm(g, g.op("Add", nxt, g.random(SEQUENCE, HIDDEN)))
    return g.model({"x": ["batch", SEQUENCE, HIDDEN]}, [positions], opset)


__all__ = ["ALL_TARGETS", "check", "gelus", "half_layer_norm", "layer_norms", "residual_blocks"]
