"""``onnxio.extract``: one module of a tagged model as a runnable model.

Contracts: the nodes are those within the module (of one call with ``path@N``); the outputs are the
values of the module used outside it (once, however many modules use them); the inputs are
activations only: constants, what is computed only from them, and shape arithmetic on tensors the
extraction holds are cloned in, never inputs; random ops are never cloned; subgraphs' references to
outer values count as uses both ways; initializer bytes are copied as raw bytes (external data
included); types of boundary values come from value_info or shape inference, symbolic dims kept; the
extracted model run on the full model's values at its inputs gives the full model's values at its
outputs (class 0 for the hand-built models, 1e-6 for BERT); clear one-line errors otherwise.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import numpy as np
import onnx
import pytest
from extract_support import constant_only
from onnx import StringStringEntryProto, TensorProto, helper, numpy_helper
from paths import FIXTURES

from onnxforge.errors import ForgeError
from onnxforge.onnxio.extract import EXTRACTED_FROM, extract_module, module_counts, parse_module_spec
from onnxforge.onnxio.loader import load
from onnxforge.runtime import make_inputs, run

F, I64 = TensorProto.FLOAT, TensorProto.INT64


def _node(op: str, inputs: list[str], outputs: list[str], module: str | None, call: int = 0, **attrs) -> onnx.NodeProto:
    node = helper.make_node(op, inputs, outputs, name=f"{op}_{outputs[0]}", **attrs)
    if module is not None:
        node.metadata_props.append(StringStringEntryProto(key="onnxforge.module", value=module))
        if call:
            node.metadata_props.append(StringStringEntryProto(key="onnxforge.module_call", value=str(call)))
    return node


def _model(nodes: list[onnx.NodeProto], inputs, outputs, initializers=(), opset: int = 17) -> onnx.ModelProto:  # type: ignore[no-untyped-def]
    graph = helper.make_graph(nodes, "g", inputs, outputs, list(initializers))
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)], ir_version=8)
    onnx.checker.check_model(model, full_check=True)
    return model


def _weights() -> list[TensorProto]:
    rng = np.random.default_rng(0)
    return [numpy_helper.from_array(rng.standard_normal((4, 4)).astype(np.float32), "W0"),
            numpy_helper.from_array(rng.standard_normal((4, 4)).astype(np.float32), "W1"),
            numpy_helper.from_array(np.array([0], np.int64), "i0"),
            numpy_helper.from_array(np.array([-1, 4], np.int64), "flat")]


def _layers() -> onnx.ModelProto:
    """x[batch,4] → layer.0 → h0 → layer.1 (+ x, residual) → y; head reads h0 and y → z. The two layers share a
    Constant ``c`` and a Shape(x)→Gather→Concat chain ``tgt`` (root nodes); ``sa = Shape(a0)`` (root) reads a
    value inside layer.0 and is used by layer.0 and by head."""
    nodes = [
        _node("Shape", ["x"], ["s"], ""),
        _node("Gather", ["s", "i0"], ["b"], ""),
        _node("Constant", [], ["two"], "", value=numpy_helper.from_array(np.array([2, 2], np.int64))),
        _node("Concat", ["b", "two"], ["tgt"], "", axis=0),
        _node("Constant", [], ["c"], "", value=numpy_helper.from_array(np.array([1, 2, 3, 4], np.float32))),
        _node("MatMul", ["x", "W0"], ["m0"], "layer.0.dense"),
        _node("Add", ["m0", "c"], ["a0"], "layer.0"),
        _node("Shape", ["a0"], ["sa"], ""),
        _node("Reshape", ["a0", "tgt"], ["r0"], "layer.0"),
        _node("Relu", ["r0"], ["q0"], "layer.0.act"),
        _node("Reshape", ["q0", "sa"], ["h0"], "layer.0"),
        _node("MatMul", ["h0", "W1"], ["m1"], "layer.1.dense"),
        _node("Add", ["m1", "c"], ["a1"], "layer.1"),
        _node("Reshape", ["a1", "tgt"], ["r1"], "layer.1"),
        _node("Relu", ["r1"], ["q1"], "layer.1.act"),
        _node("Reshape", ["q1", "flat"], ["t1"], "layer.1"),
        _node("Add", ["t1", "x"], ["y"], "layer.1"),
        _node("Add", ["y", "h0"], ["yh"], "head"),
        _node("Reshape", ["yh", "sa"], ["z"], "head"),
    ]
    return _model(nodes, [helper.make_tensor_value_info("x", F, ["batch", 4])],
                  [helper.make_tensor_value_info("z", F, ["batch", 4])], _weights())


def _node_names(model: onnx.ModelProto) -> list[str]:
    return [n.name for n in model.graph.node]


def _check_runs(model: onnx.ModelProto, extraction, seed: int = 0, dims=None, atol: float = 0.0) -> dict[str, float]:  # type: ignore[no-untyped-def]
    """Run the full model with its boundary values as extra outputs, the extraction on the values at its inputs;
    its outputs must match the full model's values within ``atol`` (0: bit-identical). Returns max |Δ| per output."""
    full = onnx.ModelProto()
    full.CopyFrom(model)
    declared = {v.name: v for v in [*extraction.proto.graph.input, *extraction.proto.graph.output]}
    have = {o.name for o in full.graph.output} | {i.name for i in full.graph.input}
    full.graph.output.extend(declared[n] for n in [*extraction.inputs, *extraction.outputs] if n not in have)
    feeds, _ = make_inputs(full, seed, dims)
    values = {**run(full, feeds), **feeds}
    got = run(extraction.model, {n: values[n] for n in extraction.inputs})
    assert sorted(got) == sorted(extraction.outputs)
    deltas = {}
    for name in extraction.outputs:
        assert got[name].shape == values[name].shape and got[name].dtype == values[name].dtype, name
        deltas[name] = float(np.max(np.abs(got[name].astype(np.float64) - values[name]), initial=0.0))
        assert deltas[name] <= atol * max(1.0, float(np.max(np.abs(values[name]), initial=0.0))), (name, deltas[name])
    return deltas


# --- hand-built models -------------------------------------------------------------------------


def test_layer0_clones_constants_and_shape_chain_and_exposes_its_outputs() -> None:
    model = _layers()
    ex = extract_module(model, "layer.0")
    assert ex.inputs == ["x"]
    assert ex.outputs == ["a0", "h0"]  # h0 once although layer.1 and head both read it; a0 because head reads Shape(a0)
    assert ex.nodes == 5
    cloned = {"Shape_s", "Gather_b", "Constant_two", "Concat_tgt", "Constant_c", "Shape_sa"}
    assert ex.cloned == len(cloned)
    assert set(_node_names(ex.proto)) == cloned | {"MatMul_m0", "Add_a0", "Reshape_r0", "Relu_q0", "Reshape_h0"}
    assert [t.name for t in ex.proto.graph.initializer] == ["W0", "i0"]  # not W1, not flat
    onnx.checker.check_model(ex.model, full_check=True)
    _check_runs(model, ex)


def test_layer1_reads_the_shared_chain_from_its_own_input() -> None:
    model = _layers()
    ex = extract_module(model, "layer.1")
    assert ex.inputs == ["x", "h0"]  # decided in the order the graph produces them
    assert ex.outputs == ["y"]
    assert {"Shape_s", "Gather_b", "Concat_tgt", "Constant_c"} <= set(_node_names(ex.proto))
    assert "Shape_sa" not in _node_names(ex.proto)
    for name in ex.inputs:
        assert not constant_only(model, name)
    _check_runs(model, ex, seed=3)


def test_a_module_read_by_two_later_modules_and_a_shape_of_a_value_it_does_not_hold() -> None:
    model = _layers()
    head = extract_module(model, "head")
    # sa = Shape(a0): a0 is not in the extraction, so the shape itself is what head reads from outside
    assert head.inputs == ["sa", "h0", "y"]
    assert head.outputs == ["z"]
    assert not any(constant_only(model, n) for n in head.inputs)
    _check_runs(model, head)


def test_submodule_and_root() -> None:
    model = _layers()
    dense = extract_module(model, "layer.0.dense")
    assert (dense.inputs, dense.outputs, _node_names(dense.proto)) == (["x"], ["m0"], ["MatMul_m0"])
    whole = extract_module(model, "")
    assert (whole.inputs, whole.outputs, whole.nodes, whole.cloned) == (["x"], ["z"], len(model.graph.node), 0)
    _check_runs(model, whole, seed=1)


def test_layer_prefix_is_not_a_string_prefix() -> None:
    """``layer.1`` is not within ``layer.10``'s path or vice versa: atoms, not characters."""
    nodes = [_node("Relu", ["x"], ["a"], "layer.1"), _node("Neg", ["a"], ["b"], "layer.10")]
    model = _model(nodes, [helper.make_tensor_value_info("x", F, [2])], [helper.make_tensor_value_info("b", F, [2])])
    ex = extract_module(model, "layer.1")
    assert (_node_names(ex.proto), ex.inputs, ex.outputs) == (["Relu_a"], ["x"], ["a"])


def test_call_index_selects_one_call() -> None:
    nodes = [
        _node("MatMul", ["x", "W0"], ["p0"], "proj"),
        _node("Relu", ["p0"], ["r"], ""),
        _node("MatMul", ["r", "W0"], ["p1"], "proj", call=1),
        _node("Tanh", ["p1"], ["y"], "proj.act", call=1),
    ]
    model = _model(nodes, [helper.make_tensor_value_info("x", F, [3, 4])], [helper.make_tensor_value_info("y", F, [3, 4])],
                   _weights()[:1])
    path, call = parse_module_spec("proj@1")
    second = extract_module(model, path, call)
    assert (second.label, second.inputs, second.outputs) == ("proj@1", ["r"], ["y"])
    assert _node_names(second.proto) == ["MatMul_p1", "Tanh_y"]
    assert {p.key: p.value for p in second.proto.metadata_props}[EXTRACTED_FROM] == "proj@1"
    first = extract_module(model, "proj", 0)
    assert (first.inputs, first.outputs) == (["x"], ["p0"])
    both = extract_module(model, "proj")
    assert (both.inputs, both.outputs) == (["x", "r"], ["p0", "y"])
    _check_runs(model, second)
    with pytest.raises(ForgeError, match=r"module 'proj' has no call 2 \(its calls: 0, 1\)"):
        extract_module(model, "proj", 2)
    assert parse_module_spec("encoder.layer.0") == ("encoder.layer.0", None)
    with pytest.raises(ForgeError, match="PATH@CALL"):
        parse_module_spec("proj@first")


def test_random_ops_are_never_cloned() -> None:
    nodes = [
        _node("RandomNormalLike", ["x"], ["noise"], ""),
        _node("Constant", [], ["k"], "", value=numpy_helper.from_array(np.array(2.0, np.float32))),
        _node("Mul", ["noise", "k"], ["scaled"], ""),
        _node("Add", ["x", "scaled"], ["y"], "block"),
    ]
    model = _model(nodes, [helper.make_tensor_value_info("x", F, [2, 3])], [helper.make_tensor_value_info("y", F, [2, 3])])
    ex = extract_module(model, "block")
    assert ex.inputs == ["x", "scaled"]
    assert ex.cloned == 0


def test_subgraph_references_count_both_ways() -> None:
    """An If inside the module reads an outer activation (an input) and an outer constant chain (cloned);
    an If outside it reads a module value from its branch (an output)."""
    then_inner = helper.make_graph([helper.make_node("Add", ["h", "kk"], ["t"])], "then", [],
                                   [helper.make_tensor_value_info("t", F, [2, 4])])
    else_inner = helper.make_graph([helper.make_node("Sub", ["h", "kk"], ["e"])], "else", [],
                                   [helper.make_tensor_value_info("e", F, [2, 4])])
    then_outer = helper.make_graph([helper.make_node("Neg", ["g"], ["t2"])], "then2", [],
                                   [helper.make_tensor_value_info("t2", F, [2, 4])])
    else_outer = helper.make_graph([helper.make_node("Abs", ["g"], ["e2"])], "else2", [],
                                   [helper.make_tensor_value_info("e2", F, [2, 4])])
    nodes = [
        _node("Relu", ["x"], ["h"], "pre"),
        _node("Constant", [], ["k"], "", value=numpy_helper.from_array(np.full(4, 0.5, np.float32))),
        _node("Neg", ["k"], ["kk"], ""),
        _node("If", ["cond"], ["g"], "gate", then_branch=then_inner, else_branch=else_inner),
        _node("If", ["cond"], ["y"], "post", then_branch=then_outer, else_branch=else_outer),
    ]
    model = _model(nodes, [helper.make_tensor_value_info("x", F, [2, 4]), helper.make_tensor_value_info("cond", TensorProto.BOOL, [])],
                   [helper.make_tensor_value_info("y", F, [2, 4])])
    gate = extract_module(model, "gate")
    assert gate.inputs == ["cond", "h"]
    assert gate.outputs == ["g"]
    assert set(_node_names(gate.proto)) == {"If_g", "Constant_k", "Neg_kk"}
    _check_runs(model, gate)
    pre = extract_module(model, "pre")
    assert pre.outputs == ["h"]  # read only from inside gate's branches


def test_types_come_from_inference_with_symbolic_dims() -> None:
    nodes = [
        _node("MatMul", ["x", "W0"], ["m"], "a"),
        _node("Relu", ["m"], ["r"], "a"),
        _node("Add", ["r", "x"], ["y"], "b"),
    ]
    model = _model(nodes, [helper.make_tensor_value_info("x", F, ["batch", 4])],
                   [helper.make_tensor_value_info("y", F, ["batch", 4])], _weights()[:1])
    assert not model.graph.value_info
    ex = extract_module(model, "b")
    inputs = {v.name: v.type.tensor_type for v in ex.proto.graph.input}
    assert list(inputs) == ["x", "r"]  # graph inputs first, then in the order the graph makes them
    assert inputs["r"].elem_type == F
    assert [d.dim_param or d.dim_value for d in inputs["r"].shape.dim] == ["batch", 4]
    a = extract_module(model, "a")
    (out,) = a.proto.graph.output
    assert [d.dim_param or d.dim_value for d in out.type.tensor_type.shape.dim] == ["batch", 4]


def test_node_metadata_opsets_and_functions_are_kept() -> None:
    function = helper.make_function("local", "Twice", ["v"], ["w"], [helper.make_node("Add", ["v", "v"], ["w"])],
                                    [helper.make_opsetid("", 17)])
    nodes = [_node("Twice", ["x"], ["t"], "m", domain="local"), _node("Relu", ["t"], ["y"], "n")]
    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", F, [2])], [helper.make_tensor_value_info("y", F, [2])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid("local", 1)],
                              functions=[function], ir_version=8)
    model.graph.node[0].metadata_props.append(StringStringEntryProto(key="pkg.torch.onnx.name_scopes", value="['', 'm']"))
    ex = extract_module(model, "m")
    props = {p.key: p.value for p in ex.proto.graph.node[0].metadata_props}
    assert props == {"onnxforge.module": "m", "pkg.torch.onnx.name_scopes": "['', 'm']"}
    assert {(o.domain, o.version) for o in ex.proto.opset_import} == {("", 17), ("local", 1)}
    assert [f.name for f in ex.proto.functions] == ["Twice"]
    assert ex.outputs == ["t"]
    _check_runs(model, ex)


def test_external_data_weights_are_copied_as_raw_bytes(tmp_path: Path) -> None:
    model = _layers()
    source = tmp_path / "layers.onnx"
    onnx.save_model(model, str(source), save_as_external_data=True, all_tensors_to_one_file=True, location="w.bin",
                    size_threshold=0)
    assert all(t.data_location == TensorProto.EXTERNAL for t in onnx.load(str(source), load_external_data=False).graph.initializer)
    weights = {t.name: numpy_helper.to_array(t) for t in _layers().graph.initializer}
    for given in (load(source), onnx.load(str(source), load_external_data=False)):
        ex = extract_module(given, "layer.1", base_dir=tmp_path)
        full = ex.model
        assert [t.name for t in full.graph.initializer] == ["W1", "i0", "flat"]
        for tensor in full.graph.initializer:
            assert tensor.HasField("raw_data") and not tensor.external_data
            np.testing.assert_array_equal(numpy_helper.to_array(tensor), weights[tensor.name])
        _check_runs(_layers(), ex)
    with pytest.raises(ForgeError, match="'W1' has external data 'w.bin' but the model was not read from a file"):
        extract_module(onnx.load(str(source), load_external_data=False), "layer.1")  # no base_dir: cannot read


def test_typed_field_weights_become_raw_bytes() -> None:
    model = _layers()
    for tensor in model.graph.initializer:  # typed fields, as some exporters write them
        array = numpy_helper.to_array(tensor)
        tensor.ClearField("raw_data")
        (tensor.float_data if array.dtype == np.float32 else tensor.int64_data).extend(array.reshape(-1).tolist())
    ex = extract_module(model, "layer.0")
    for tensor in ex.model.graph.initializer:
        assert tensor.HasField("raw_data") and not tensor.float_data and not tensor.int64_data
    assert ex.tensors[0].raw is not None and ex.tensors[0].nbytes == 64
    _check_runs(model, ex)


def test_constants_of_a_module_are_not_outputs_unless_nothing_else_is() -> None:
    nodes = [
        _node("Constant", [], ["k"], "a", value=numpy_helper.from_array(np.array([2.0, 3.0], np.float32))),
        _node("Mul", ["x", "k"], ["h"], "a"),
        _node("Add", ["h", "k"], ["y"], "b"),  # b reads a's constant: cloned there, not an output of a
        _node("Constant", [], ["j"], "c", value=numpy_helper.from_array(np.array([1.0, 1.0], np.float32))),
        _node("Sub", ["y", "j"], ["z"], "d"),
    ]
    model = _model(nodes, [helper.make_tensor_value_info("x", F, [2])], [helper.make_tensor_value_info("z", F, [2])])
    a = extract_module(model, "a")
    assert a.outputs == ["h"]
    b = extract_module(model, "b")
    assert (b.inputs, b.outputs, b.cloned) == (["h"], ["y"], 1)
    c = extract_module(model, "c")  # nothing but a constant: that is its output
    assert (c.inputs, c.outputs) == ([], ["j"])
    for ex in (a, b, c):
        _check_runs(model, ex)


# --- errors ------------------------------------------------------------------------------------


def test_no_tags_at_all() -> None:
    model = _model([helper.make_node("Relu", ["x"], ["y"])], [helper.make_tensor_value_info("x", F, [2])],
                   [helper.make_tensor_value_info("y", F, [2])])
    with pytest.raises(ForgeError, match="no onnxforge.module tags"):
        extract_module(model, "")


def test_unknown_path_lists_close_paths() -> None:
    with pytest.raises(ForgeError) as err:
        extract_module(_layers(), "layer.7")
    message = str(err.value)
    assert message.startswith("no module 'layer.7' in the model; close: 'layer.0', 'layer.1'")
    assert "\n" not in message


def test_module_inside_subgraphs_only() -> None:
    branch = helper.make_graph([_node("Neg", ["x"], ["t"], "inner")], "b", [], [helper.make_tensor_value_info("t", F, [2])])
    nodes = [_node("If", ["cond"], ["y"], "outer", then_branch=branch, else_branch=branch)]
    model = _model(nodes, [helper.make_tensor_value_info("x", F, [2]), helper.make_tensor_value_info("cond", TensorProto.BOOL, [])],
                   [helper.make_tensor_value_info("y", F, [2])])
    with pytest.raises(ForgeError, match=r"module 'inner' sit inside subgraphs only \(of If node 'If_y' of module 'outer'\)"):
        extract_module(model, "inner")
    assert extract_module(model, "outer").inputs == ["cond", "x"]


def test_module_with_no_outputs() -> None:
    nodes = [_node("Relu", ["x"], ["y"], "used"), _node("Neg", ["x"], ["dead"], "unused")]
    model = _model(nodes, [helper.make_tensor_value_info("x", F, [2])], [helper.make_tensor_value_info("y", F, [2])])
    with pytest.raises(ForgeError, match="'unused': nothing it computes is used outside it"):
        extract_module(model, "unused")


def test_module_counts() -> None:
    counts = {c.path: (c.nodes, c.calls) for c in module_counts(_layers())}
    assert counts[""] == (19, 1)
    assert counts["layer.0"] == (5, 1) and counts["layer.0.dense"] == (1, 1)
    assert counts["layer"] == (11, 0)  # never tagged itself: an ancestor only


# --- the BERT fixture, tagged from the dynamo exporter's name scopes ------------------------------

_NO_MODULE = "_empty_nn_module_stack_from_metadata_hook"


def tag_from_name_scopes(model: onnx.ModelProto) -> onnx.ModelProto:
    """``onnxforge.module`` from ``pkg.torch.onnx.name_scopes`` (the second-to-last entry; none for nodes the
    exporter made outside any module)."""
    for node in model.graph.node:
        scopes = {p.key: p.value for p in node.metadata_props}.get("pkg.torch.onnx.name_scopes")
        entries = ast.literal_eval(scopes) if scopes else []
        if entries and _NO_MODULE not in entries:
            module = entries[-2] if len(entries) >= 2 else ""
            node.metadata_props.append(StringStringEntryProto(key="onnxforge.module", value=module))
    return model


def _tag(node: onnx.NodeProto) -> str:
    return {p.key: p.value for p in node.metadata_props}["onnxforge.module"]


@pytest.fixture(scope="module")
def bert() -> onnx.ModelProto:
    return tag_from_name_scopes(onnx.load(str(FIXTURES / "bert_dynamo.onnx")))


@pytest.mark.parametrize("layer", [0, 1])
def test_bert_layers(bert: onnx.ModelProto, layer: int) -> None:
    path = f"encoder.layer.{layer}"
    ex = extract_module(bert, path)
    assert ex.nodes == {c.path: c.nodes for c in module_counts(bert)}[path] == (32 if layer == 0 else 30)
    assert all(_tag(n).startswith(path + ".") or _tag(n) == path for n in ex.proto.graph.node)  # no clone needed here
    for name in ex.inputs:
        assert not constant_only(bert, name), name
    shapes = {v.name: [d.dim_param or d.dim_value for d in v.type.tensor_type.shape.dim] for v in ex.proto.graph.input}
    hidden = "layer_norm" if layer == 0 else "layer_norm_2"  # the previous block's output
    assert shapes[hidden] == ["batch", "sequence", 32]
    assert shapes["where"] == ["batch", 1, "sequence", "sequence"]  # the additive attention mask, built at the root
    assert ("last_hidden_state" in ex.outputs) == (layer == 1)
    onnx.checker.check_model(ex.model, full_check=True)
    deltas = _check_runs(bert, ex, seed=layer, dims={"batch": 2, "sequence": 5}, atol=1e-6)
    assert deltas and max(deltas.values()) <= 1e-6


# --- real exports ---------------------------------------------------------------------------------


def tag_from_node_names(model: onnx.ModelProto) -> onnx.ModelProto:
    """``onnxforge.module`` from TorchScript node names (``/encoder/layer.0/attention/self/query/MatMul``)."""
    for node in model.graph.node:
        if node.name.startswith("/"):
            module = ".".join(node.name.strip("/").split("/")[:-1])
            node.metadata_props.append(StringStringEntryProto(key="onnxforge.module", value=module))
    return model


def test_bert_torchscript_layer_types_from_inference() -> None:
    """No value_info at all: boundary types come from shape inference; the shape arithmetic the TorchScript
    exporter spells out with Shape/Gather/Unsqueeze/Concat is cloned, so the inputs are the two activations."""
    model = tag_from_node_names(onnx.load(str(FIXTURES / "bert_ts.onnx")))
    assert not model.graph.value_info
    ex = extract_module(model, "encoder.layer.0")
    assert ex.inputs == ["/embeddings/LayerNorm/Add_1_output_0", "/Where_1_output_0"]
    assert ex.outputs == ["/encoder/layer.0/output/LayerNorm/Add_1_output_0"]  # its Constant read by layer.1 is not one
    assert ex.cloned > 10 and {"Shape", "Gather", "Concat"} <= {n.op_type for n in ex.proto.graph.node}
    hidden = ex.proto.graph.input[0].type.tensor_type
    assert hidden.elem_type == F and len(hidden.shape.dim) == 3 and hidden.shape.dim[2].dim_value == 32
    mask = ex.proto.graph.input[1].type.tensor_type
    assert mask.elem_type == F and len(mask.shape.dim) == 4  # onnx inference names the dims of Expand's result unk__N
    _check_runs(model, ex, dims={"batch": 2, "sequence": 5}, atol=1e-6)


HIERARCHY_FIXTURES = sorted((FIXTURES / "hierarchy").glob("*.onnx"))
BLOCK = re.compile(r"(^|\.)(layer|layers|h|block|blocks)\.\d+$")


@pytest.mark.parametrize("fixture", HIERARCHY_FIXTURES, ids=lambda p: p.stem)
def test_tagged_fixture_modules(fixture: Path) -> None:
    """The top-level modules, every numbered block (``encoder.layer.N``, ``h.N``, ``layers.N``) and each call of a
    module called more than once, in each tagged fixture: extracted, its inputs activations, its outputs equal to
    the full model's values there within 1e-6·max(1, max |value|)."""
    model = onnx.load(str(fixture))
    counts = module_counts(model)
    assert counts, f"{fixture.name} has no module tags"
    wanted = [(c.path, None) for c in counts if c.path.count(".") == 0 or BLOCK.search(c.path)]
    wanted += [(c.path, call) for c in counts if c.calls > 1 for call in range(c.calls)]
    for path, call in wanted[:40]:
        ex = extract_module(model, path, call, base_dir=fixture.parent)
        assert ex.outputs, ex.label
        assert not [n for n in ex.inputs if constant_only(model, n)], ex.label
        _check_runs(model, ex, dims={"batch": 2, "sequence": 5}, atol=1e-6)
