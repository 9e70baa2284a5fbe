"""``forgec --cost``: the JSON contract, before/after a pipeline, the renderings, the plot, ``--emit=cost``, errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from paths import FIXTURES

from onnxforge.cli.forgec import main as forgec

RESNET18 = str(FIXTURES / "cost" / "resnet18.onnx")
BERT = str(FIXTURES / "bert_ts.onnx")


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = forgec(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_json_contract(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, RESNET18, "--cost=orin-agx-50w", "--report=json", "--pipeline=none")
    assert code == 0
    data = json.loads(out)  # exactly one JSON object on stdout
    assert data["target"] == "orin-agx-50w" and data["execution"] == "eager"
    assert len(data["kernels"]) == data["kernel_count"] == 68
    for kernel in data["kernels"]:
        assert {"op", "module", "flops", "bytes", "bound", "ms"} <= set(kernel)
        assert kernel["bound"] in ("compute", "memory", "overhead")
    assert data["total_ms"] == pytest.approx(sum(k["ms"] for k in data["kernels"]))
    assert round(data["macs"] / 1e9, 3) == 1.814
    assert "before" not in data


def test_pipeline_gives_before_and_after(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, BERT, "--cost=host", "--report=json", "--pipeline=cleanup", "--dim", "sequence=32")
    assert code == 0
    data = json.loads(out)
    assert data["dims"] == {"batch": 1, "sequence": 32} and data["assumed_dims"] == {"batch": 1}
    assert data["before"]["kernel_count"] >= data["kernel_count"]
    assert data["saving_ms"] == pytest.approx(data["before"]["total_ms"] - data["total_ms"])
    assert data["execution"] == "ort"


def test_table_markdown_and_svg_plot(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    plot = tmp_path / "roofline.svg"
    code, out, err = _run(capsys, BERT, "--cost=orin-agx-maxn", "--pipeline=cleanup", f"--plot={plot}", "--cost-depth=2")
    assert code == 0 and "before / after" in out and "by module (depth 2)" in out and "encoder/layer.0" in out
    assert plot.read_text().count("<circle") > 10 and "roofline" in err
    code, out, _ = _run(capsys, RESNET18, "--cost=orin-agx-15w", "--report=md", "--pipeline=none", "--cost-execution=ort")
    assert code == 0 and out.startswith("# Estimated latency on orin-agx-15w") and "| class |" in out


def test_png_plot_needs_matplotlib(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    plot = tmp_path / "roofline.png"
    code, _, err = _run(capsys, RESNET18, "--cost=orin-agx-50w", "--pipeline=none", f"--plot={plot}")
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        assert code == 1 and "matplotlib" in err
    else:
        assert code == 0 and plot.read_bytes().startswith(b"\x89PNG")


def test_emit_cost_and_writing_the_model_too(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, _ = _run(capsys, RESNET18, "--emit=cost", "--cost=orin-agx-30w", "--pipeline=none")
    assert code == 0 and out.count('"cost.kernel"') == 68 and 'target = "orin-agx-30w"' in out
    model = tmp_path / "out.onnx"
    code, out, _ = _run(capsys, RESNET18, "--cost=host", "--pipeline=none", "-o", str(model))
    assert code == 0 and model.is_file() and "== by op class ==" in out


@pytest.mark.parametrize("args, message", [
    (["--plot=x.svg"], "need --cost"),
    (["--cost=jetson-tx1"], "unknown target"),
    (["--cost=host", "--plot=x.pdf"], ".svg or .png"),
    (["--cost=host", "--emit=ir"], "give -o"),
])
def test_bad_requests(capsys: pytest.CaptureFixture[str], args: list[str], message: str) -> None:
    code, out, err = _run(capsys, RESNET18, *args)
    assert code == 1 and message in err and out == ""


def test_transformer_pipeline_saves_kernels_and_keeps_macs(capsys: pytest.CaptureFixture[str]) -> None:
    """Fusions lowered to onnxruntime contrib ops: fewer kernels, the same MACs, every op counted."""
    code, out, err = _run(capsys, BERT, "--cost=host", "--report=json", "--pipeline=transformer", "--target=ort")
    assert code == 0, err
    data = json.loads(out)
    assert data["kernel_count"] < data["before"]["kernel_count"] and data["saving_ms"] > 0
    assert data["macs"] == data["before"]["macs"]
    assert not any("no counting rule" in note for note in data["notes"])
    assert any(k["op"].startswith("com.microsoft.") for k in data["kernels"])


def test_nn_ops_are_costed_before_lowering(capsys: pytest.CaptureFixture[str]) -> None:
    """Costing between fusion and nn-lower: each nn op one kernel, every contraction still counted."""
    passes = ("onnx-infer-shapes,onnx-simplify-shape-chains,onnx-fold-constants,onnx-eliminate-dead,"
              "nn-fuse-layer-norm,nn-fuse-gelu,nn-fuse-attention,nn-fuse-linear")
    code, out, err = _run(capsys, BERT, "--cost=orin-agx-50w", "--report=json", f"--passes={passes}", "--target=ort",
                          "--cost-execution=fused")
    assert code == 0, err
    data = json.loads(out)
    ops = {k["op"] for k in data["kernels"]}
    assert {"nn.attention", "nn.layer_norm", "nn.gelu"} <= ops
    assert data["macs"] == data["before"]["macs"]
    assert all(k["op_class"] == "attention" for k in data["kernels"] if k["op"] == "nn.attention")
