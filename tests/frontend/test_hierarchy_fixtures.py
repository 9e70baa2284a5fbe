"""The tagged exports of tests/fixtures/hierarchy/ (``tools/make_hierarchy_fixtures.py``): every node tagged
with a module that exists, the class chain PyTorch has, repeated calls told apart, the tags kept
through every pipeline and target. No torch needed: ``expected.json`` records what PyTorch said."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import onnx
import pytest
from paths import FIXTURES

from onnxforge.ir.hierarchy import MODULE_TABLE, TAG_KEYS, Tag, common_ancestor, depth
from onnxforge.onnxio.hierarchy import NAMESPACE, ModuleTable, coverage, tag_model

HIERARCHY = FIXTURES / "hierarchy"
EXPECTED = json.loads((HIERARCHY / "expected.json").read_text())
FILES = sorted(HIERARCHY.glob("*.onnx"))
DYNAMO = [f for f in FILES if f.stem.endswith("_dynamo")]


def _model_name(path: Path) -> str:
    return path.stem.rsplit("_", 1)[0]


def _tags(model: onnx.ModelProto) -> list[tuple[onnx.NodeProto, Tag]]:
    found = []
    for node in model.graph.node:
        tag = Tag.from_props({e.key: e.value for e in node.metadata_props})
        assert tag is not None, f"{node.op_type} {node.name} has no tag"
        found.append((node, tag))
    return found


def test_every_model_and_exporter_is_there() -> None:
    names = {f.stem for f in FILES}
    limits = {  # what the exporters themselves cannot do with these models (recorded by the fixture script)
        ("whisper", "torchscript"): "aten::diff",  # transformers 5's decoder mask
        ("t5", "dynamo"): "Cannot view a tensor",  # torch.export on T5Attention, static shapes too
    }
    for model in ("bert", "gpt2", "llama", "vit", "resnet", "resnet18", "whisper", "t5", "toy"):
        for exporter, suffix in (("dynamo", "dynamo"), ("torchscript", "ts")):
            if (model, exporter) in limits:
                assert limits[model, exporter] in EXPECTED[model][exporter]["error"]
            else:
                assert f"{model}_{suffix}" in names
    assert "branchy_auto" in names


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_every_node_is_tagged_with_a_module_of_the_model(path: Path) -> None:
    model = onnx.load(path)
    found = coverage(model)
    assert found.untagged == [] and found.total == len(model.graph.node)
    assert found.unresolved == [], found.unresolved[:5]
    expected = EXPECTED[_model_name(path)]["modules"]
    table = ModuleTable.of_model(model)
    assert table is not None and table.params_from == "state_dict"
    assert {p: (m.cls, m.params, m.own_params) for p, m in table.modules.items()} == {
        p: (m["class"], m["params"], m["own_params"]) for p, m in expected.items()}
    for node, tag in _tags(model):
        assert tag.module in expected, (node.name, tag.module)
        chain = tag.module_class.split("/")
        assert chain[0] == expected[""]["class"].rsplit(".", 1)[-1], (node.name, tag.module_class)
        assert len(chain) <= depth(tag.module) + 1
        if tag.source in ("exporter", "functional"):  # the chain ends with the module's own class
            assert chain[-1] == expected[tag.module]["class"].rsplit(".", 1)[-1], (node.name, tag)
        assert any(e.key == NAMESPACE for e in node.metadata_props)


@pytest.mark.parametrize("path", DYNAMO, ids=lambda p: p.stem)
def test_dynamo_exports_are_tagged_by_the_exporter_itself(path: Path) -> None:
    """All but the nodes torch.export makes for dynamic dims at graph entry (``sym_size``: ≤ 7 per model)."""
    found = coverage(onnx.load(path))
    inherited = found.by_source["inherited"]
    assert inherited <= 7 and found.by_source["exporter"] + found.by_source["functional"] == found.total - inherited
    assert found.by_source["fused"] == 0


def test_repeated_calls_are_told_apart() -> None:
    for stem in ("toy_dynamo", "toy_ts"):
        calls = {t.call for n, t in _tags(onnx.load(HIERARCHY / f"{stem}.onnx")) if t.module == "proj" and t.source == "exporter"}
        assert calls == {0, 1}, stem
    table = ModuleTable.of_model(onnx.load(HIERARCHY / "toy_dynamo.onnx"))
    assert table is not None and table.modules["proj"].calls == 2 and table.modules["norm"].calls == 1


def test_a_data_dependent_branch_falls_back_to_torchscript_fully_tagged() -> None:
    model = onnx.load(HIERARCHY / "branchy_auto.onnx")
    assert EXPECTED["branchy"]["auto"]["exporter"] == "torchscript"
    assert "data-dependent" in EXPECTED["branchy"]["auto"]["fallback_reason"]
    found = coverage(model)
    assert found.untagged == [] and found.unresolved == []
    assert {t.module for _, t in _tags(model) if t.source == "exporter"} >= {"proj", "head"}


def _untagged_copy(path: Path) -> onnx.ModelProto:
    """The file as the exporter wrote it: our keys and table removed (torch's own keys stay)."""
    model = onnx.load(path)
    for node in model.graph.node:
        kept = [e for e in node.metadata_props if e.key not in TAG_KEYS and not (
            e.key == NAMESPACE and path.stem.endswith("_ts"))]
        del node.metadata_props[:]
        node.metadata_props.extend(kept)
    kept = [e for e in model.metadata_props if e.key != MODULE_TABLE]
    del model.metadata_props[:]
    model.metadata_props.extend(kept)
    return model


@pytest.mark.parametrize("path", [f for f in FILES if f.stem != "branchy_auto"], ids=lambda p: p.stem)
def test_any_file_is_tagged_alike_without_the_live_module(path: Path) -> None:
    """What ``forgec`` does with a torch export someone else made: the same module paths from the exporter's
    records alone (TorchScript's scope names rebuilt into paths without ``named_modules()``)."""
    def seen(model: onnx.ModelProto) -> list[tuple[str, str, int]]:
        # the call index of a dynamo node comes from torch.export's program, which a file does not keep
        return [(n.name, t.module, t.call if path.stem.endswith("_ts") else 0) for n, t in _tags(model)
                if t.source != "inherited"]

    bare = _untagged_copy(path)
    tag_model(bare)
    assert seen(bare) == seen(onnx.load(path))


@pytest.mark.parametrize("name", ["bert", "gpt2", "llama", "vit", "whisper", "resnet", "resnet18"])
def test_parameters_read_off_initializers_match_pytorch(name: str) -> None:
    """Without the table (another exporter's file), parameters come from state-dict-named initializers: the
    dynamo export keeps them all, so every module's count is PyTorch's parameters and float buffers
    the graph reads (BatchNorm statistics, rotary frequencies: an ONNX file does not tell them apart) —
    tied weights once, where the exporter put them."""
    bare = _untagged_copy(HIERARCHY / f"{name}_dynamo.onnx")
    tag_model(bare)
    table = ModuleTable.of_model(bare)
    assert table is not None and table.params_from == "initializers"
    expected = EXPECTED[name]["modules"]
    tied = {p for p, m in expected.items() if m["params"] != sum(
        e["own_params"] for q, e in expected.items() if q == p or q.startswith(p + ".") or not p)}
    wrong = {p: (m.params, expected[p]["params"], expected[p]["float_buffers"]) for p, m in table.modules.items()
             if p in expected and p not in tied
             and not expected[p]["params"] <= m.params <= expected[p]["params"] + expected[p]["float_buffers"]}
    assert wrong == {}


@pytest.mark.parametrize("target", ["standard", "ort", "portable", "tensorrt"])
@pytest.mark.parametrize("name", ["bert_dynamo", "llama_dynamo", "whisper_dynamo", "gpt2_ts", "t5_ts", "resnet18_dynamo"])
def test_tags_survive_the_pipeline_for_every_target(name: str, target: str, tmp_path: Path) -> None:
    out = tmp_path / "out.onnx"
    result = subprocess.run([sys.executable, "-m", "onnxforge.cli.forgec", str(HIERARCHY / f"{name}.onnx"), "-o", str(out),
                             "--pipeline=transformer", f"--target={target}", "--verify-ir-each", "-q"],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    model = onnx.load(out)
    found = coverage(model)
    assert found.untagged == [] and found.unresolved == []
    assert len(model.graph.node) < len(onnx.load(HIERARCHY / f"{name}.onnx").graph.node)
    for node, tag in _tags(model):
        if tag.fused_modules:
            assert tag.module == common_ancestor(tag.fused_modules), node.name
    if name in ("bert_dynamo", "llama_dynamo") and target == "ort":
        attention = [t for n, t in _tags(model) if n.op_type in ("Attention", "MultiHeadAttention", "GroupQueryAttention")]
        layers = "encoder.layer" if name.startswith("bert") else "layers"
        assert [t.module for t in attention] == [f"{layers}.{i}.{'attention.self' if name.startswith('bert') else 'self_attn'}"
                                                 for i in range(2)]
