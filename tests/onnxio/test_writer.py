"""The streaming writer: models past protobuf's limit go to external data on their own."""

from __future__ import annotations

from pathlib import Path

import onnx
import pytest
from paths import FIXTURES

from onnxforge.compiler import to_ir
from onnxforge.onnxio import writer
from onnxforge.onnxio.exporter import export_model
from onnxforge.onnxio.loader import load
from onnxforge.runtime import verify

FIXTURE = FIXTURES / "gpt2_ts.onnx"


def test_model_over_the_protobuf_limit_is_written_with_external_data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(writer, "PROTOBUF_LIMIT", 200_000)  # stands in for 2 GiB (the file is 270 KB, its graph 120 KB)
    out = tmp_path / "big.onnx"
    written = writer.write_model(export_model(to_ir(load(FIXTURE))), out)
    assert written == [out, tmp_path / "big.onnx.data"]
    skeleton = onnx.load(out, load_external_data=False)
    assert any(t.data_location == onnx.TensorProto.EXTERNAL for t in skeleton.graph.initializer)
    assert out.stat().st_size < 200_000
    assert verify(FIXTURE, out).identical


def test_embedded_model_over_the_limit_is_refused_not_truncated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(writer, "PROTOBUF_LIMIT", 100_000)
    with pytest.raises(writer.ForgeError, match="2 GiB"):
        writer.write_model(export_model(to_ir(load(FIXTURE))), tmp_path / "big.onnx", external_data=False)
    assert list(tmp_path.iterdir()) == []


def test_a_model_parsed_from_memory_keeps_its_weights_as_views_and_writes_back_whole(tmp_path: Path) -> None:
    """``loader.from_bytes`` (``onnxforge.export``'s TorchScript buffer): only the skeleton is parsed, each
    initializer's bytes are a view of the buffer, and the writer streams them back to an equal model."""
    from onnxforge.onnxio.exporter import ExportedModel
    from onnxforge.onnxio.loader import from_bytes
    from onnxforge.onnxio.proto import initializer_value

    original = onnx.load(FIXTURES / "bert_ts.onnx")
    buffer = bytearray(original.SerializeToString())
    loaded = from_bytes(buffer)
    assert all(not t.raw_data for t in loaded.proto.graph.initializer)
    views = [v for v in loaded.initializer_data if v is not None]
    assert views and all(v.obj is buffer for v in views)  # views of the buffer, not copies
    loaded.proto.graph.node[0].metadata_props.add(key="k", value="v")  # what tagging changes
    tensors = [initializer_value(t, raw) for t, raw in zip(loaded.proto.graph.initializer, loaded.initializer_data)]
    writer.write_model(ExportedModel(loaded.proto, tensors), tmp_path / "out.onnx")
    written = onnx.load(tmp_path / "out.onnx")
    assert [t.SerializeToString() for t in written.graph.initializer] == [t.SerializeToString() for t in original.graph.initializer]
    assert written.graph.node[0].metadata_props[-1].value == "v"
    assert verify(original, written).identical
