"""Writing a model file atomically, streaming initializer bytes instead of building one huge proto.

Serializing a ModelProto with its weights costs the weights twice more (the
proto, then the serialized string). Protobuf lets a message's fields come in
any order, so the file is written as: the model's small fields, then a graph
field whose bytes are the graph's small fields followed by each initializer's
metadata and its ``raw_data`` written straight from its buffer (a view of the
input file). Peak memory is the metadata, not the weights.

Output goes to temporary files next to the target that are renamed into place
only when complete: a failure leaves no partial output.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import BinaryIO

from onnx import ModelProto, StringStringEntryProto, TensorProto

from onnxforge.errors import ForgeError
from onnxforge.onnxio.exporter import ExportedModel
from onnxforge.onnxio.weights import MappedFile, mapped_range
from onnxforge.onnxio.wire import encode_varint, field_key

PROTOBUF_LIMIT = 2**31 - 1
"""A single protobuf message cannot exceed 2 GiB: bigger models need external data."""
EXTERNAL_THRESHOLD = 1024
"""Tensors smaller than this stay inside the model file when writing external data (as onnx does)."""
_ALIGN = 4096


def _tensor_field(meta: TensorProto, payload: memoryview | None) -> list[bytes | memoryview]:
    """Encoded initializer (GraphProto field 5) with its raw_data (TensorProto field 9) appended."""
    head = meta.SerializeToString()
    if payload is None:
        body_len = len(head)
        tail: list[bytes | memoryview] = []
    else:
        raw_key = field_key(9, 2) + encode_varint(payload.nbytes)
        body_len = len(head) + len(raw_key) + payload.nbytes
        tail = [raw_key, payload]
    return [field_key(5, 2), encode_varint(body_len), head, *tail]


def write_model(
    exported: ExportedModel,
    path: str | os.PathLike[str],
    external_data: bool | None = None,
    location: str | None = None,
    protected: list[Path] = (),  # type: ignore[assignment]
) -> list[Path]:
    """Write the model (and its external data file ``<name>.data``, if any) atomically.

    ``external_data=None`` uses external data when the source tensors had it or
    when the model would pass protobuf's 2 GiB limit. ``protected`` files (the
    input model and its data files) are never replaced: the weights are read
    from them while writing, and the input must stay intact. Returns the files written.
    """
    path = Path(path)
    proto, tensors = exported.proto, exported.tensors
    weight_bytes = sum(t.nbytes for t in tensors)
    if external_data is None:
        external_data = any(t.external_location for t in tensors) or weight_bytes + proto.ByteSize() > PROTOBUF_LIMIT
    if external_data:
        location = location or f"{path.name}.data"
        if Path(location).name != location:
            raise ForgeError(f"external data location {location!r} must be a plain file name")
    targets = [path] + ([path.parent / location] if external_data else [])  # type: ignore[operator]
    for target in targets:
        if any(same_file(target, source) for source in protected):
            raise ForgeError(f"{target}: refusing to overwrite a file of the input model")
    pieces_per_tensor: list[list[bytes | memoryview]] = []
    data_chunks: list[tuple[int, memoryview]] = []
    offset = 0
    for meta, value in zip(proto.graph.initializer, tensors):
        meta = TensorProto.FromString(meta.SerializeToString())
        payload = value.raw
        if value.strings is not None:
            meta.string_data.extend(value.strings)
            payload = None
        elif external_data and value.nbytes >= EXTERNAL_THRESHOLD:
            offset = (offset + _ALIGN - 1) // _ALIGN * _ALIGN
            meta.data_location = TensorProto.EXTERNAL
            meta.external_data.extend(
                StringStringEntryProto(key=k, value=v)
                for k, v in (("location", location), ("offset", str(offset)), ("length", str(value.nbytes)))
            )
            data_chunks.append((offset, value.raw))  # type: ignore[arg-type]
            offset += value.nbytes
            payload = None
        pieces_per_tensor.append(_tensor_field(meta, payload))
    skeleton = ModelProto()
    skeleton.CopyFrom(proto)
    del skeleton.graph.initializer[:]
    graph_head = skeleton.graph.SerializeToString()
    skeleton.ClearField("graph")
    graph_len = len(graph_head) + sum(_length(p) for pieces in pieces_per_tensor for p in pieces)
    if not external_data and graph_len > PROTOBUF_LIMIT:
        raise ForgeError(f"{path}: the model is over 2 GiB; write it with external data")
    temps: list[Path] = []
    copier = _Copier()
    try:
        model_temp = _temp_beside(path, temps)
        if data_chunks:
            data_path = path.parent / location  # type: ignore[operator]
            with open(_temp_beside(data_path, temps), "r+b") as out:  # no O_TRUNC: ext4 would flush on close
                for start, chunk in data_chunks:
                    out.seek(start)
                    copier.write(out, chunk)
        with open(model_temp, "r+b") as out:
            out.write(skeleton.SerializeToString())
            out.write(field_key(7, 2) + encode_varint(graph_len))
            out.write(graph_head)
            for pieces in pieces_per_tensor:
                for piece in pieces:
                    copier.write(out, piece)
        if data_chunks:
            os.replace(temps[1], data_path)
        os.replace(model_temp, path)
    except OSError as err:
        raise ForgeError(f"{path}: cannot write: {err.strerror or err}") from None
    finally:
        copier.close()
        for temp in temps:
            temp.unlink(missing_ok=True)
    return [path, data_path] if data_chunks else [path]


class _Copier:
    """Writes buffers to a file; a slice of a mapped input file is copied file-to-file by the
    kernel (``copy_file_range``), never touching this process's memory."""

    def __init__(self) -> None:
        self.sources: dict[Path, int] = {}

    def write(self, out: BinaryIO, piece: bytes | memoryview) -> None:
        found = mapped_range(piece) if isinstance(piece, memoryview) and piece.nbytes >= 1 << 16 else None
        if found is None or not hasattr(os, "copy_file_range"):
            out.write(piece)
            return
        mapping, offset = found
        source = self.sources.get(mapping.path)
        if source is None:
            source = self.sources[mapping.path] = self._reopen(mapping)
        if source < 0:
            out.write(piece)
            return
        out.flush()
        position, done = out.tell(), 0
        try:
            while done < piece.nbytes:
                copied = os.copy_file_range(source, out.fileno(), piece.nbytes - done, offset + done, position + done)
                if copied == 0:
                    break
                done += copied
        except OSError:
            pass  # a file system without in-kernel copies: finish through memory
        out.seek(position + done)
        if done < piece.nbytes:
            out.write(piece[done:])

    @staticmethod
    def _reopen(mapping: MappedFile) -> int:
        """A descriptor of the mapped file, or -1 (copy through memory) when its path no longer
        names the file that was mapped: never copy from whatever a link swapped in since."""
        try:
            fd = os.open(mapping.path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
        except OSError:
            return -1
        info = os.fstat(fd)
        if (info.st_dev, info.st_ino) != mapping.identity:
            os.close(fd)
            return -1
        return fd

    def close(self) -> None:
        for fd in self.sources.values():
            if fd >= 0:
                os.close(fd)


def same_file(a: Path, b: Path) -> bool:
    """Whether two paths name the same file (same path, or links to one inode)."""
    try:
        return a.resolve() == b.resolve() or (a.exists() and b.exists() and os.path.samefile(a, b))
    except OSError:
        return False


def write_text(path: Path, text: str) -> None:
    """Write a text file (printed IR) atomically, like the model files."""
    temps: list[Path] = []
    try:
        _temp_beside(path, temps).write_text(text)
        os.replace(temps[0], path)
    except OSError as err:
        raise ForgeError(f"{path}: cannot write: {err.strerror or err}") from None
    finally:
        for temp in temps:
            temp.unlink(missing_ok=True)


def _temp_beside(target: Path, temps: list[Path]) -> Path:
    """A new temporary file in the target's directory (so the final rename is atomic),
    with the permissions a plainly created file would get (mkstemp makes it 0600)."""
    handle, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    umask = os.umask(0)
    os.umask(umask)
    os.fchmod(handle, 0o666 & ~umask)
    os.close(handle)
    temps.append(Path(name))
    return temps[-1]


def _length(piece: bytes | memoryview) -> int:
    return piece.nbytes if isinstance(piece, memoryview) else len(piece)
