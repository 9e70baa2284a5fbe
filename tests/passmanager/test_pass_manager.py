"""The pass manager's contract: plugins, observability flags, bisection, failures and reproducers."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper
from paths import ROOT
from xdsl.pattern_rewriter import PatternRewriter, RewritePattern

from onnxforge.cli.forgec import main as forgec
from onnxforge.dialects.onnx.generated import ReluOp
from onnxforge.passmanager import Accuracy, ForgePass, PatternPass, register

PLUGIN = ROOT / "examples" / "fold_double_neg.py"


def _neg_chain(path: Path, count: int = 4) -> Path:
    """x → Neg → Neg → … → y: count Negs (count even keeps the value)."""
    names = ["x"] + [f"n{i}" for i in range(count)]
    nodes = [helper.make_node("Neg", [names[i]], [names[i + 1]], name=f"neg{i}") for i in range(count)]
    nodes.append(helper.make_node("Relu", [names[-1]], ["y"], name="relu"))
    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["n", 3])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["n", 3])])
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8), path)
    return path


def _run(capsys: pytest.CaptureFixture[str], *args: object) -> tuple[int, str, str]:
    code = forgec([str(a) for a in args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_plugin_pass_loads_runs_and_verifies(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    model, out = _neg_chain(tmp_path / "m.onnx"), tmp_path / "out.onnx"
    code, _, err = _run(capsys, model, "-o", out, "--load-pass-plugin", PLUGIN,
                        "--passes=example-fold-double-neg,onnx-eliminate-dead", "--verify", "--pass-statistics")
    assert code == 0, err
    assert [n.op_type for n in onnx.load(out).graph.node] == ["Relu"]
    assert "2  DoubleNeg" in err and "bit-identical" in err


def test_list_passes_shows_plugins_with_their_class(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "--load-pass-plugin", PLUGIN, "--list-passes")
    assert code == 0
    assert "example-fold-double-neg" in out and "class 0" in out and "cleanup" in out


def test_bisect_limit_stops_after_n_rewrites(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    model, out = _neg_chain(tmp_path / "m.onnx", count=6), tmp_path / "out.onnx"
    code, _, err = _run(capsys, model, "-o", out, "--load-pass-plugin", PLUGIN,
                        "--passes=example-fold-double-neg", "--bisect-limit=1")
    assert code == 0, err
    assert "bisect: 1 rewrite(s) performed" in err and "example-fold-double-neg/DoubleNeg @ neg" in err
    assert [n.op_type for n in onnx.load(out).graph.node].count("Neg") == 5  # one erased, its inner Neg left dead


def test_print_ir_and_dump_dir(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    model, dump = _neg_chain(tmp_path / "m.onnx"), tmp_path / "dump"
    code, _, err = _run(capsys, model, "--emit=ir", "--load-pass-plugin", PLUGIN,
                        "--passes=example-fold-double-neg,onnx-eliminate-dead",
                        "--print-ir-before=example-fold-double-neg", "--print-ir-after-change",
                        "--ir-dump-dir", dump, "--time-passes")
    assert code == 0, err
    assert "IR before example-fold-double-neg" in err and "IR after example-fold-double-neg" in err
    assert sorted(p.name for p in dump.iterdir()) == ["00-input.mlir", "01-example-fold-double-neg.mlir", "02-onnx-eliminate-dead.mlir"]
    assert (dump / "00-input.mlir").read_text().count('"onnx.Neg"') == 4
    assert "pass execution timing" in err


@register
@dataclass(frozen=True)
class _Explodes(ForgePass):
    name = "test-explodes"
    summary = "raises on purpose"

    def run(self, module, state) -> None:  # type: ignore[no-untyped-def]
        raise RuntimeError("boom")


class _BreakRelu(RewritePattern):
    def match_and_rewrite(self, op: ReluOp, rewriter: PatternRewriter) -> None:
        raise ValueError("cannot handle this relu")


@register
@dataclass(frozen=True)
class _BreaksOnRelu(PatternPass):
    name = "test-breaks-on-relu"
    summary = "a pattern that raises"

    def patterns(self):  # type: ignore[no-untyped-def]
        return [_BreakRelu()]


def test_failing_pattern_names_pass_op_and_node_and_writes_reproducer(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    model, out, repro = _neg_chain(tmp_path / "m.onnx"), tmp_path / "out.onnx", tmp_path / "repro.mlir"
    code, _, err = _run(capsys, model, "-o", out, "--passes=onnx-eliminate-dead,test-breaks-on-relu", "--reproducer", repro)
    assert code == 1
    line = err.strip().splitlines()[-1]
    assert "pass test-breaks-on-relu failed" in line and "_BreakRelu" in line and "onnx.Relu" in line and "'relu'" in line
    assert not out.exists()
    text = repro.read_text()
    assert text.startswith("// onnxforge reproducer: forgec repro.mlir --passes='onnx-eliminate-dead,test-breaks-on-relu'")
    # The reproducer replays the failure on its own.
    code, _, err = _run(capsys, repro, "--passes=onnx-eliminate-dead,test-breaks-on-relu", "--emit=ir", "--reproducer", tmp_path / "r2.mlir")
    assert code == 1 and "cannot handle this relu" in err


def test_failing_pass_stops_the_pipeline(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    model, out = _neg_chain(tmp_path / "m.onnx"), tmp_path / "out.onnx"
    code, _, err = _run(capsys, model, "-o", out, "--passes=test-explodes", "--reproducer", tmp_path / "r.mlir")
    assert code == 1 and "pass test-explodes failed: RuntimeError: boom" in err and not out.exists()


@register
@dataclass(frozen=True)
class _WrongAnswer(PatternPass):
    """Claims class 0 but changes the result: --verify-each must catch it."""

    name = "test-wrong-answer"
    summary = "miscompiles on purpose"
    accuracy = Accuracy.LOSSLESS

    def patterns(self):  # type: ignore[no-untyped-def]
        return [DropRelu()]



class DropRelu(RewritePattern):
    def match_and_rewrite(self, op: ReluOp, rewriter: PatternRewriter) -> None:
        rewriter.replace(op, [], [op.operands[0]])


def test_verify_each_names_the_miscompiling_pass(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    model, out = _neg_chain(tmp_path / "m.onnx", count=1), tmp_path / "out.onnx"
    code, _, err = _run(capsys, model, "-o", out, "--passes=onnx-eliminate-dead,test-wrong-answer", "--verify-each")
    assert code == 1
    assert "--verify-each: pass test-wrong-answer (class 0) changed the outputs" in err
    assert "test-wrong-answer/DropRelu @ relu" in err and not out.exists()


def test_unknown_pass_and_bad_pass_list_are_clean_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    model = _neg_chain(tmp_path / "m.onnx")
    code, _, err = _run(capsys, model, "-o", tmp_path / "o.onnx", "--passes=no-such-pass")
    assert code == 1 and "unknown pass 'no-such-pass'" in err
    code, _, err = _run(capsys, model, "-o", tmp_path / "o.onnx", "--passes=onnx-eliminate-dead{")
    assert code == 1 and "cannot parse pass list" in err
    assert np.all([not p.name.startswith("o.onnx") for p in tmp_path.iterdir()])


def test_reproducer_is_the_complete_pipeline_and_replays_the_target(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The header lists every pass that ran with its options (``--target`` filled in), so the command it
    gives replays the same run without the flags of the original command line."""
    model, repro = _neg_chain(tmp_path / "m.onnx"), tmp_path / "repro.mlir"
    code, _, err = _run(capsys, model, "-o", tmp_path / "o.onnx", "--target=ort", "--reproducer", repro,
                        "--passes=onnx-infer-shapes,nn-fuse-gelu,nn-lower,test-breaks-on-relu")
    assert code == 1, err
    header = repro.read_text().splitlines()[0]
    passes = header.split("--passes='")[1].split("'")[0]
    assert passes == 'onnx-infer-shapes,nn-fuse-gelu{target="ort"},nn-lower{target="ort"},test-breaks-on-relu'
    code, _, replayed = _run(capsys, repro, f"--passes={passes}", "--emit=ir", "-o", tmp_path / "r.mlir",
                             "--reproducer", tmp_path / "again.mlir")
    assert code == 1 and replayed.split("; reproducer:")[0] == err.split("; reproducer:")[0]
