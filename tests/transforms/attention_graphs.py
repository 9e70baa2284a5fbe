"""Small attention blocks written the ways the exporters write them, for ``nn-fuse-attention``'s tests.

``block(...)`` builds ``x → q, k, v projections → heads → softmax(q·kᵀ·scale + mask)·v → merged``
with ``x = [batch, sequence, H·D]`` and the variant's details:

* ``key``: ``"split_t"`` (``Transpose(Reshape(k), [0, 2, 3, 1])``, TorchScript BERT),
  ``"swap"`` (``Transpose(k4, [0, 1, 3, 2])``, Llama) or ``"sdpa"`` (dynamo's flatten-transpose-unflatten
  with the scale split as ``√s`` on q and kᵀ);
* ``mask``: ``None``, ``"float"`` (an additive graph input ``[B, 1, S, T]``), ``"bool_min"`` /
  ``"bool_inf"`` (a boolean input through ``Where(m, 0, min | -inf)``), ``"causal"`` (SDPA's
  ``Trilu`` mask), ``"zero"`` (ViT's all-True ``Where``);
* ``guard``: SDPA's ``Where(IsNaN(p), 0, p)``; ``group``: KV heads repeated (GQA, ``repeat_kv``);
  ``packed``: one projection split into q, k, v (GPT-2); ``rope``: HF's rotary on q and k.
"""

from __future__ import annotations

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

HEADS, HEAD = 2, 4
FLOAT_MIN = float(np.finfo(np.float32).min)


def block(key: str = "split_t", mask: str | None = "float", guard: bool = False, group: int = 1, packed: bool = False,
          rope: bool = False, scale: float = 0.5, opset: int = 20, merge: str = "3d") -> onnx.ModelProto:
    rng = np.random.default_rng(0)
    hidden, kv_heads = HEADS * HEAD, HEADS // group
    kv_hidden = kv_heads * HEAD
    inits: list[onnx.TensorProto] = []
    nodes: list[onnx.NodeProto] = []

    def const(name: str, value: object, dtype: object = np.int64) -> str:
        if all(i.name != name for i in inits):
            inits.append(numpy_helper.from_array(np.asarray(value, dtype=dtype), name))
        return name

    def node(op: str, inputs: list[str], output: str, **attrs: object) -> str:
        nodes.append(helper.make_node(op, inputs, [output], name=output, **attrs))
        return output

    widths = [hidden, kv_hidden, kv_hidden]
    if packed:
        node("MatMul", ["x", const("w_qkv", rng.standard_normal((hidden, sum(widths))) * 0.3, np.float32)], "qkv")
        nodes.append(helper.make_node("Split", ["qkv", const("widths", widths)], ["q", "k", "v"], name="split", axis=-1))
    else:
        for name, width in zip("qkv", widths, strict=True):
            node("MatMul", ["x", const(f"w_{name}", rng.standard_normal((hidden, width)) * 0.3, np.float32)], name)
    node("Reshape", ["q", const("q_shape", [0, 0, HEADS, HEAD])], "q_split")
    node("Reshape", ["k", const("kv_shape", [0, 0, kv_heads, HEAD])], "k_split")
    node("Reshape", ["v", "kv_shape"], "v_split")
    q4 = node("Transpose", ["q_split"], "q4", perm=[0, 2, 1, 3])
    v4 = node("Transpose", ["v_split"], "v4", perm=[0, 2, 1, 3])
    k4 = node("Transpose", ["k_split"], "k4", perm=[0, 2, 1, 3]) if key != "split_t" else ""
    if rope:
        made: set[str] = set()
        q4, k4 = _rope(q4, node, const, made), _rope(k4, node, const, made)
    if group > 1:
        k4, v4 = (_repeat(x, kv_heads, group, node, const) for x in (k4, v4))
    if key == "split_t":
        kt = node("Transpose", ["k_split"], "kt", perm=[0, 2, 3, 1])
    elif key == "swap":
        kt = node("Transpose", [k4], "kt", perm=[0, 1, 3, 2])
    else:
        k_shape = node("Shape", [k4], "k_shape")  # SDPA computes both targets from k's shape
        length = node("Slice", [k_shape, const("m2", [-2]), const("m1", [-1])], "k_len")
        lead = node("Slice", [k_shape, const("s0l", [0]), const("m2", [-2])], "k_lead")
        flat_shape = node("Concat", [const("neg1", [-1]), length, const("d", [HEAD])], "flat_shape", axis=0)
        flat = node("Reshape", [k4, flat_shape], "k_flat")
        flat_t = node("Transpose", [flat], "k_flat_t", perm=[0, 2, 1])
        kt = node("Reshape", [flat_t, node("Concat", [lead, "d", length], "kt_shape", axis=0)], "kt_unscaled")
    if key == "sdpa":
        root = const("sqrt_scale", np.sqrt(scale), np.float32)
        q4 = node("Mul", [q4, root], "q4_scaled")
        kt = node("Mul", [kt, root], "kt_scaled")
        scores = node("MatMul", [q4, kt], "scores")
    else:
        scores = node("Mul", [node("MatMul", [q4, kt], "qk"), const("scale", scale, np.float32)], "scores")
    inputs = [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", "sequence", hidden])]
    if mask is not None:
        scores = node("Add", [scores, _mask(mask, inputs, node, const)], "masked")
    probs = node("Softmax", [scores], "probs", axis=-1)
    if guard:
        nan = node("IsNaN", [probs], "probs_nan")
        probs = node("Where", [nan, const("zero_p", 0.0, np.float32), probs], "probs_guarded")
    context = node("MatMul", [probs, v4], "context")
    merged = node("Transpose", [context], "context_t", perm=[0, 2, 1, 3])
    shape = [0, 0, hidden] if merge == "3d" else [-1, hidden]
    out = node("Reshape", [merged, const("merged_shape", shape)], "merged")
    node("MatMul", [out, const("w_o", rng.standard_normal((hidden, hidden)) * 0.3, np.float32)], "y")
    out_shape = ["batch", "sequence", hidden] if merge == "3d" else ["batch_x_sequence", hidden]
    output = helper.make_tensor_value_info("y", TensorProto.FLOAT, out_shape)
    graph = helper.make_graph(nodes, "attention", inputs, [output], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 10
    onnx.checker.check_model(model, full_check=True)
    return model


def _mask(kind: str, inputs: list, node, const) -> str:  # type: ignore[no-untyped-def]
    if kind == "float":
        inputs.append(helper.make_tensor_value_info("mask", TensorProto.FLOAT, ["batch", 1, "sequence", "sequence"]))
        return "mask"
    if kind in ("bool_min", "bool_inf"):
        inputs.append(helper.make_tensor_value_info("keep", TensorProto.BOOL, ["batch", 1, "sequence", "sequence"]))
        fill = FLOAT_MIN if kind == "bool_min" else -np.inf
        return node("Where", ["keep", const("zero_m", 0.0, np.float32), const("fill", fill, np.float32)], "bias")
    if kind == "zero":
        keep = node("Expand", [const("true", [[[[True]]]], np.bool_), node("Shape", ["scores"], "scores_shape")], "all_true")
        return node("Where", [keep, const("zero_m", 0.0, np.float32), const("fill", FLOAT_MIN, np.float32)], "bias")
    assert kind == "causal"
    q_len = node("Slice", [node("Shape", ["q4"], "q_shape4"), const("m2", [-2]), const("m1", [-1])], "q_len")
    size = node("Concat", [q_len, q_len], "causal_size", axis=0)
    ones = node("Expand", [const("one", 1.0, np.float32), size], "ones")
    lower = node("Trilu", [ones], "lower", upper=0)
    above = node("Equal", [lower, const("zero_c", 0.0, np.float32)], "above")
    return node("Where", [above, const("ninf", -np.inf, np.float32), "zero_c"], "causal")


def _repeat(x4: str, heads: int, group: int, node, const) -> str:  # type: ignore[no-untyped-def]
    """HF's repeat_kv: Unsqueeze(2) → Expand([1, h, g, 1, D]) → Reshape([0, h·g, -1, D])."""
    unsqueezed = node("Unsqueeze", [x4, const("ax2", [2])], f"{x4}_u")
    expanded = node("Expand", [unsqueezed, const("rep_shape", [1, heads, group, 1, HEAD])], f"{x4}_e")
    return node("Reshape", [expanded, const("rep_merge", [0, heads * group, -1, HEAD])], f"{x4}_rep")


def _rope(x4: str, node, const, made: set[str]) -> str:  # type: ignore[no-untyped-def]
    """HF apply_rotary_pos_emb: x·cos + rotate_half(x)·sin, cos/sin from arange(S) (shared by the batch)."""
    half = HEAD // 2
    if not made:
        seq = node("Gather", [node("Shape", ["x"], "x_shape"), const("one_i", 1)], "seq", axis=0)
        positions = node("Range", [const("zero_i", 0), seq, "one_i"], "positions")
        row = node("Unsqueeze", [positions, const("ax0", [0])], "pos_row")
        column = node("Unsqueeze", [row, const("ax2r", [2])], "pos_col")
        freqs = node("Mul", [node("Cast", [column], "pos_f", to=TensorProto.FLOAT),
                             const("inv_freq", 1.0 / 10000 ** (np.arange(0, HEAD, 2) / HEAD), np.float32)], "freqs")
        emb = node("Concat", [freqs, freqs], "emb", axis=-1)
        node("Unsqueeze", [node("Cos", [emb], "cos"), const("ax1", [1])], "cos4")
        node("Unsqueeze", [node("Sin", [emb], "sin"), "ax1"], "sin4")
        for name, value in (("s0", 0), ("sh", half), ("send", 2**63 - 1), ("last", -1)):
            const(name, [value])
        made.add("cos4")
    x1 = node("Slice", [x4, "s0", "sh", "last"], f"{x4}_x1")
    x2 = node("Slice", [x4, "sh", "send", "last"], f"{x4}_x2")
    rotated = node("Concat", [node("Neg", [x2], f"{x4}_nx2"), x1], f"{x4}_rot", axis=-1)
    return node("Add", [node("Mul", [x4, "cos4"], f"{x4}_c"), node("Mul", [rotated, "sin4"], f"{x4}_s")], f"{x4}_rope")
