"""``onnxforge.export`` and ``forgec export`` on live PyTorch modules (the ``models`` extra; the committed
fixtures of test_hierarchy_fixtures.py cover the same without torch)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import onnx
import pytest

torch = pytest.importorskip("torch")

from onnxforge.frontend.torch_export import export, module_table  # noqa: E402
from onnxforge.ir.hierarchy import Tag  # noqa: E402
from onnxforge.onnxio.hierarchy import ModuleTable, coverage  # noqa: E402

FACTORY = '''
import torch

class Block(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = torch.nn.Linear(6, 6)
        self.norm = torch.nn.LayerNorm(6)

    def forward(self, x):
        return self.norm(x + torch.nn.functional.gelu(self.fc(x)))

class Net(torch.nn.Module):
    def __init__(self, branch=False):
        super().__init__()
        self.blocks = torch.nn.ModuleList([Block(), Block()])
        self.head = torch.nn.Linear(6, 3)
        self.branch = branch

    def forward(self, x):
        for block in self.blocks:
            x = block(x)
        x = self.blocks[0](x)  # blocks.0 runs twice
        if self.branch and x.sum() > 0:
            x = -x
        return self.head(x)

def make():
    torch.manual_seed(0)
    return Net(), (torch.randn(4, 5, 6),)

def make_branchy():
    torch.manual_seed(0)
    return {"module": Net(branch=True), "args": (torch.randn(4, 6),)}
'''


def _tags(path: Path) -> list[Tag]:
    return [Tag.from_props({e.key: e.value for e in n.metadata_props}) for n in onnx.load(path).graph.node]  # type: ignore[misc]


@pytest.fixture
def factory(tmp_path: Path) -> Path:
    path = tmp_path / "nets.py"
    path.write_text(FACTORY)
    return path


def _load(factory: Path):  # type: ignore[no-untyped-def]
    namespace: dict = {}  # type: ignore[type-arg]
    exec(compile(factory.read_text(), str(factory), "exec"), namespace)
    return namespace


def test_module_table_counts_parameters_as_pytorch_does(factory: Path) -> None:
    net, _ = _load(factory)["make"]()
    table = module_table(net)
    for path, module in net.named_modules():
        assert table.modules[path].params == sum(p.numel() for p in module.parameters())
    assert table.modules["blocks"].cls == "torch.nn.modules.container.ModuleList"


def test_dynamo_export_tags_every_node_and_tells_calls_apart(factory: Path, tmp_path: Path) -> None:
    net, args = _load(factory)["make"]()
    out = tmp_path / "net.onnx"
    report = export(net, args, out, pipeline=None, verify=True)
    assert report.exporter == "dynamo" and report.fallback_reason is None
    assert report.max_abs_diff is not None and report.max_abs_diff < 1e-5
    assert report.coverage_after.untagged == [] and report.coverage_after.unresolved == []
    assert report.coverage.by_source["exporter"] == report.coverage.total  # static shapes: all from the exporter
    tags = _tags(out)
    fc_calls = {t.call for t in tags if t.module == "blocks.0.fc"}
    assert fc_calls == {0, 1}
    assert {t.call for t in tags if t.module == "blocks.1.fc"} == {0}
    assert all(t.module_class.startswith("Net/") or t.module == "" for t in tags)
    table = ModuleTable.of_model(onnx.load(out))
    assert table is not None and table.modules["blocks.0"].calls == 2 and table.modules["blocks.1"].calls == 1


def test_the_pipeline_keeps_the_tags(factory: Path, tmp_path: Path) -> None:
    net, args = _load(factory)["make"]()
    out = tmp_path / "net.onnx"
    report = export(net, args, out, pipeline="transformer", target="ort", verify=True)
    assert report.nodes < report.nodes_exported
    assert report.max_abs_diff is not None and report.max_abs_diff < 1e-4
    assert coverage(onnx.load(out)).untagged == []
    fused = [t for t in _tags(out) if t.source == "fused"]  # BiasGelu: blocks.N.fc's bias + blocks.N's gelu
    assert [(t.module, t.call) for t in fused] == [("blocks.0", 0), ("blocks.1", 0), ("blocks.0", 1)]
    assert all(set(t.fused_modules) == {t.module, f"{t.module}.fc"} for t in fused)


def test_a_data_dependent_branch_falls_back_to_torchscript(factory: Path, tmp_path: Path) -> None:
    made = _load(factory)["make_branchy"]()
    out = tmp_path / "branchy.onnx"
    report = export(made["module"], made["args"], out, pipeline=None, verify=True)
    assert report.exporter == "torchscript" and report.fallback_reason
    assert report.max_abs_diff is not None and report.max_abs_diff < 1e-5
    found = coverage(onnx.load(out))
    assert found.untagged == [] and found.unresolved == []
    assert {t.call for t in _tags(out) if t.module == "blocks.0.fc" and t.source == "exporter"} == {0, 1}


def test_forgec_export_command(factory: Path, tmp_path: Path) -> None:
    out = tmp_path / "net.onnx"
    run = subprocess.run([sys.executable, "-m", "onnxforge.cli.forgec", "export", f"{factory}:make", "-o", str(out),
                          "--pipeline=cleanup", "--verify", "--require-coverage=100"],
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    assert "dynamo export" in run.stderr and "100.0 %" in run.stderr
    assert coverage(onnx.load(out)).untagged == []


@pytest.mark.parametrize(("spec", "message"), [
    ("nowhere.py:make", "no such file"),
    ("{factory}:missing", "no callable 'missing'"),
    ("not_a_spec", "give FACTORY as"),
])
def test_forgec_export_bad_factory_is_one_line(spec: str, message: str, factory: Path, tmp_path: Path) -> None:
    out = tmp_path / "x.onnx"
    run = subprocess.run([sys.executable, "-m", "onnxforge.cli.forgec", "export", spec.format(factory=factory), "-o",
                          str(out)], capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert run.returncode == 1
    assert run.stderr.count("\n") == 1 and run.stderr.startswith("forgec: error:") and message in run.stderr
    assert not out.exists()
