"""``python -m onnxforge.cli.instruments``: every subcommand, every format, and bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from paths import FIXTURES

from onnxforge.cli.instruments import COMMANDS, main
from onnxforge.instruments.inspect import inspect_model

RESNET = str(FIXTURES / "resnet_ts.onnx")


def test_commands_are_listed() -> None:
    assert set(COMMANDS) == {"inspect", "attribution", "tolerance", "order", "latency"}


def test_inspect_model() -> None:
    found = inspect_model(FIXTURES / "bert_ts.onnx")
    assert found.nodes == 376 and found.opsets == {"": 14} and found.pipelines == ("transformer",)
    assert found.inputs == {"input_ids": "i64[batch, sequence]", "attention_mask": "i64[batch, sequence]"}
    assert found.parameters > 0 and found.weight_bytes == 4 * found.parameters
    assert found.forensics.layer_norm == {"decomposed-attr-axes": 5}


@pytest.mark.parametrize("fmt", ["text", "markdown", "csv"])
def test_inspect_formats(fmt: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["inspect", RESNET, f"--format={fmt}"]) == 0
    out = capsys.readouterr().out
    assert "conv_bn_pairs" in out and "BatchNormalization" in out


def test_json_to_a_file(tmp_path: Path) -> None:
    out = tmp_path / "inspect.json"
    assert main(["inspect", RESNET, "--format=json", "-o", str(out)]) == 0
    data = json.loads(out.read_text())
    assert data["fingerprint"]["verdict"] == "vision" and data["forensics"]["conv_bn_pairs"] == 8


@pytest.mark.parametrize("args", [
    ["attribution", RESNET, "--passes=onnx-infer-shapes,onnx-canonicalize"],
    ["tolerance", RESNET, "--passes=onnx-canonicalize", "--seeds=2", "--dim=batch=2"],
    ["order", RESNET, "--passes=onnx-canonicalize,onnx-eliminate-dead", "--orders=1"],
    ["latency", RESNET, "--passes=onnx-canonicalize", "--repeats=2", "--warmup=0"],
])
def test_subcommands_as_json(args: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main([*args, "--format=json"]) == 0
    assert json.loads(capsys.readouterr().out)


@pytest.mark.parametrize("args, message", [
    (["inspect", "missing.onnx"], "no such file"),
    (["attribution", RESNET, "--pipeline=nope"], "unknown pipeline"),
    (["tolerance", RESNET, "--passes=no-such-pass"], "unknown pass"),
    (["latency", RESNET, "--repeats=0"], "--repeats"),
    (["tolerance", RESNET, "--dim=batch"], "--dim"),
    (["attribution", RESNET, "--baseline=nope"], "unknown pipeline"),
])
def test_bad_input_is_one_line_and_exit_1(args: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(args) == 1
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1


def test_no_output_file_on_error(tmp_path: Path) -> None:
    out = tmp_path / "out.md"
    assert main(["inspect", RESNET, str(tmp_path / "missing.onnx"), "-o", str(out)]) == 1
    assert not out.exists()


def test_module_entry_point() -> None:
    done = subprocess.run([sys.executable, "-m", "onnxforge.cli.instruments", "inspect", RESNET, "--format=markdown"],
                          check=False, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and "### fingerprint of" in done.stdout
