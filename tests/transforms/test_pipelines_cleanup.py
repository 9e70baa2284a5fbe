"""The ``cleanup`` pipeline on real exports: verified at two dim bindings, idempotent, and as small as measured.

Node floors are what the pipeline reaches today; a change that removes less
fails here (a change that removes more should lower the floor).
"""

from __future__ import annotations

from pathlib import Path

import onnx
import pytest
from paths import FIXTURES

import onnxforge
from onnxforge.cli.forgec import main as forgec
from onnxforge.compiler import optimize, to_ir
from onnxforge.ir.text import print_ir
from onnxforge.onnxio.loader import from_proto
from onnxforge.runtime import verify

NODES_AFTER_CLEANUP = {
    "bert_ts": 128,
    "gpt2_ts": 137,
    "llama_ts": 158,
    "vit_ts": 97,
    "whisper_encoder_ts": 99,
    "mobilenet_v2_ts": 151,
    "resnet_ts": 27,
    "bert_dynamo": 86,
    "gpt2_dynamo": 107,
    "llama_dynamo": 157,
    "vit_dynamo": 63,
    "whisper_encoder_dynamo": 53,
    "mobilenet_v2_dynamo": 98,
    "resnet_dynamo": 19,
}


@pytest.fixture(scope="module")
def cleaned() -> dict[str, onnx.ModelProto]:
    return {name: onnxforge.compile(FIXTURES / f"{name}.onnx", pipeline="cleanup") for name in NODES_AFTER_CLEANUP}


@pytest.mark.parametrize("name", sorted(NODES_AFTER_CLEANUP))
def test_cleanup_is_verified_and_as_small_as_measured(name: str, cleaned: dict[str, onnx.ModelProto]) -> None:
    result = cleaned[name]
    onnx.checker.check_model(result, full_check=True)
    assert len(result.graph.node) <= NODES_AFTER_CLEANUP[name]
    for seed, dims in ((0, {"batch": 2, "sequence": 5}), (1, {"batch": 3, "sequence": 11})):
        report = verify(FIXTURES / f"{name}.onnx", result, seed=seed, dims=dims)
        # cleanup is class 1 (float folding), but on these exports every fold is exact: assert what we see.
        assert report.identical, report.summary()


@pytest.mark.parametrize("name", ["bert_ts", "vit_ts", "whisper_encoder_ts"])
def test_no_shape_op_left_feeding_a_reshape(name: str, cleaned: dict[str, onnx.ModelProto]) -> None:
    graph = cleaned[name].graph
    producers = {out: node for node in graph.node for out in node.output}

    def reaches_shape(value: str, depth: int = 0) -> bool:
        node = producers.get(value)
        if node is None or depth > 40:
            return False
        return node.op_type == "Shape" or any(reaches_shape(i, depth + 1) for i in node.input if i)

    reshapes = [n for n in graph.node if n.op_type == "Reshape"]
    assert reshapes and not [n.name for n in reshapes if reaches_shape(n.input[1])]


@pytest.mark.parametrize("name", ["bert_ts", "mobilenet_v2_ts", "llama_dynamo"])
def test_second_cleanup_changes_nothing(name: str, cleaned: dict[str, onnx.ModelProto]) -> None:
    module = to_ir(from_proto(cleaned[name]))
    before = print_ir(module)
    report = optimize(module, "cleanup")
    assert not report.changed(), {k: v.changed for k, v in report.records.items()}
    assert print_ir(module) == before


@pytest.mark.parametrize("name", ["bert_ts", "gpt2_ts", "llama_ts"])
def test_verify_each_on_fixtures(name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Every pass of the pipeline, checked with onnxruntime right after it runs."""
    code = forgec([str(FIXTURES / f"{name}.onnx"), "-o", str(tmp_path / "out.onnx"), "--pipeline=cleanup", "--verify-each", "--verify"])
    assert code == 0, capsys.readouterr().err
