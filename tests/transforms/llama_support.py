"""Test support for the Llama-style fusions (RMSNorm, rotary embedding): small synthetic exports.

Small synthetic exports of the HF functions cover what the committed fixtures do not (half
precision, partial rotation); compiling, counting and verifying are in ``support``.
"""

from __future__ import annotations

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper
from support import synthetic_model

# --- synthetic exports ------------------------------------------------------------------------------


def _model(nodes: list, inputs: list, outputs: list, initializers: list, opset: int) -> onnx.ModelProto:
    return synthetic_model(helper.make_graph(nodes, "synthetic", inputs, outputs, initializers), opset)


def hf_rms_norm(elem: int = TensorProto.FLOAT16, opset: int = 14, hidden: int = 16) -> onnx.ModelProto:
    """HF ``LlamaRMSNorm`` as TorchScript exports it: x → f32 → x·(1/sqrt(mean(x²) + ε)) → x's type → ·γ."""
    dtype = helper.tensor_dtype_to_np_dtype(elem)
    gamma = (np.random.default_rng(0).standard_normal(hidden) + 1).astype(dtype)
    inits = [
        numpy_helper.from_array(np.array(2.0, np.float32), "two"),
        numpy_helper.from_array(np.array(1e-6, np.float32), "eps"),
        numpy_helper.from_array(np.array(1.0, np.float32), "one"),
        numpy_helper.from_array(gamma, "gamma"),
    ]
    nodes = [
        helper.make_node("Cast", ["x"], ["x32"], to=TensorProto.FLOAT),
        helper.make_node("Pow", ["x32", "two"], ["sq"]),
        helper.make_node("ReduceMean", ["sq"], ["ms"], axes=[-1], keepdims=1),
        helper.make_node("Add", ["ms", "eps"], ["mse"]),
        helper.make_node("Sqrt", ["mse"], ["rms"]),
        helper.make_node("Div", ["one", "rms"], ["inv"]),
        helper.make_node("Mul", ["x32", "inv"], ["n"]),
        helper.make_node("Cast", ["n"], ["nx"], to=elem),
        helper.make_node("Mul", ["gamma", "nx"], ["y"]),
    ]
    shape = ["batch", "sequence", hidden]
    return _model(nodes, [helper.make_tensor_value_info("x", elem, shape)], [helper.make_tensor_value_info("y", elem, shape)], inits, opset)


def hf_rope(heads: int = 2, head: int = 8, rotary: int | None = None, opset: int = 20) -> onnx.ModelProto:
    """HF ``apply_rotary_pos_emb`` on ``q = x`` viewed ``[B, H, S, D]``, with cos/sin from ``arange(S)``
    and ``inv_freq`` (``cat(freqs, freqs)``); with ``rotary < head``, the partial form of GPT-NeoX/Phi."""
    rotary = rotary or head
    half = rotary // 2

    def ints(name: str, *values: int) -> onnx.TensorProto:
        return numpy_helper.from_array(np.array(values, np.int64), name)

    inv_freq = (1.0 / (10000 ** (np.arange(0, rotary, 2) / rotary))).astype(np.float32)
    inits = [
        ints("shape4", 0, 0, heads, head), numpy_helper.from_array(inv_freq, "inv_freq"),
        numpy_helper.from_array(np.array(0, np.int64), "zero"), numpy_helper.from_array(np.array(1, np.int64), "one"),
        ints("ax0", 0), ints("ax1", 1), ints("ax2", 2), ints("last", -1),
        ints("s0", 0), ints("half", half), ints("rot", rotary), ints("end", 2**63 - 1),
    ]
    nodes = [
        helper.make_node("Reshape", ["x", "shape4"], ["x4"]),
        helper.make_node("Transpose", ["x4"], ["q"], perm=[0, 2, 1, 3]),
        helper.make_node("Shape", ["x"], ["shape"]),
        helper.make_node("Gather", ["shape", "one"], ["seq"], axis=0),
        helper.make_node("Range", ["zero", "seq", "one"], ["positions"]),
        helper.make_node("Unsqueeze", ["positions", "ax0"], ["position_ids"]),
        helper.make_node("Unsqueeze", ["position_ids", "ax2"], ["position_col"]),
        helper.make_node("Cast", ["position_col"], ["position_f"], to=TensorProto.FLOAT),
        helper.make_node("Mul", ["position_f", "inv_freq"], ["freqs"]),
        helper.make_node("Concat", ["freqs", "freqs"], ["emb"], axis=-1),
        helper.make_node("Cos", ["emb"], ["cos"]),
        helper.make_node("Sin", ["emb"], ["sin"]),
        helper.make_node("Unsqueeze", ["cos", "ax1"], ["cos4"]),
        helper.make_node("Unsqueeze", ["sin", "ax1"], ["sin4"]),
    ]
    rotated = "q"
    if rotary != head:
        nodes += [helper.make_node("Slice", ["q", "s0", "rot", "last"], ["q_rot"]),
                  helper.make_node("Slice", ["q", "rot", "end", "last"], ["q_pass"])]
        rotated = "q_rot"
    nodes += [
        helper.make_node("Mul", [rotated, "cos4"], ["a"]),
        helper.make_node("Slice", [rotated, "s0", "half", "last"], ["x1"]),
        helper.make_node("Slice", [rotated, "half", "end", "last"], ["x2"]),
        helper.make_node("Neg", ["x2"], ["neg_x2"]),
        helper.make_node("Concat", ["neg_x2", "x1"], ["rotate_half"], axis=-1),
        helper.make_node("Mul", ["rotate_half", "sin4"], ["b"]),
        helper.make_node("Add", ["a", "b"], ["y" if rotary == head else "y_rot"]),
    ]
    if rotary != head:
        nodes.append(helper.make_node("Concat", ["y_rot", "q_pass"], ["y"], axis=-1))
    return _model(
        nodes,
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", "sequence", heads * head])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", heads, "sequence", head])],
        inits,
        opset,
    )
