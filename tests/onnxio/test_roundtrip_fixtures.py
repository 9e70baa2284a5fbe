"""Every committed fixture (real HF architectures, both torch exporters) round-trips losslessly.

File → IR → file gives bit-identical onnxruntime outputs, keeps every name,
initializer byte, symbolic dim name and metadata entry; and the printed IR parses back to the
same IR. The only addition is the import's module tags (``onnxio.hierarchy``), which the torch
exports get: the output equals the input with those tags written, and keeps every entry it had.
"""

from __future__ import annotations

from pathlib import Path

import onnx
from paths import FIXTURES

from onnxforge.compiler import to_ir
from onnxforge.dialects.context import parse_ir
from onnxforge.ir.text import print_ir
from onnxforge.onnxio.exporter import export_model, to_model_proto
from onnxforge.onnxio.hierarchy import has_hierarchy, tag_model
from onnxforge.onnxio.loader import load
from onnxforge.onnxio.writer import write_model
from onnxforge.runtime import verify


def _signature(model: onnx.ModelProto) -> dict:  # type: ignore[type-arg]
    graph = model.graph
    return {
        "inputs": [(i.name, i.type.SerializeToString()) for i in graph.input],
        "outputs": [(o.name, o.type.SerializeToString()) for o in graph.output],
        "initializers": {t.name: (t.data_type, tuple(t.dims), t.raw_data) for t in graph.initializer},
        "nodes": [(n.name, n.op_type, n.domain, list(n.input), list(n.output)) for n in graph.node],
        "attributes": [sorted(a.SerializeToString() for a in n.attribute) for n in graph.node],
        "node_metadata": [[(p.key, p.value) for p in n.metadata_props] for n in graph.node],
        "value_info": sorted((v.name, v.type.SerializeToString()) for v in graph.value_info),
        "opsets": [(o.domain, o.version) for o in model.opset_import],
        "producer": (model.producer_name, model.producer_version, model.ir_version),
        "metadata": [(p.key, p.value) for p in model.metadata_props],
    }


def test_fixture_round_trip_is_lossless(fixture_model: Path, tmp_path: Path) -> None:
    out = tmp_path / "out.onnx"
    write_model(export_model(to_ir(load(fixture_model))), out)
    original, result = onnx.load(fixture_model), onnx.load(out)
    for before, after in zip(original.graph.node, result.graph.node, strict=True):
        kept = [(p.key, p.value) for p in after.metadata_props]
        assert [(p.key, p.value) for p in before.metadata_props] == kept[:len(before.metadata_props)]
    assert has_hierarchy(original), "every fixture is a torch export"
    tag_model(original)
    assert _signature(result) == _signature(original)
    onnx.checker.check_model(result, full_check=True)
    report = verify(fixture_model, out)
    assert report.identical, report.summary()
    assert report.dims, "fixtures have symbolic dims: the verification must bind them"


def test_fixture_ir_text_round_trips(fixture_model: Path) -> None:
    module = to_ir(load(fixture_model))
    text = print_ir(module)
    reparsed = parse_ir(text)
    reparsed.verify()
    assert print_ir(reparsed) == text
    assert "elided" in text or fixture_model.stat().st_size < 20_000


def test_ir_with_weights_exports_the_same_model(tmp_path: Path) -> None:
    fixture = FIXTURES / "bert_ts.onnx"
    text = print_ir(to_ir(load(fixture)), weights=True)
    assert "elided" not in text
    model = to_model_proto(parse_ir(text))
    original = onnx.load(fixture)
    tag_model(original)
    assert _signature(model) == _signature(original)
    out = tmp_path / "from_text.onnx"
    onnx.save(model, out)
    assert verify(fixture, out).identical
