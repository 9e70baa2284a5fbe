"""Reading ONNX files without copying their weights.

protobuf's Python API copies every ``raw_data`` field it touches and keeps the
whole parsed message in one arena, so ``onnx.load`` of BERT-base holds its
440 MB of weights twice before we could even look at them. Instead the file is
memory-mapped, the wire format is scanned to locate each main-graph
initializer's ``raw_data`` bytes, and only a *skeleton* (the model with those
fields cut out: a few hundred kB) is parsed by protobuf. Each initializer then
becomes a zero-copy ``memoryview`` of the mapping; external data files are
mapped the same way.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message import DecodeError, Message
from onnx import ModelProto, TensorProto

from onnxforge.errors import ForgeError
from onnxforge.onnxio.weights import UnsafeLocation, expected_nbytes, map_fd, map_file, open_contained
from onnxforge.onnxio.wire import strip_initializer_data


def invalid_string_field(message: Message, path: str = "") -> str | None:
    """The path of the first string field that is not valid UTF-8 (protobuf hands those over as bytes)."""
    for descriptor, value in message.ListFields():
        values = value if descriptor.is_repeated else (value,)
        if descriptor.type == FieldDescriptor.TYPE_STRING:
            if any(not isinstance(v, str) for v in values):
                return f"{path}{descriptor.name}"
        elif descriptor.type == FieldDescriptor.TYPE_MESSAGE:
            for index, item in enumerate(values):
                where = f"{path}{descriptor.name}[{index}]." if descriptor.is_repeated else f"{path}{descriptor.name}."
                if found := invalid_string_field(item, where):
                    return found
    return None


@dataclass
class LoadedModel:
    """A parsed model whose main-graph initializer bytes live outside the proto."""

    proto: ModelProto
    initializer_data: list[memoryview | None]
    """Raw bytes per ``proto.graph.initializer`` entry, None where the proto holds them itself."""
    base_dir: Path | None
    path: Path | None = None
    _maps: dict[str, memoryview] = field(default_factory=dict)

    @property
    def source_files(self) -> list[Path]:
        """The model file and every external data file read so far (outputs must not replace them)."""
        files = [] if self.path is None else [self.path]
        if self.base_dir is not None:
            files += [self.base_dir / location for location in self._maps]
        return files

    def resolve_external(self, tensor: TensorProto) -> memoryview:
        """The bytes of an external-data tensor, mapped from its file (never read into memory)."""
        info = {e.key: e.value for e in tensor.external_data}
        location = info.get("location")
        where = f"{self.path or 'model'}: tensor {tensor.name!r}"
        if not location:
            raise ForgeError(f"{where} has external data without a location")
        if self.base_dir is None:
            raise ForgeError(f"{where} has external data {location!r} but the model was not read from a file")
        file = self.base_dir / location
        if location not in self._maps:
            try:
                fd = open_contained(self.base_dir, location)
            except UnsafeLocation as err:
                raise ForgeError(f"{where}: external data location {location!r} {err}; refusing to read it") from None
            except FileNotFoundError:
                raise ForgeError(f"{where}: missing external data file {str(file)!r}") from None
            except OSError as err:
                raise ForgeError(f"{where}: cannot read external data file {str(file)!r}: {err.strerror}") from None
            try:
                self._maps[location] = map_fd(fd, file)
            finally:
                os.close(fd)
        whole = self._maps[location]
        try:
            offset = int(info.get("offset", 0))
            length = int(info["length"]) if "length" in info else len(whole) - offset
        except ValueError:
            raise ForgeError(f"{where}: external data offset or length is not an integer") from None
        if offset < 0 or length < 0 or offset + length > len(whole):
            raise ForgeError(f"{where}: external data file {str(file)!r} is too short")
        try:
            expected = expected_nbytes(tensor)
        except ValueError as err:
            raise ForgeError(f"{where}: {err}") from None
        if expected is not None and expected != length:
            raise ForgeError(f"{where}: external data holds {length} bytes, its shape needs {expected}")
        return whole[offset : offset + length]


def load(path: str | os.PathLike[str]) -> LoadedModel:
    """Map and parse an ONNX file; every failure is a one-line ``ForgeError`` naming the file."""
    path = Path(path)
    if not path.exists():
        raise ForgeError(f"{path}: no such file")
    if path.is_dir():
        raise ForgeError(f"{path}: is a directory, not an ONNX model file")
    try:
        data = map_file(path)
    except OSError as err:
        raise ForgeError(f"{path}: cannot read: {err.strerror}") from None
    if len(data) == 0:
        raise ForgeError(f"{path}: empty file, not an ONNX model")
    return _parse(data, str(path), path.parent, path)


def from_bytes(data: bytes | memoryview, label: str = "model") -> LoadedModel:
    """Parse a serialized model held in memory (an exporter's buffer) as ``load`` parses a file: only the
    skeleton goes through protobuf, each initializer's raw bytes stay views of ``data``."""
    return _parse(memoryview(data), label, None, None)


def _parse(data: memoryview, label: str, base_dir: Path | None, path: Path | None) -> LoadedModel:
    try:
        skeleton, spans = strip_initializer_data(data)
        proto = ModelProto()
        proto.ParseFromString(skeleton)
    except (DecodeError, IndexError, ValueError) as err:
        raise ForgeError(f"{label}: not a valid ONNX model (corrupt or truncated protobuf: {err})") from None
    if not proto.HasField("graph"):
        raise ForgeError(f"{label}: not a valid ONNX model (no graph)")
    if field_path := invalid_string_field(proto):
        raise ForgeError(f"{label}: not a valid ONNX model (string field {field_path} is not valid UTF-8)")
    initializer_data = [None if span is None else data[span[0] : span[1]] for span in spans]
    return LoadedModel(proto, initializer_data, base_dir, path)


def from_proto(proto: ModelProto, base_dir: str | os.PathLike[str] | None = None) -> LoadedModel:
    """Wrap an in-memory ModelProto (its bytes are read through protobuf; it is never modified)."""
    if field_path := invalid_string_field(proto):
        raise ForgeError(f"model: string field {field_path} is not valid UTF-8")
    return LoadedModel(proto, [None] * len(proto.graph.initializer), None if base_dir is None else Path(base_dir))
