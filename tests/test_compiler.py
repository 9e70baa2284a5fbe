"""The Python API: ``onnxforge.compile(model_proto | path) -> ModelProto``.

Contracts: the result passes the full ONNX checker; with the ``none`` pipeline
it keeps every user-visible part of the model (graph input/output names and
types with their symbolic dims, initializer names and bytes, node names and
doc strings, metadata, producer fields, opset imports, value_info, functions,
subgraphs, the IR version); it runs bit-identically in onnxruntime; the input
ModelProto is never modified; bad requests raise ``onnxforge.ForgeError``.
"""

from __future__ import annotations

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from google.protobuf.message import Message
from onnx import TensorProto, checker, helper, numpy_helper
from paths import FIXTURES

import onnxforge
from onnxforge.onnxio.hierarchy import tag_model
from onnxforge.runtime import verify

F = TensorProto.FLOAT


# --- helpers ------------------------------------------------------------------


def _clear_defaults(message: Message) -> None:
    for field, value in message.ListFields():
        if field.is_repeated:
            if field.message_type is not None:
                for item in value:
                    _clear_defaults(item)
        elif field.message_type is not None:
            _clear_defaults(value)
        elif value == field.default_value:
            message.ClearField(field.name)


def _canon(message: Message) -> bytes:
    """Serialized form that ignores explicitly-set empty fields (``name: ""`` and the like)."""
    copy = type(message)()
    copy.CopyFrom(message)
    _clear_defaults(copy)
    return copy.SerializeToString(deterministic=True)


def _value_infos(values) -> list[tuple[str, bytes]]:  # type: ignore[no-untyped-def]
    return [(v.name, v.type.SerializeToString(deterministic=True)) for v in values]


def _run(model: onnx.ModelProto, feeds: dict[str, np.ndarray]) -> list[np.ndarray]:
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    return session.run(None, feeds)


def _assert_same_outputs(original: onnx.ModelProto, compiled: onnx.ModelProto, feeds: dict[str, np.ndarray]) -> None:
    want, got = _run(original, feeds), _run(compiled, feeds)
    assert len(want) == len(got)
    for a, b in zip(want, got):
        assert a.dtype == b.dtype and a.shape == b.shape
        assert a.tobytes() == b.tobytes()


def _compile_checked(model: onnx.ModelProto) -> onnx.ModelProto:
    """compile() a checker-valid ModelProto; assert it is left unmodified and the result is checker-valid."""
    checker.check_model(model, full_check=True)
    before = model.SerializeToString()
    out = onnxforge.compile(model, pipeline="none")
    assert model.SerializeToString() == before, "compile() modified its input ModelProto"
    assert isinstance(out, onnx.ModelProto)
    checker.check_model(out, full_check=True)
    return out


# --- real models ------------------------------------------------------------------


@pytest.mark.parametrize("source", ["proto", "path"])
@pytest.mark.parametrize("fixture", ["resnet_ts", "bert_dynamo"])
def test_compile_real_model_keeps_interface(fixture: str, source: str) -> None:
    """compile(proto) and compile(path) of a real model keep its interface, weights, names and versions."""
    path = FIXTURES / f"{fixture}.onnx"
    original = onnx.load(path)
    before = original.SerializeToString()
    file_bytes, file_mtime = path.read_bytes(), path.stat().st_mtime_ns

    out = onnxforge.compile(original if source == "proto" else path, pipeline="none")

    assert original.SerializeToString() == before
    assert path.read_bytes() == file_bytes and path.stat().st_mtime_ns == file_mtime
    checker.check_model(out, full_check=True)
    assert _value_infos(out.graph.input) == _value_infos(original.graph.input)
    assert _value_infos(out.graph.output) == _value_infos(original.graph.output)
    assert any(d.dim_param for v in out.graph.input for d in v.type.tensor_type.shape.dim), "fixture has symbolic dims"
    assert [(t.name, numpy_helper.to_array(t).tobytes()) for t in out.graph.initializer] == [
        (t.name, numpy_helper.to_array(t).tobytes()) for t in original.graph.initializer
    ]
    assert [n.name for n in out.graph.node] == [n.name for n in original.graph.node]
    assert [n.doc_string for n in out.graph.node] == [n.doc_string for n in original.graph.node]
    tagged = onnx.load(path)  # the import writes the module tags (onnxio.hierarchy) and changes nothing else
    tag_model(tagged)
    assert [_canon(n) for n in out.graph.node] == [_canon(n) for n in tagged.graph.node]
    assert dict(_value_infos(out.graph.value_info)) == dict(_value_infos(original.graph.value_info))
    assert {o.domain: o.version for o in out.opset_import} == {o.domain: o.version for o in original.opset_import}
    assert (out.ir_version, out.producer_name, out.producer_version) == (
        original.ir_version, original.producer_name, original.producer_version)
    report = verify(original, out)
    assert report.identical, report.summary()


# --- a model with every kind of metadata -------------------------------------------


def _rich_model() -> onnx.ModelProto:
    """A model with doc strings, metadata, producer fields, value_info, symbolic and unknown dims, two opsets."""
    dims = ["batch", "seq", None]
    nodes = [
        helper.make_node("MatMul", ["x", "w"], ["h"], name="mm", doc_string="project"),
        helper.make_node("Add", ["h", "b"], ["h2"], name="add", doc_string="bias"),
        helper.make_node("Gelu", ["h2"], ["h3"], name="gelu", domain="com.microsoft"),
        helper.make_node("Relu", ["h3"], ["y"], name="relu"),
    ]
    nodes[0].metadata_props.add(key="origin", value="layer0")
    rng = np.random.default_rng(0)
    graph = helper.make_graph(
        nodes, "main",
        [helper.make_tensor_value_info("x", F, [*dims, 4])],
        [helper.make_tensor_value_info("y", F, [*dims, 8])],
        [numpy_helper.from_array(rng.standard_normal((4, 8)).astype(np.float32), "w"),
         numpy_helper.from_array(rng.standard_normal(8).astype(np.float32), "b")],
        doc_string="the main graph",
        value_info=[helper.make_tensor_value_info(n, F, [*dims, 8]) for n in ("h", "h2")],
    )
    model = helper.make_model(
        graph, opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid("com.microsoft", 1)], ir_version=8,
        producer_name="unit-test", producer_version="1.2.3", domain="org.example", model_version=42,
        doc_string="a rich model",
    )
    helper.set_model_props(model, {"author": "tests", "license": "MIT"})
    return model


def test_compile_keeps_all_metadata() -> None:
    """Doc strings, metadata_props, producer fields, value_info and symbolic dims survive compile()."""
    model = _rich_model()

    out = _compile_checked(model)

    assert [(p.key, p.value) for p in out.metadata_props] == [("author", "tests"), ("license", "MIT")]
    assert (out.producer_name, out.producer_version, out.domain, out.model_version, out.doc_string) == (
        "unit-test", "1.2.3", "org.example", 42, "a rich model")
    assert (out.graph.name, out.graph.doc_string) == ("main", "the main graph")
    assert _value_infos(out.graph.input) == _value_infos(model.graph.input)
    assert _value_infos(out.graph.output) == _value_infos(model.graph.output)
    assert [d.dim_param for d in out.graph.input[0].type.tensor_type.shape.dim] == ["batch", "seq", "", ""]
    assert dict(_value_infos(out.graph.value_info)) == dict(_value_infos(model.graph.value_info))
    assert [(n.name, n.doc_string) for n in out.graph.node] == [("mm", "project"), ("add", "bias"), ("gelu", ""),
                                                                ("relu", "")]
    assert [(p.key, p.value) for p in out.graph.node[0].metadata_props] == [("origin", "layer0")]
    assert {o.domain: o.version for o in out.opset_import} == {"": 17, "com.microsoft": 1}
    assert [_canon(n) for n in out.graph.node] == [_canon(n) for n in model.graph.node]
    report = verify(model, out)
    assert report.identical, report.summary()


def test_compile_keeps_input_doc_string() -> None:
    """A graph input's doc_string is part of the model's interface and survives compile()."""
    model = _rich_model()
    model.graph.input[0].doc_string = "token embeddings"
    model.graph.output[0].doc_string = "activations"

    out = _compile_checked(model)

    assert (out.graph.input[0].doc_string, out.graph.output[0].doc_string) == ("token embeddings", "activations")


@pytest.mark.parametrize(("ir_version", "opset"), [(7, 13), (8, 17), (9, 17)])
def test_ir_version_is_the_inputs(ir_version: int, opset: int) -> None:
    """The exported ir_version is the input's (valid for its opsets), not onnx's newest default."""
    model = _rich_model()
    model.ir_version = ir_version
    model.opset_import[0].version = opset
    assert model.opset_import[0].domain == "" and onnx.IR_VERSION > ir_version

    out = _compile_checked(model)

    assert out.ir_version == ir_version


# --- functions and subgraphs ---------------------------------------------------------


def test_model_local_function_round_trips() -> None:
    """A FunctionProto (local.AddRelu) and its call survive unchanged and run bit-identically."""
    function = helper.make_function(
        "local", "AddRelu", ["a", "b"], ["c"],
        [helper.make_node("Add", ["a", "b"], ["s"]), helper.make_node("Relu", ["s"], ["c"])],
        [helper.make_opsetid("", 17)],
    )
    graph = helper.make_graph(
        [helper.make_node("AddRelu", ["x", "z"], ["y"], domain="local", name="call")], "g",
        [helper.make_tensor_value_info("x", F, ["n", 3]), helper.make_tensor_value_info("z", F, ["n", 3])],
        [helper.make_tensor_value_info("y", F, ["n", 3])],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid("local", 1)],
                              functions=[function], ir_version=8)

    out = _compile_checked(model)

    assert len(out.functions) == 1
    assert _canon(out.functions[0]) == _canon(function)
    assert _canon(out.graph.node[0]) == _canon(model.graph.node[0])
    rng = np.random.default_rng(0)
    feeds = {"x": rng.standard_normal((4, 3)).astype(np.float32), "z": rng.standard_normal((4, 3)).astype(np.float32)}
    _assert_same_outputs(model, out, feeds)


def test_if_with_outer_scope_references() -> None:
    """An If whose branches read an outer input and an outer initializer round-trips; both branches run identically."""
    then_branch = helper.make_graph([helper.make_node("Add", ["x", "w"], ["t"], name="then_add")], "then", [],
                                    [helper.make_tensor_value_info("t", F, [2])])
    else_branch = helper.make_graph([helper.make_node("Mul", ["x", "w"], ["e"], name="else_mul")], "else", [],
                                    [helper.make_tensor_value_info("e", F, [2])])
    graph = helper.make_graph(
        [helper.make_node("If", ["c"], ["y"], name="if", then_branch=then_branch, else_branch=else_branch)], "g",
        [helper.make_tensor_value_info("x", F, [2]), helper.make_tensor_value_info("c", TensorProto.BOOL, [])],
        [helper.make_tensor_value_info("y", F, [2])],
        [numpy_helper.from_array(np.array([3.0, 4.0], np.float32), "w")],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)

    out = _compile_checked(model)

    assert _canon(out.graph.node[0]) == _canon(model.graph.node[0])
    x = np.array([1.5, -2.0], np.float32)
    for cond in (True, False):
        _assert_same_outputs(model, out, {"x": x, "c": np.array(cond)})
    assert _run(out, {"x": x, "c": np.array(True)})[0].tolist() == [4.5, 2.0]
    assert _run(out, {"x": x, "c": np.array(False)})[0].tolist() == [4.5, -8.0]


def test_loop_round_trips_and_runs() -> None:
    """A Loop with a carried value, a scan output and an outer-scope read round-trips and runs identically."""
    body = helper.make_graph(
        [
            helper.make_node("Identity", ["cond_in"], ["cond_out"]),
            helper.make_node("Add", ["acc_in", "step"], ["acc_out"]),
            helper.make_node("Identity", ["acc_out"], ["scan_out"]),
        ],
        "body",
        [helper.make_tensor_value_info("iter", TensorProto.INT64, []),
         helper.make_tensor_value_info("cond_in", TensorProto.BOOL, []),
         helper.make_tensor_value_info("acc_in", F, [2])],
        [helper.make_tensor_value_info("cond_out", TensorProto.BOOL, []),
         helper.make_tensor_value_info("acc_out", F, [2]),
         helper.make_tensor_value_info("scan_out", F, [2])],
    )
    graph = helper.make_graph(
        [helper.make_node("Loop", ["trip", "", "init"], ["final", "scans"], name="loop", body=body)], "g",
        [helper.make_tensor_value_info("trip", TensorProto.INT64, []),
         helper.make_tensor_value_info("init", F, [2]),
         helper.make_tensor_value_info("step", F, [2])],
        [helper.make_tensor_value_info("final", F, [2]), helper.make_tensor_value_info("scans", F, ["k", 2])],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)

    out = _compile_checked(model)

    assert _canon(out.graph.node[0]) == _canon(model.graph.node[0])
    feeds = {"trip": np.array(4, np.int64), "init": np.array([1.0, 2.0], np.float32),
             "step": np.array([0.5, 0.25], np.float32)}
    _assert_same_outputs(model, out, feeds)
    final, scans = _run(out, feeds)
    assert final.tolist() == [3.0, 3.0] and scans.shape == (4, 2)


# --- errors ------------------------------------------------------------------------


@pytest.mark.parametrize("source", ["proto", "path"])
def test_unknown_pipeline_is_forge_error(source: str) -> None:
    """An unknown pipeline name raises ForgeError naming it."""
    path = FIXTURES / "resnet_ts.onnx"
    with pytest.raises(onnxforge.ForgeError, match="no-such-pipeline"):
        onnxforge.compile(onnx.load(path) if source == "proto" else path, pipeline="no-such-pipeline")


def test_bad_model_proto_is_forge_error() -> None:
    """A ModelProto with a dangling reference raises a one-line ForgeError (not another exception type)."""
    graph = helper.make_graph([helper.make_node("Add", ["x", "ghost"], ["y"])], "g",
                              [helper.make_tensor_value_info("x", F, [2])],
                              [helper.make_tensor_value_info("y", F, [2])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)
    before = model.SerializeToString()

    with pytest.raises(onnxforge.ForgeError) as info:
        onnxforge.compile(model, pipeline="none")

    assert "ghost" in str(info.value) and "dangling" in str(info.value) and "\n" not in str(info.value)
    assert model.SerializeToString() == before


# --- known bugs ----------------------------------------------------------------------


def test_initializer_that_is_also_an_input_keeps_its_name() -> None:
    """An input with an initializer default keeps both under the same name and the same behaviour."""
    graph = helper.make_graph(
        [helper.make_node("Add", ["x", "w"], ["y"])], "g",
        [helper.make_tensor_value_info("x", F, [2]), helper.make_tensor_value_info("w", F, [2])],
        [helper.make_tensor_value_info("y", F, [2])],
        [numpy_helper.from_array(np.array([1.0, -2.0], np.float32), "w")],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], ir_version=7)

    out = _compile_checked(model)

    assert [t.name for t in out.graph.initializer] == ["w"]
    _assert_same_outputs(model, out, {"x": np.array([0.5, 0.5], np.float32)})


def test_sparse_initializer_round_trips() -> None:
    """A sparse_initializer (checker-valid, onnxruntime runs it) survives compile() and runs identically."""
    sparse = helper.make_sparse_tensor(numpy_helper.from_array(np.array([5.0], np.float32), "s"),
                                       numpy_helper.from_array(np.array([1], np.int64), "s_idx"), [2])
    graph = helper.make_graph(
        [helper.make_node("Add", ["x", "s"], ["y"])], "g",
        [helper.make_tensor_value_info("x", F, [2])], [helper.make_tensor_value_info("y", F, [2])],
        sparse_initializer=[sparse],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)
    checker.check_model(model)  # (full_check's shape inference cannot type Add on a sparse tensor)
    before = model.SerializeToString()

    out = onnxforge.compile(model)

    assert model.SerializeToString() == before
    assert len(out.graph.sparse_initializer) == 1 and _canon(out.graph.sparse_initializer[0]) == _canon(sparse)
    _assert_same_outputs(model, out, {"x": np.array([1.0, 1.0], np.float32)})
