"""The headline command and what a deployment engineer sees first (issue 12): ``forgec MODEL.onnx`` with
no ``-o`` writes beside the input without replacing anything, ``forgec IN OUT`` works as in onnxslim,
every run prints a summary (``-q`` silences it, ``--report=json FILE`` writes it), ``--skip``, the
``--pipeline``/``--passes`` conflict, per-run ``--pass-statistics``, fused node names, and ASCII on a
terminal that cannot show ``≥``."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import onnx
import pytest

from onnxforge.cli.forgec import _Progress, main

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def _copy(tmp_path: Path, name: str) -> Path:
    target = tmp_path / f"{name}.onnx"
    shutil.copyfile(FIXTURES / f"{name}.onnx", target)
    return target


def test_no_output_writes_beside_the_input_and_never_over_a_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    model = _copy(tmp_path, "bert_ts")
    original = model.read_bytes()
    assert main(["--pipeline=transformer", str(model)]) == 0
    first = tmp_path / "bert_ts.forge.onnx"
    assert first.exists() and "bert_ts.forge.onnx" in capsys.readouterr().err
    first_bytes = first.read_bytes()
    assert main([str(model)]) == 0  # the headline command again: a new name, the first output kept
    second = tmp_path / "bert_ts.forge.1.onnx"
    assert second.exists() and first.read_bytes() == first_bytes
    (tmp_path / "bert_ts.forge.2.onnx.data").write_bytes(b"someone else's")  # a data file blocks its model name too
    assert main([str(model), "-q"]) == 0
    assert (tmp_path / "bert_ts.forge.3.onnx").exists()
    assert (tmp_path / "bert_ts.forge.2.onnx.data").read_bytes() == b"someone else's"
    assert model.read_bytes() == original
    onnx.checker.check_model(onnx.load(second))


def test_output_as_second_argument(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out.onnx"
    assert main([str(FIXTURES / "mobilenet_v2_ts.onnx"), str(out)]) == 0
    assert out.exists()
    between = tmp_path / "between.onnx"
    assert main([str(FIXTURES / "mobilenet_v2_ts.onnx"), "-q", "--pipeline=cleanup", str(between)]) == 0
    assert between.exists()
    assert main([str(FIXTURES / "mobilenet_v2_ts.onnx"), str(out), "-o", str(tmp_path / "other.onnx")]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("forgec: error: two outputs") and not (tmp_path / "other.onnx").exists()


def test_summary_by_default_quiet_and_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    model = FIXTURES / "bert_ts.onnx"
    assert main([str(model), str(tmp_path / "a.onnx")]) == 0
    err = capsys.readouterr().err
    for line in ("pipeline   transformer (auto:", "model      opset 14", "nodes      ", "weights    ", "ops        ",
                 "fused      Q/K/V projections merged into one MatMul ×2",
                 "not fused  5 LayerNormalization, 2 Gelu, 2 Attention need opset ≥ 17/20/23: add --target-opset=23 or --target=ort"):
        assert line in err, (line, err)
    assert main([str(model), str(tmp_path / "b.onnx"), "-q"]) == 0
    captured = capsys.readouterr()
    assert captured.err == "" and captured.out == ""
    report = tmp_path / "summary.json"
    assert main([str(model), str(tmp_path / "c.onnx"), "--report=json", str(report), "-q"]) == 0
    data = json.loads(report.read_text())
    assert data["pipeline"] == "transformer" and data["output"].endswith("c.onnx")
    assert data["before"]["nodes"] > data["after"]["nodes"] == len(onnx.load(tmp_path / "c.onnx").graph.node)
    assert data["before"]["opset"] == 14 and data["before"]["ir_version"] == onnx.load(model).ir_version
    assert data["after"]["file_bytes"] == (tmp_path / "c.onnx").stat().st_size
    assert data["not_fused"][0]["opsets"] == {"LayerNormalization": 17, "Gelu": 20, "Attention": 23}
    assert not (tmp_path / "summary.json.onnx").exists() and (tmp_path / "c.onnx").exists()


def test_summary_reports_fusions_by_their_effect(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A pattern that fired but left the same ops (an existing LayerNormalization raised and lowered back;
    Conv + Relu written back as Conv + Relu) is not reported as fused."""
    report = tmp_path / "r.json"
    assert main([str(FIXTURES / "bert_dynamo.onnx"), str(tmp_path / "a.onnx"), "--report", "json", str(report)]) == 0
    fused = json.loads(report.read_text())["fused"]
    assert "LayerNormalization" not in fused  # the dynamo export has them already
    assert main([str(FIXTURES / "mobilenet_v2_ts.onnx"), str(tmp_path / "m.onnx"), "--report=json", str(report)]) == 0
    fused = json.loads(report.read_text())["fused"]
    assert fused == {"BatchNormalization folded into Conv": 52}
    assert main([str(FIXTURES / "bert_ts.onnx"), str(tmp_path / "o.onnx"), "--target=ort", "--report=json", str(report)]) == 0
    data = json.loads(report.read_text())
    assert data["fused"]["LayerNormalization"] == 5 and data["fused"]["com.microsoft.Attention"] == 2
    assert data["not_fused"] == []


def test_skip_and_pipeline_passes_conflict(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    model = str(FIXTURES / "bert_ts.onnx")
    report = tmp_path / "r.json"
    assert main([model, str(tmp_path / "a.onnx"), "--skip=nn-fuse-qkv", "--report=json", str(report), "-q"]) == 0
    assert "Q/K/V projections merged into one MatMul" not in json.loads(report.read_text())["fused"]
    capsys.readouterr()
    for argv, message in (
        (["--skip=no-such-pass"], "unknown pass 'no-such-pass'"),
        (["--pipeline=vision", "--skip=nn-fuse-qkv"], "--skip=nn-fuse-qkv: not a pass of the vision pipeline"),
        (["--pipeline=cleanup", "--passes=onnx-cse"], "--pipeline and --passes are alternatives"),
        (["--passes=onnx-cse", "--skip=onnx-cse"], "--skip removes passes from a pipeline"),
    ):
        out = tmp_path / "never.onnx"
        assert main([model, str(out), *argv]) == 1
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and message in err[0], (argv, err)
        assert not out.exists()


def test_pass_statistics_count_every_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A pass of a fixed-point stage runs once per sweep; its first run does the work and must show it."""
    assert main([str(FIXTURES / "bert_ts.onnx"), str(tmp_path / "a.onnx"), "--pipeline=cleanup", "--pass-statistics", "-q"]) == 0
    line = next(line for line in capsys.readouterr().err.splitlines() if "onnx-fold-constants: ops" in line)
    runs = [tuple(int(x) for x in run.split(" -> ")) for run in line.split("ops ", 1)[1].split(", changed")[0].split(", ")]
    assert len(runs) >= 2 and runs[0][0] > runs[0][1], line  # the first run folded something
    assert runs[-1][0] == runs[-1][1], line  # the last sweep changed nothing


def test_fused_nodes_are_named_by_module_and_none_unnamed(tmp_path: Path) -> None:
    for fixture, expected in (("bert_ts", "/encoder/layer.0/attention/self/Attention"),
                              ("gpt2_dynamo", "/h.0/attn/Attention"),
                              ("bert_ts", "/embeddings/LayerNorm/LayerNormalization")):
        out = tmp_path / f"{fixture}.onnx"
        assert main([str(FIXTURES / f"{fixture}.onnx"), str(out), "--target=ort", "-q"]) == 0
        names = [node.name for node in onnx.load(out).graph.node]
        assert expected in names, names
        assert all(names), "a node was left unnamed"


def test_ascii_on_a_terminal_that_cannot_show_symbols(tmp_path: Path) -> None:
    env = dict(os.environ, PYTHONIOENCODING="ascii")
    done = subprocess.run([sys.executable, "-m", "onnxforge.cli.forgec", str(FIXTURES / "bert_ts.onnx"),
                           str(tmp_path / "a.onnx")], env=env, capture_output=True, text=False, check=False)
    assert done.returncode == 0, done.stderr
    err = done.stderr.decode("ascii")  # every byte is ASCII
    assert "need opset >= 17/20/23" in err and "bert_ts.onnx -> " in err
    assert "\\u" not in err and "?" not in err.split("not fused")[1]


def test_progress_line_per_stage_after_two_seconds(capsys: pytest.CaptureFixture[str]) -> None:
    progress = _Progress()
    progress("stage 1/4 (transformer: onnx-infer-shapes, …)")
    assert capsys.readouterr().err == ""  # a fast run stays one line
    progress.start -= _Progress.AFTER
    progress("stage 2/4 (transformer: onnx-infer-shapes, …)")
    err = capsys.readouterr().err
    assert err.startswith("forgec: ") and "stage 2/4" in err


def test_precision_fix_shapes_and_tensorrt_from_the_command_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The flags reach their passes: --precision halves the weights and verifies at its own class,
    --fix-dim/--input-shape make the inputs static (and fold further), --target=tensorrt refuses an opset
    its parser cannot read before any work."""
    bert = str(FIXTURES / "bert_dynamo.onnx")
    report = tmp_path / "r.json"
    assert main([bert, str(tmp_path / "h.onnx"), "--precision=fp16", "--verify", "--report=json", str(report), "-q"]) == 0
    data = json.loads(report.read_text())
    assert data["after"]["weight_bytes"] < 0.55 * data["before"]["weight_bytes"]
    half = onnx.load(tmp_path / "h.onnx")
    assert {v.type.tensor_type.elem_type for v in half.graph.input} == {onnx.TensorProto.INT64}
    assert {v.type.tensor_type.elem_type for v in half.graph.output} == {onnx.TensorProto.FLOAT}
    assert any(t.data_type == onnx.TensorProto.FLOAT16 for t in half.graph.initializer)

    fixed = tmp_path / "f.onnx"
    assert main([bert, str(fixed), "--fix-dim", "batch=1", "--input-shape", "input_ids=1,16", "--verify",
                 "--report=json", str(report), "-q"]) == 0
    dims = [[d.dim_value for d in v.type.tensor_type.shape.dim] for v in onnx.load(fixed).graph.input]
    assert dims[0] == [1, 16]
    dynamic = json.loads(report.read_text())["after"]["nodes"]
    assert main([bert, str(tmp_path / "d.onnx"), "--report=json", str(report), "-q"]) == 0
    assert dynamic < json.loads(report.read_text())["after"]["nodes"]  # shape chains folded with the fixed sizes

    capsys.readouterr()
    assert main([bert, str(tmp_path / "t.onnx"), "--target=tensorrt", "--target-opset=25"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "TensorRT" in err[0] and not (tmp_path / "t.onnx").exists()
    assert main([bert, str(tmp_path / "w.onnx"), "--dim", "batch=2", "-q"]) == 0
    assert "--dim binds dims for --verify" in capsys.readouterr().err
    assert main([bert, str(tmp_path / "x.onnx"), "--fix-dim", "batch"]) == 1
    assert "--fix-dim expects" in capsys.readouterr().err


def test_pipeline_none_imports_no_shape_analysis(tmp_path: Path) -> None:
    """`--pipeline=none` is the round trip: it must not pay for sympy (0.3–0.4 s of start-up) because
    some flag's helper lives in a pass module."""
    code = ("import sys; from onnxforge.cli.forgec import main; "
            f"code = main([{str(FIXTURES / 'bert_ts.onnx')!r}, {str(tmp_path / 'o.onnx')!r}, '--pipeline=none', '-q']); "
            "print(code, 'sympy' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["0", "False"], done.stdout + done.stderr


def test_a_bad_report_file_is_refused_before_any_output(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "elsewhere.json").write_text("{}")
    (tmp_path / "link.json").symlink_to(tmp_path / "elsewhere.json")
    out = tmp_path / "out.onnx"
    for report in ("link.json", "missing-dir/r.json"):
        assert main([str(FIXTURES / "bert_ts.onnx"), str(out), "--report=json", str(tmp_path / report)]) == 1
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and err[0].startswith("forgec: error:"), err
        assert not out.exists()
    assert (tmp_path / "elsewhere.json").read_text() == "{}"


@pytest.mark.parametrize("options", [{}, {"precision": "fp16"}, {"target": "ort"}])
def test_no_node_left_unnamed(options: dict) -> None:  # type: ignore[type-arg]
    """Nodes a pass builds (a Cast of --precision, a Concat a fold leaves) get names too; --pipeline=none keeps
    the input's nodes as they were."""
    import onnxforge

    for fixture in ("gpt2_ts", "vit_ts", "bert_dynamo", "resnet_ts"):
        names = [n.name for n in onnxforge.compile(FIXTURES / f"{fixture}.onnx", **options).graph.node]
        assert all(names), (fixture, options)
        assert len(set(names)) == len(names), (fixture, options)
