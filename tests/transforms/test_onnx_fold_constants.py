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
