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

import mmap
import os
from dataclasses import dataclass, field
from pathlib import Path

from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message import DecodeError, Message
from onnx import ModelProto, TensorProto

from onnxforge.errors import ForgeError

_MODEL_GRAPH = 7
_GRAPH_INITIALIZER = 5
_TENSOR_RAW_DATA = 9
_LEN = 2


def _varint(buf: memoryview, pos: int, end: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        if pos >= end or shift > 63:
            raise DecodeError("truncated varint")
        byte = buf[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if byte < 0x80:
            return result, pos
        shift += 7


def encode_varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def field_key(number: int, wire_type: int) -> bytes:
    return encode_varint((number << 3) | wire_type)


def _fields(buf: memoryview, start: int, end: int):
    """Yield (field number, wire type, value start, value end, field start) of one message."""
    pos = start
    while pos < end:
        field_start = pos
        key, pos = _varint(buf, pos, end)
        number, wire_type = key >> 3, key & 7
        if wire_type == 0:
            _, value_end = _varint(buf, pos, end)
        elif wire_type == 1:
            value_end = pos + 8
        elif wire_type == 5:
            value_end = pos + 4
        elif wire_type == _LEN:
            length, pos = _varint(buf, pos, end)
            value_end = pos + length
        else:
            raise DecodeError(f"unsupported wire type {wire_type}")
        if value_end > end or number == 0:
            raise DecodeError("truncated message")
        yield number, wire_type, pos, value_end, field_start
        pos = value_end


def _strip_tensor(buf: memoryview, start: int, end: int) -> tuple[bytes, tuple[int, int] | None]:
    out, span = bytearray(), None
    for number, wire_type, vstart, vend, fstart in _fields(buf, start, end):
        if number == _TENSOR_RAW_DATA and wire_type == _LEN:
            span = (vstart, vend)
        else:
            out += buf[fstart:vend]
    return bytes(out), span


def _strip_graph(buf: memoryview, start: int, end: int, spans: list[tuple[int, int] | None]) -> bytes:
    out = bytearray()
    for number, wire_type, vstart, vend, fstart in _fields(buf, start, end):
        if number == _GRAPH_INITIALIZER and wire_type == _LEN:
            tensor, span = _strip_tensor(buf, vstart, vend)
            spans.append(span)
            out += field_key(number, _LEN) + encode_varint(len(tensor)) + tensor
        else:
            out += buf[fstart:vend]
    return bytes(out)


def strip_initializer_data(buf: memoryview) -> tuple[bytes, list[tuple[int, int] | None]]:
    """The model without main-graph initializer raw_data, and where each one's bytes are."""
    out, spans = bytearray(), []
    graphs = 0
    for number, wire_type, vstart, vend, fstart in _fields(buf, 0, len(buf)):
        if number == _MODEL_GRAPH and wire_type == _LEN and graphs == 0:
            graphs += 1
            graph = _strip_graph(buf, vstart, vend, spans)
            out += field_key(number, _LEN) + encode_varint(len(graph)) + graph
        else:
            out += buf[fstart:vend]
    return bytes(out), spans


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
        if os.path.isabs(location) or ".." in Path(location).parts:
            raise ForgeError(f"{where}: external data location {location!r} escapes the model directory")
        file = self.base_dir / location
        if location not in self._maps:
            if file.is_dir():
                raise ForgeError(f"{where}: external data {str(file)!r} is a directory, not a file")
            if not file.is_file():
                raise ForgeError(f"{where}: missing external data file {str(file)!r}")
            self._maps[location] = _map_file(file)
        whole = self._maps[location]
        offset = int(info.get("offset", 0))
        length = int(info["length"]) if "length" in info else len(whole) - offset
        if offset < 0 or length < 0 or offset + length > len(whole):
            raise ForgeError(f"{where}: external data file {str(file)!r} is too short")
        try:
            expected = expected_nbytes(tensor)
        except ValueError as err:
            raise ForgeError(f"{where}: {err}") from None
        if expected is not None and expected != length:
            raise ForgeError(f"{where}: external data holds {length} bytes, its shape needs {expected}")
        return whole[offset : offset + length]


_KNOWN_TYPES = set(TensorProto.DataType.values()) - {TensorProto.UNDEFINED}


def expected_nbytes(tensor: TensorProto) -> int | None:
    """Bytes a tensor's raw data must hold (None for strings); ValueError for an impossible tensor."""
    from onnxforge.ir.tensor import raw_nbytes

    if tensor.data_type not in _KNOWN_TYPES:
        raise ValueError(f"element type {tensor.data_type} is not a valid ONNX type")
    if any(d < 0 for d in tensor.dims):
        raise ValueError(f"negative dimension in shape {list(tensor.dims)}")
    if tensor.data_type == TensorProto.STRING:
        return None
    return raw_nbytes(tensor.data_type, tuple(tensor.dims))


class MappedFile(mmap.mmap):
    """A read-only file mapping that remembers its path, so a writer can copy
    ranges of it file-to-file in the kernel instead of through memory."""

    path: Path


def _map_file(path: Path) -> memoryview:
    with open(path, "rb") as handle:
        if os.fstat(handle.fileno()).st_size == 0:
            return memoryview(b"")
        mapping = MappedFile(handle.fileno(), 0, access=mmap.ACCESS_READ)
    mapping.path = path
    return memoryview(mapping)


def mapped_range(view: memoryview) -> tuple[MappedFile, int] | None:
    """(mapping, byte offset) when a buffer is a slice of a mapped model or data file."""
    owner = view.obj
    if not isinstance(owner, MappedFile):
        return None
    import numpy as np

    base = np.frombuffer(owner, dtype=np.uint8).ctypes.data
    return owner, np.frombuffer(view, dtype=np.uint8).ctypes.data - base


def load(path: str | os.PathLike[str]) -> LoadedModel:
    """Map and parse an ONNX file; every failure is a one-line ``ForgeError`` naming the file."""
    path = Path(path)
    if not path.exists():
        raise ForgeError(f"{path}: no such file")
    if path.is_dir():
        raise ForgeError(f"{path}: is a directory, not an ONNX model file")
    try:
        data = _map_file(path)
    except OSError as err:
        raise ForgeError(f"{path}: cannot read: {err.strerror}") from None
    if len(data) == 0:
        raise ForgeError(f"{path}: empty file, not an ONNX model")
    try:
        skeleton, spans = strip_initializer_data(data)
        proto = ModelProto()
        proto.ParseFromString(skeleton)
    except (DecodeError, IndexError, ValueError) as err:
        raise ForgeError(f"{path}: not a valid ONNX model (corrupt or truncated protobuf: {err})") from None
    if not proto.HasField("graph"):
        raise ForgeError(f"{path}: not a valid ONNX model (no graph)")
    if field_path := invalid_string_field(proto):
        raise ForgeError(f"{path}: not a valid ONNX model (string field {field_path} is not valid UTF-8)")
    initializer_data = [None if span is None else data[span[0] : span[1]] for span in spans]
    return LoadedModel(proto, initializer_data, path.parent, path)


def from_proto(proto: ModelProto, base_dir: str | os.PathLike[str] | None = None) -> LoadedModel:
    """Wrap an in-memory ModelProto (its bytes are read through protobuf; it is never modified)."""
    if field_path := invalid_string_field(proto):
        raise ForgeError(f"model: string field {field_path} is not valid UTF-8")
    return LoadedModel(proto, [None] * len(proto.graph.initializer), None if base_dir is None else Path(base_dir))


def release_pages(view: memoryview | None) -> None:
    """Drop the pages of a mapped weight from this process's resident set (the page cache keeps
    them; they map back in if read again). For weights a pass has read and replaced."""
    found = mapped_range(view) if view is not None else None
    if found is None:
        return
    mapping, start = found
    first = -(-start // mmap.PAGESIZE) * mmap.PAGESIZE
    end = (start + view.nbytes) // mmap.PAGESIZE * mmap.PAGESIZE  # type: ignore[union-attr]
    if end > first:
        mapping.madvise(mmap.MADV_DONTNEED, first, end - first)
