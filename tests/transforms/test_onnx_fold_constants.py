"""``onnx-fold-constants`` against onnxruntime: committed fixtures and the ONNX node test suite.

The pass is accuracy class 1 (float-bounded, 1e-4), but every fixture measured bit-identical,
so bit-identity is asserted where it was observed and a regression fails. Node counts after
folding are asserted at the level measured (TorchScript exports lose their Constant nodes and
pre-transpose their weights; dynamo exports arrive already folded).

Node suite: every case onnxruntime runs correctly as given must still pass within the case's
own rtol/atol after folding (and the onnx checker, if the original passed it). As given, few cases have anything constant, so each case also
runs *baked*: its first data set's inputs become initializers, the pass (with a cap large
enough to fold everything) evaluates the whole graph, and onnxruntime runs what is left,
compared with the case's expected outputs.
"""

from __future__ import annotations

import numpy as np
import onnx
import pytest
from node_cases import CASES, checker_passes, matches, original_runs, run, runs_as_given
from paths import FIXTURES

import onnxforge
from onnxforge import runtime as forge_ort
from onnxforge.compiler import load_model, optimize, to_ir
from onnxforge.onnxio.exporter import to_model_proto
from onnxforge.onnxio.hierarchy import tag_model
from onnxforge.transforms._folding_eval import SLOW_OPS

PASS = "onnx-fold-constants"

# file → (nodes before, nodes after folding as measured)
NODES = {
    "bert_ts.onnx": (376, 222),
    "bert_dynamo.onnx": (99, 99),
    "gpt2_ts.onnx": (584, 333),
    "gpt2_dynamo.onnx": (113, 113),
    "llama_ts.onnx": (627, 363),
    "llama_dynamo.onnx": (164, 164),
    "mobilenet_v2_ts.onnx": (1608, 203),
    "mobilenet_v2_dynamo.onnx": (99, 99),
    "resnet_ts.onnx": (51, 27),
    "resnet_dynamo.onnx": (19, 19),
    "vit_ts.onnx": (279, 165),
    "vit_dynamo.onnx": (75, 75),
    "whisper_encoder_ts.onnx": (263, 149),
    "whisper_encoder_dynamo.onnx": (63, 63),
}


def test_every_fixture_is_listed() -> None:
    assert sorted(p.name for p in FIXTURES.glob("*.onnx")) == sorted(NODES)


@pytest.mark.parametrize("name", sorted(NODES))
def test_fixture_folds_bit_identically(name: str) -> None:
    path = FIXTURES / name
    original = onnx.load(path)
    result = onnxforge.compile(path, passes=PASS)
    before, after = NODES[name]
    assert len(original.graph.node) == before
    assert len(result.graph.node) <= after, "folding got weaker"
    if after < before:
        assert not any(n.op_type == "Constant" for n in result.graph.node)
    for seed in (0, 1):
        report = forge_ort.verify(original, result, seed=seed)
        assert report.within(1e-5), report.summary()
        assert report.identical, f"was bit-identical when measured: {report.summary()}"


@pytest.mark.parametrize("name", ["bert_ts.onnx", "mobilenet_v2_ts.onnx"])
def test_fixture_second_run_changes_nothing(name: str) -> None:
    module = to_ir(load_model(FIXTURES / name))
    assert optimize(module, passes=PASS).changed()
    assert not optimize(module, passes=PASS).changed()


def test_model_size_does_not_grow() -> None:
    """The size rule: folded initializers take no more bytes than the constants they replace
    (plus at most max-bytes each for small results)."""
    path = FIXTURES / "bert_ts.onnx"
    original, result = onnx.load(path), onnxforge.compile(path, passes=PASS)
    tag_model(original)  # the import adds the module tags to every node; the fold must add nothing more
    assert result.ByteSize() <= original.ByteSize()


# --- the ONNX node test suite ---------------------------------------------------------

NOT_EVALUATED = {"Scatter", "GroupNormalization", "MeanVarianceNormalization"} | SLOW_OPS
"""Default-domain ops the pass may leave as they are in the suite: the reference evaluator has no
Scatter (deprecated), strict shape inference gives no result type for the next two, and the
slow ops are evaluated only on small inputs."""


def _baked(case) -> onnx.ModelProto | None:  # type: ignore[no-untyped-def]
    """The case's model with its first data set's inputs as initializers (None if they are not tensors)."""
    model = onnx.ModelProto()
    model.CopyFrom(case.model)
    initializers = {t.name for t in model.graph.initializer}
    inputs = [i for i in model.graph.input if i.name not in initializers]
    data = case.data_sets[0][0]
    if len(data) != len(inputs) or not all(isinstance(d, np.ndarray) for d in data):
        return None
    kept = [i for i in model.graph.input if i.name in initializers]
    del model.graph.input[:]
    model.graph.input.extend(kept)
    model.graph.initializer.extend(onnx.numpy_helper.from_array(d, i.name) for i, d in zip(inputs, data))
    return model


def _should_fold_fully(model: onnx.ModelProto) -> bool:
    """Whether the pass is expected to fold a baked case to nothing (Identity nodes aside)."""
    if model.ir_version < 4:
        return False  # initializers must be graph inputs there; the pass leaves such models alone
    for node in model.graph.node:
        if node.domain not in ("", "ai.onnx") or node.op_type in NOT_EVALUATED:
            return False
        if any(a.type in (onnx.AttributeProto.GRAPH, onnx.AttributeProto.GRAPHS) for a in node.attribute):
            return False
    for value in [*model.graph.output, *model.graph.value_info]:
        if value.type.WhichOneof("value") != "tensor_type":
            return False
        if value.type.tensor_type.elem_type == onnx.TensorProto.STRING:
            return False
    return not any(t.data_type == onnx.TensorProto.STRING for t in model.graph.initializer)


def _fold(model: onnx.ModelProto, passes: str) -> tuple[onnx.ModelProto, bool]:
    module = to_ir(load_model(model))
    changed = optimize(module, passes=passes).changed()
    return to_model_proto(module), changed


def _has_constants(model: onnx.ModelProto) -> bool:
    """Whether the pass has anything to start from (else it provably changes nothing)."""
    inputs = {i.name for i in model.graph.input}
    if any(n.op_type == "Constant" for n in model.graph.node):
        return True
    return any(t.name not in inputs for t in model.graph.initializer)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_node_case_after_folding(case) -> None:  # type: ignore[no-untyped-def]
    runs = original_runs(case)
    if runs is None:
        pytest.skip("onnxruntime does not run this case correctly as given")
    if _has_constants(case.model):
        result, changed = _fold(case.model, PASS)
        if changed:
            if checker_passes(case.model):
                onnx.checker.check_model(result, full_check=True)
            for feed, _, expected in runs:
                assert matches(expected, run(result, feed), case.rtol, case.atol), "folding changed the outputs"
    baked = _baked(case)
    if baked is None:
        return  # inputs that are not tensors
    result, _ = _fold(baked, f"{PASS}{{max-bytes=100000000}}")
    expected = case.data_sets[0][1]
    try:
        ok = matches(expected, run(result, {}), case.rtol, case.atol)
    except Exception:
        ok = False
    if not ok and runs_as_given(case, baked, case.data_sets[:1]) is not None:
        pytest.fail("baked: onnxruntime runs the baked model correctly, but not after folding")
    if ok and _should_fold_fully(baked):
        left = sorted({n.op_type for n in result.graph.node} - {"Identity"})
        assert not left, f"baked: ops left unfolded: {left}"


# --- results are sized before they are evaluated (issue 13) --------------------------------------

F32, I64 = onnx.TensorProto.FLOAT, onnx.TensorProto.INT64


def _constant_model(op: str, inputs: dict[str, np.ndarray], **attrs) -> onnx.ModelProto:  # type: ignore[no-untyped-def]
    """One ``op`` on initializers, its result the graph output."""
    from onnx import helper, numpy_helper

    node = helper.make_node(op, list(inputs), ["y"], **attrs)
    graph = helper.make_graph([node], "g", [], [onnx.ValueInfoProto(name="y")],
                              [numpy_helper.from_array(v, k) for k, v in inputs.items()])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)], ir_version=9)


def _f32(*shape: int) -> np.ndarray:
    return np.ones(shape, np.float32)


BIG_RESULTS = {
    # each makes ≥ 100 MB from a few bytes or kilobytes; the pass used to compute it, then drop it
    "Pad": {"x": _f32(1), "p": np.array([0, 30_000_000], np.int64)},
    "OneHot": {"i": np.zeros(1000, np.int64), "d": np.array(100_000, np.int64), "v": np.array([0, 1], np.float32)},
    "Add": {"a": _f32(6000, 1), "b": _f32(1, 6000)},
    "Sum": {"a": _f32(6000, 1), "b": _f32(1, 6000)},
    "Where": {"c": np.ones((6000, 1), bool), "a": _f32(1, 6000), "b": _f32(1)},
    "MatMul": {"a": _f32(6000, 1), "b": _f32(1, 6000)},
    "Expand": {"x": _f32(1), "s": np.array([6000, 6000], np.int64)},
    "Tile": {"x": _f32(1, 1), "r": np.array([6000, 6000], np.int64)},
    "ConstantOfShape": {"s": np.array([6000, 6000], np.int64)},
    "Range": {"a": np.array(0, np.int64), "b": np.array(40_000_000, np.int64), "c": np.array(1, np.int64)},
}


@pytest.mark.parametrize("op", sorted(BIG_RESULTS))
def test_big_result_is_refused_before_evaluation(op: str) -> None:
    """The size rule is applied to an estimate, never to the evaluated result: peak memory stays far
    below the result's size, and the op stays."""
    import tracemalloc

    model = _constant_model(op, BIG_RESULTS[op])
    module = to_ir(load_model(model))
    tracemalloc.start()
    try:
        report = optimize(module, passes=PASS)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 40 * 2**20, f"{op}: {peak / 2**20:.0f} MB allocated while folding"
    assert report.state.statistics[f"{PASS}/not folded: result too big ({op})"] == 1
    assert [n.op_type for n in to_model_proto(module).graph.node] == [op]


def test_small_results_of_the_same_ops_still_fold() -> None:
    small = {
        "Pad": {"x": _f32(1), "p": np.array([0, 3], np.int64)},
        "OneHot": {"i": np.array([0, 2], np.int64), "d": np.array(3, np.int64), "v": np.array([0, 1], np.float32)},
        "Add": {"a": _f32(4, 1), "b": _f32(1, 4)},
        "Range": {"a": np.array(0, np.int64), "b": np.array(10, np.int64), "c": np.array(3, np.int64)},
    }
    for op, inputs in small.items():
        model = _constant_model(op, inputs)
        result = onnxforge.compile(model, passes=PASS)
        assert [n.op_type for n in result.graph.node] == ["Identity"], op
        expected = forge_ort.run(model, {})["y"]
        assert np.array_equal(forge_ort.run(result, {})["y"], expected), op


# --- integer arithmetic as onnxruntime computes it (issue 13) -------------------------------------


def _run_fed(model: onnx.ModelProto, inputs: dict[str, np.ndarray]) -> np.ndarray:
    """``model`` with its initializers fed as graph inputs, on onnxruntime (no graph optimizations)."""
    from onnx import helper

    fed = onnx.ModelProto()
    fed.CopyFrom(model)
    del fed.graph.initializer[:]
    fed.graph.input.extend(helper.make_tensor_value_info(k, helper.np_dtype_to_tensor_dtype(v.dtype), v.shape)
                           for k, v in inputs.items())
    return forge_ort.run(fed, inputs)["y"]


INT_CASES = [
    # (op, attrs, a, b): truncation toward zero, INT_MIN / -1 wrapping, remainder signs
    ("Div", {}, np.array([-128, -128, -7, 7, 127], np.int8), np.array([-1, 3, 2, -2, -1], np.int8)),
    ("Div", {}, np.array([-32768, -32767, -7], np.int16), np.array([-1, 2, 2], np.int16)),
    ("Div", {}, np.array([-2**31, -2**31 + 1, -7], np.int32), np.array([2, 3, -2], np.int32)),
    ("Div", {}, np.array([250, 7], np.uint8), np.array([3, 2], np.uint8)),
    ("Mod", {"fmod": 1}, np.array([-7, 7, -7, 7, -128], np.int8), np.array([2, -2, -2, 2, 3], np.int8)),
    ("Mod", {"fmod": 1}, np.array([-7, 7, -7, 7], np.int64), np.array([2, -2, -2, 2], np.int64)),
    ("Mod", {"fmod": 0}, np.array([-7, 7, -7, 7], np.int32), np.array([2, -2, -2, 2], np.int32)),
    ("Mod", {"fmod": 1}, np.array([-7.5, 7.5, -7.5], np.float32), np.array([2, -2, -2], np.float32)),
]


@pytest.mark.parametrize("case", INT_CASES, ids=[f"{c[0]}-{c[1]}-{c[2].dtype}" for c in INT_CASES])
def test_integer_division_and_modulo_fold_as_onnxruntime_runs_them(case) -> None:  # type: ignore[no-untyped-def]
    op, attrs, a, b = case
    model = _constant_model(op, {"a": a, "b": b}, **attrs)
    result = onnxforge.compile(model, passes=PASS)
    assert [n.op_type for n in result.graph.node] == ["Identity"]
    folded = forge_ort.run(result, {})["y"]
    expected = _run_fed(model, {"a": a, "b": b})
    assert folded.dtype == expected.dtype and np.array_equal(folded, expected), (folded, expected)


def test_int32_min_divided_by_minus_one_wraps() -> None:
    """onnxruntime wraps it in its vectorised kernel and traps (SIGFPE) in its scalar one, so this is
    checked against the wrapped value, not run; int8/int16 (always wrapped) are compared above."""
    model = _constant_model("Div", {"a": np.array([-2**31, 6], np.int32), "b": np.array([-1, -4], np.int32)})
    result = onnxforge.compile(model, passes=PASS)
    assert [n.op_type for n in result.graph.node] == ["Identity"]
    assert forge_ort.run(result, {})["y"].tolist() == [-2**31, -1]


def test_integer_division_by_zero_is_not_folded() -> None:
    model = _constant_model("Div", {"a": np.array([1], np.int32), "b": np.array([0], np.int32)})
    assert [n.op_type for n in onnxforge.compile(model, passes=PASS).graph.node] == ["Div"]


# --- bfloat16 (issue 13) ---------------------------------------------------------------------------

BF16_CASES = ["test_celu_bfloat16_expanded", "test_compress_bfloat16", "test_einsum_batch_matmul_bfloat16",
              "test_einsum_sum_bfloat16", "test_einsum_transpose_bfloat16", "test_reversesequence_bfloat16",
              "test_unique_bfloat16_sorted_without_axis"]


@pytest.mark.parametrize("name", BF16_CASES)
def test_bfloat16_results_fold(name: str) -> None:
    """Baked bfloat16 cases (onnxruntime has no CPU kernels for them, so the suite test skips them)
    crashed the pass: ml_dtypes arrays do not export a buffer. Checked with onnx's reference evaluator."""
    from onnx.reference import ReferenceEvaluator

    case = next(c for c in CASES if c.name == name)
    baked = _baked(case)
    assert baked is not None
    result, changed = _fold(baked, f"{PASS}{{max-bytes=100000000}}")
    assert changed
    expected = ReferenceEvaluator(baked).run(None, {})
    actual = ReferenceEvaluator(result).run(None, {})
    for want, got in zip(expected, actual, strict=True):
        assert want.dtype == got.dtype and want.shape == got.shape
        assert np.array_equal(want.astype(np.float32), got.astype(np.float32), equal_nan=True)


# --- Slice clamping (issue 13) ---------------------------------------------------------------------

SLICE_BOUNDS = [2**63 - 1, -(2**63), 2**31 - 1, -1, 0, 4, 7, -7]


@pytest.mark.parametrize("step", [-1, -2, 1, 2])
def test_slice_folds_with_onnxruntime_clamping(step: int) -> None:
    """arange(5)[start:end:step] for every bound pair: the reference evaluator clamps like Python
    (start -7 with step -1 selected nothing, onnxruntime selects index 0; end INT64_MAX with a
    negative step runs to the front in onnxruntime)."""
    import itertools

    data = np.arange(5, dtype=np.int64)
    for start, end in itertools.product(SLICE_BOUNDS, SLICE_BOUNDS):
        inputs = {"x": data, "s": np.array([start]), "e": np.array([end]), "a": np.array([0]), "t": np.array([step])}
        model = _constant_model("Slice", inputs)
        result = onnxforge.compile(model, passes=PASS)
        assert [n.op_type for n in result.graph.node] == ["Identity"]
        assert forge_ort.run(result, {})["y"].tolist() == _run_fed(model, inputs).tolist(), (start, end)


def test_small_slice_of_a_shared_big_constant_still_folds() -> None:
    """Slice is sized by its view (no copy), not bounded by its input: 8 columns of a [4, 4096] table
    that another op keeps are 128 bytes."""
    from onnx import helper, numpy_helper

    table = numpy_helper.from_array(np.ones((4, 4096), np.float32), "x")
    bounds = [numpy_helper.from_array(np.array([v]), n) for n, v in (("s", 0), ("e", 8), ("a", 1))]
    graph = helper.make_graph([helper.make_node("Slice", ["x", "s", "e", "a"], ["y"]), helper.make_node("Identity", ["x"], ["z"])],
                              "g", [], [onnx.ValueInfoProto(name="y"), onnx.ValueInfoProto(name="z")], [table, *bounds])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)], ir_version=9)
    result = onnxforge.compile(model, passes=PASS)
    assert [n.op_type for n in result.graph.node] == ["Identity", "Identity"]
    assert forge_ort.run(result, {})["y"].shape == (4, 8)
