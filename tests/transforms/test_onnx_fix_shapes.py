"""``onnx-fix-shapes`` on the committed fixtures: static interfaces, more folding, same outputs, one-line errors.

The fixtures' position tables have 64 rows, so the numeric checks use ``sequence=16`` (a sequence of 128
is no valid input of these models: the original fails on it too). Node counts are upper bounds as
measured (2026-12-07): a pass that stops folding shows up, a better fold elsewhere does not break them.
"""

from __future__ import annotations

from collections import Counter

import numpy as np
import onnx
import pytest
from paths import FIXTURES

from onnxforge.compiler import load_model, optimize, parse_passes, to_ir
from onnxforge.errors import ForgeError
from onnxforge.onnxio.exporter import to_model_proto
from onnxforge.passmanager import Accuracy
from onnxforge.runtime import run, verify
from onnxforge.transforms.onnx_fix_shapes import FixShapesPass, spec_from_flags

TEXT_MODELS = ["bert_ts", "bert_dynamo", "gpt2_dynamo", "llama_dynamo"]
FIX = spec_from_flags([], ["batch=1", "sequence=16"])

CLEANED_NODES = {"bert_ts": 101, "bert_dynamo": 61, "gpt2_dynamo": 81, "llama_dynamo": 127}
"""Nodes after ``onnx-fix-shapes{batch=1, sequence=16}`` then ``cleanup`` (without the fix: 122, 73, 95, 145)."""


def compiled(name: str, spec: str | None, pipeline: str = "cleanup") -> onnx.ModelProto:
    """Fixture ``name`` after ``spec`` (a pass list, or nothing) then ``pipeline``."""
    module = to_ir(load_model(FIXTURES / f"{name}.onnx"))
    if spec:
        optimize(module, passes=spec)
    optimize(module, pipeline)
    return to_model_proto(module)


def shape(info: onnx.ValueInfoProto) -> list[int | str | None]:
    return [d.dim_param if d.HasField("dim_param") else d.dim_value if d.HasField("dim_value") else None
            for d in info.type.tensor_type.shape.dim]


def ops(model: onnx.ModelProto) -> Counter[str]:
    return Counter(n.op_type for n in model.graph.node)


def fix_error(name: str, spec: str) -> str:
    with pytest.raises(ForgeError) as caught:
        compiled(name, spec, "none")
    message = str(caught.value)
    assert "\n" not in message
    return message


# --- the fixed interface and what it folds ---------------------------------------------------------


@pytest.mark.parametrize("name", TEXT_MODELS)
def test_fixing_batch_and_sequence_makes_inputs_and_outputs_static(name: str) -> None:
    model = compiled(name, FIX)
    assert [shape(i) for i in model.graph.input] == [[1, 16], [1, 16]]
    for output in model.graph.output:
        dims = shape(output)
        assert all(isinstance(d, int) for d in dims), (output.name, dims)
        assert dims[0] == 1
    assert shape(model.graph.output[0])[:2] == [1, 16]


@pytest.mark.parametrize("name", TEXT_MODELS)
def test_fixed_shapes_let_the_shape_chains_fold(name: str) -> None:
    plain, fixed = compiled(name, None), compiled(name, FIX)
    assert ops(plain)["Shape"] >= 2 and ops(plain)["Range"] >= 1
    assert ops(fixed)["Shape"] == 0 and ops(fixed)["Range"] == 0
    chain = ("Gather", "Concat", "Unsqueeze", "Expand")
    assert sum(ops(fixed)[k] for k in chain) < sum(ops(plain)[k] for k in chain)
    assert len(fixed.graph.node) <= CLEANED_NODES[name] < len(plain.graph.node)


def test_fixed_model_computes_the_original_on_inputs_of_the_fixed_shape() -> None:
    original = FIXTURES / "gpt2_dynamo.onnx"
    model = compiled("gpt2_dynamo", FIX, "transformer")
    rng = np.random.default_rng(0)
    feeds = {"input_ids": rng.integers(0, 100, (1, 16)).astype(np.int64), "attention_mask": np.ones((1, 16), np.int64)}
    want, got = run(original, feeds), run(model, feeds)
    assert want.keys() == got.keys()
    for key in want:
        np.testing.assert_allclose(got[key], want[key], atol=Accuracy.FLOAT_BOUNDED.tolerance, rtol=1e-5)
    with pytest.raises(ForgeError, match="onnxruntime failed"):  # the interface is static: batch 2 is refused
        run(model, {k: np.concatenate([v, v]) for k, v in feeds.items()})


@pytest.mark.parametrize("name", TEXT_MODELS)
def test_verify_feeds_both_models_the_fixed_shapes(name: str) -> None:
    report = verify(FIXTURES / f"{name}.onnx", compiled(name, FIX, "transformer"))
    assert report.dims == {"batch": 1, "sequence": 16}
    assert report.edge_bindings == []  # no free dim left to try 0 and 1 on
    assert report.meets(Accuracy.FLOAT_BOUNDED), report.summary()


def test_verify_binds_only_the_fixed_dim_and_tries_edges_on_the_free_one() -> None:
    report = verify(FIXTURES / "bert_dynamo.onnx", compiled("bert_dynamo", spec_from_flags([], ["batch=2"])))
    assert report.dims["batch"] == 2
    assert report.edge_bindings == ["sequence=1"] and report.skipped_bindings[0].startswith("sequence=0")
    assert report.meets(Accuracy.FLOAT_BOUNDED), report.summary()


def test_verify_refuses_a_binding_the_result_contradicts() -> None:
    with pytest.raises(ForgeError, match="fixes batch=1, the binding asked for is batch=4"):
        verify(FIXTURES / "bert_dynamo.onnx", compiled("bert_dynamo", FIX), dims={"batch": 4})


def test_input_shape_on_a_vision_model() -> None:
    spec = spec_from_flags(["pixel_values=1,3,32,32"], [])
    model = compiled("mobilenet_v2_ts", spec, "vision")
    assert shape(model.graph.input[0]) == [1, 3, 32, 32]
    assert [shape(o) for o in model.graph.output] == [[1, 320, 1, 1], [1, 320]]
    report = verify(FIXTURES / "mobilenet_v2_ts.onnx", model)
    assert report.dims == {"batch": 1} and report.meets(Accuracy.FLOAT_BOUNDED), report.summary()


def test_a_wrongly_named_output_dim_takes_the_inferred_size() -> None:
    # mobilenet_v2_ts declares last_hidden_state [batch, 320, batch, ?]: its dim 2 is always 1, not the batch.
    model = compiled("mobilenet_v2_ts", spec_from_flags(["pixel_values=4,3,32,32"], []), "none")
    assert shape(model.graph.output[0])[:3] == [4, 320, 1]
    assert shape(model.graph.output[1]) == [4, 320]


def test_renaming_a_symbol_keeps_the_model_dynamic() -> None:
    model = compiled("bert_dynamo", spec_from_flags(["input_ids=N,128"], []))
    assert [shape(i) for i in model.graph.input] == [["N", 128], ["N", 128]]
    assert shape(model.graph.output[1]) == ["N", 32]


def test_no_options_change_nothing() -> None:
    for name in ("bert_ts", "mobilenet_v2_ts"):
        assert compiled(name, "onnx-fix-shapes", "none") == compiled(name, None, "none")
    module = to_ir(load_model(FIXTURES / "bert_dynamo.onnx"))
    assert not optimize(module, passes="onnx-fix-shapes").records["onnx-fix-shapes"].changed


def test_size_zero_is_allowed_with_a_warning() -> None:
    module = to_ir(load_model(FIXTURES / "bert_dynamo.onnx"))
    report = optimize(module, passes=spec_from_flags([], ["batch=0"]))
    assert any("size 0 for batch" in w for w in report.state.warnings)
    assert [shape(i) for i in to_model_proto(module).graph.input] == [[0, "sequence"], [0, "sequence"]]


# --- the spec the CLI builds -----------------------------------------------------------------------


def test_spec_from_flags_round_trips_through_the_pass_parser() -> None:
    spec = spec_from_flags(["input_ids=1,128", 'odd"name=1,n', "scalar="], ["batch=1", "sequence=s"])
    assert spec == ('onnx-fix-shapes{input-shapes="input_ids=1,128","odd\\"name=1,n","scalar=" '
                    'dims="batch=1","sequence=s"}')
    (parsed,) = parse_passes(spec)
    assert parsed == FixShapesPass(input_shapes=("input_ids=1,128", 'odd"name=1,n', "scalar="),
                                   dims=("batch=1", "sequence=s"))
    assert spec_from_flags([], []) == ""
    assert parse_passes(spec_from_flags(["x=1"], []))[0].input_shapes == ("x=1",)  # one value is still a tuple


@pytest.mark.parametrize(("shapes", "dims", "expected"), [
    (["input_ids"], [], "--input-shape expects NAME=D0,D1,..."),
    (["=1,2"], [], "--input-shape expects NAME=D0,D1,..."),
    (["input_ids=1,,2"], [], "empty dim"),
    (["input_ids=1,-1"], [], "dim -1 is negative"),
    (["input_ids=1,?"], [], "'?' is neither a size nor a dim name"),
    (["input_ids=1,2*n"], [], "'2*n' is neither a size nor a dim name"),
    ([], ["batch"], "--fix-dim expects SYMBOL=VALUE"),
    ([], ["batch="], "--fix-dim expects SYMBOL=VALUE"),
    ([], ["batch=-2"], "dim -2 is negative"),
    ([], ["batch=1,sequence"], "--fix-dim expects SYMBOL=VALUE"),
])
def test_bad_flag_syntax_is_one_line(shapes: list[str], dims: list[str], expected: str) -> None:
    with pytest.raises(ForgeError) as caught:
        spec_from_flags(shapes, dims)
    assert expected in str(caught.value) and "\n" not in str(caught.value)


# --- errors the model decides ----------------------------------------------------------------------


@pytest.mark.parametrize(("name", "shapes", "dims", "expected"), [
    ("bert_ts", ["input_id=1,16"], [],
     "onnx-fix-shapes: the graph has no input named 'input_id' (inputs: input_ids, attention_mask)"),
    ("bert_ts", ["input_ids=1,16", "input_ids=1,16"], [], "input 'input_ids' is given two shapes"),
    ("bert_ts", ["input_ids=1,16,32"], [], "input 'input_ids' has rank 2 ([batch, sequence]); the shape given has 3 dims"),
    ("mobilenet_v2_ts", ["pixel_values=1,3,64,64"], [], "input 'pixel_values' dim 2 is declared 32; it cannot become 64"),
    ("mobilenet_v2_ts", ["pixel_values=1,c,32,32"], [], "dim 1 is declared 3; it cannot become 'c'"),
    ("bert_ts", [], ["bacth=1"], "no graph input has a dim named 'bacth' (input dims: batch, sequence)"),
    ("bert_ts", ["input_ids=1,16", "attention_mask=2,16"], [],
     "dim 'batch' is given two values: 1 (input 'input_ids') and 2 (input 'attention_mask')"),
    ("bert_ts", ["input_ids=1,16"], ["sequence=32"], "dim 'sequence' is given two values: 16 (input 'input_ids') and 32 (dims)"),
    ("bert_ts", [], ["batch=sequence", "sequence=batch"], "form a cycle"),
])
def test_model_errors_are_one_line(name: str, shapes: list[str], dims: list[str], expected: str) -> None:
    assert expected in fix_error(name, spec_from_flags(shapes, dims))


def test_dims_may_be_joined_by_commas_as_cost_annotate_takes_them() -> None:
    joined = compiled("bert_dynamo", 'onnx-fix-shapes{dims="batch=1,sequence=16"}')
    assert joined == compiled("bert_dynamo", FIX)
    assert spec_from_flags([], ["batch=1,sequence=16"]) == 'onnx-fix-shapes{dims="batch=1,sequence=16"}'


def test_pass_options_are_checked_like_the_flags() -> None:
    message = fix_error("bert_ts", 'onnx-fix-shapes{dims="batch=-1"}')
    assert message.startswith("onnx-fix-shapes: dims 'batch=-1': dim -1 is negative")


def test_a_second_run_of_the_same_dims_fails_the_symbol_being_gone() -> None:
    spec = spec_from_flags([], ["batch=1"])
    message = fix_error("bert_dynamo", f"{spec},{spec}")
    assert "no graph input has a dim named 'batch' (input dims: sequence)" in message
