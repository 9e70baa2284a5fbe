"""Writing a model file atomically, streaming initializer bytes instead of building one huge proto.

Serializing a ModelProto with its weights costs the weights twice more (the
proto, then the serialized string). Protobuf lets a message's fields come in
any order, so the file is written as: the model's small fields, then a graph
field whose bytes are the graph's small fields followed by each initializer's
metadata and its ``raw_data`` written straight from its buffer (a view of the
input file). Peak memory is the metadata, not the weights.

Output goes to temporary files next to the target that are renamed into place
only when complete (and checked, with ``--verify``): a failure leaves no partial
output. ``destination`` says which paths may be written at all.
"""

from __future__ import annotations

import os
import re
import secrets
import stat
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from onnx import ModelProto, StringStringEntryProto, TensorProto

from onnxforge.errors import ForgeError
from onnxforge.onnxio.exporter import ExportedModel
from onnxforge.onnxio.loader import load
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
    protected: list[Path] = (),  # type: ignore[assignment]
    check: Callable[[Path | bytes], None] | None = None,
) -> list[Path]:
    """Write the model (and its external data file, if any) so that no reader ever sees a partial
    model, or a model with data that is not its own.

    ``external_data=None`` uses external data when the source tensors had it or
    when the model would pass protobuf's 2 GiB limit. ``protected`` files (the
    input model and its data files) are never replaced or removed: the weights are
    read from them while writing, and the input must stay intact. ``check`` gets the
    complete new model (a temporary path beside the output, or the bytes for a stream
    output) before anything is committed; if it raises, nothing is written.
    Returns the files written.

    The model/data pair: the data goes to a file name that no file has yet
    (``<name>.data``, or ``<name>.<8 hex>.data`` when that exists), created
    exclusively, so no model at the output path refers to it while it is written;
    then the new model, which names it, replaces the old one in one rename; then the
    old model's own data file is removed (only a name this writer would have made,
    and only a regular file). A reader that opens the output path therefore gets
    the old model with the old data or the new model with the new data; the data
    file's name alternates between the two forms from one write to the next.
    """
    path = Path(path)
    target = destination(path)
    proto, tensors = exported.proto, exported.tensors
    if any(same_file(path, source) for source in protected):
        raise ForgeError(f"{path}: refusing to overwrite a file of the input model")
    weight_bytes = sum(t.nbytes for t in tensors)
    if target.stream:
        if external_data:
            raise ForgeError(f"{path}: is not a regular file; external data needs one (give a file name, or --no-external-data)")
        external_data = False
    elif external_data is None:
        external_data = any(t.external_location for t in tensors) or weight_bytes + proto.ByteSize() > PROTOBUF_LIMIT
    data_file = _DataFile(path, target.mode) if external_data else None
    try:
        pieces_per_tensor, data_chunks = _layout(proto, tensors, data_file.name if data_file else None)
        skeleton = ModelProto()
        skeleton.CopyFrom(proto)
        del skeleton.graph.initializer[:]
        graph_head = skeleton.graph.SerializeToString()
        skeleton.ClearField("graph")
        graph_len = len(graph_head) + sum(_length(p) for pieces in pieces_per_tensor for p in pieces)
        if not external_data and graph_len > PROTOBUF_LIMIT:
            raise ForgeError(f"{path}: the model is over 2 GiB; write it with external data (to a regular file)")
        head = skeleton.SerializeToString() + field_key(7, 2) + encode_varint(graph_len) + graph_head
        if target.stream:
            _stream_model(path, head, pieces_per_tensor, check)
            return [path]
        old_data = _own_data_files(path, protected)
        temps: list[Path] = []
        copier = _Copier()
        try:
            if data_file is not None:
                data_file.write(data_chunks, copier)
            model_temp = _temp_beside(path, temps, target.mode)
            with open(model_temp, "r+b") as out:
                out.write(head)
                for pieces in pieces_per_tensor:
                    for piece in pieces:
                        copier.write(out, piece)
            if check is not None:
                check(model_temp)
            os.replace(model_temp, path)
            if data_file is not None:
                data_file.committed = True
        except OSError as err:
            raise ForgeError(f"{path}: cannot write: {err.strerror or err}") from None
        finally:
            copier.close()
            for temp in temps:
                temp.unlink(missing_ok=True)
        for old in old_data - ({data_file.name} if data_file else set()):
            (path.parent / old).unlink(missing_ok=True)
    finally:
        if data_file is not None:
            data_file.discard()
    return [path] + ([path.parent / data_file.name] if data_file and data_file.written else [])


def _layout(proto: ModelProto, tensors: list, location: str | None):  # type: ignore[no-untyped-def]
    """Each initializer's encoded pieces (raw bytes inline, or external metadata when ``location``)
    and the (offset, bytes) chunks of the data file."""
    pieces_per_tensor: list[list[bytes | memoryview]] = []
    data_chunks: list[tuple[int, memoryview]] = []
    offset = 0
    for meta, value in zip(proto.graph.initializer, tensors):
        meta = TensorProto.FromString(meta.SerializeToString())
        payload = value.raw
        if value.strings is not None:
            meta.string_data.extend(value.strings)
            payload = None
        elif location is not None and value.nbytes >= EXTERNAL_THRESHOLD:
            offset = (offset + _ALIGN - 1) // _ALIGN * _ALIGN
            meta.data_location = TensorProto.EXTERNAL
            meta.external_data.extend(
                StringStringEntryProto(key=k, value=v)
                for k, v in (("location", location), ("offset", str(offset)), ("length", str(value.nbytes)))
            )
            data_chunks.append((offset, value.raw))
            offset += value.nbytes
            payload = None
        pieces_per_tensor.append(_tensor_field(meta, payload))
    return pieces_per_tensor, data_chunks


class _DataFile:
    """The new external data file: a name no file has, created exclusively beside the model (never
    through a link), removed again unless the model that names it was committed."""

    def __init__(self, model: Path, mode: int | None) -> None:
        self.directory = model.parent
        self.committed = self.written = False
        candidates = [f"{model.name}.data"] + [f"{model.name}.{secrets.token_hex(4)}.data" for _ in range(16)]
        for name in candidates:
            try:
                fd = os.open(self.directory / name, os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
            except FileExistsError:
                continue
            except OSError as err:
                raise ForgeError(f"{self.directory / name}: cannot write: {err.strerror}") from None
            os.fchmod(fd, _new_file_mode() if mode is None else mode)
            os.close(fd)
            self.name = name
            return
        raise ForgeError(f"{model}: cannot find a free name for its external data file")

    def write(self, chunks: list[tuple[int, memoryview]], copier: _Copier) -> None:
        with open(self.directory / self.name, "r+b") as out:  # no O_TRUNC: ext4 would flush on close
            for start, chunk in chunks:
                out.seek(start)
                copier.write(out, chunk)
        self.written = True

    def discard(self) -> None:
        if not self.committed:
            (self.directory / self.name).unlink(missing_ok=True)


def _own_data_files(path: Path, protected: list[Path]) -> set[str]:
    """The data files of the model now at ``path`` that a previous write made (``<name>.data`` or
    ``<name>.<8 hex>.data``, regular files, not the input's): removed once the new model is in place."""
    pattern = re.compile(re.escape(path.name) + r"(\.[0-9a-f]{8})?\.data")
    try:
        old = load(path).proto
    except (ForgeError, OSError):
        return set()
    names = set()
    for tensor in old.graph.initializer:
        location = next((e.value for e in tensor.external_data if e.key == "location"), "")
        file = path.parent / location
        if pattern.fullmatch(location) and os.path.isfile(file) and not os.path.islink(file):
            if not any(same_file(file, source) for source in protected):
                names.add(location)
    return names


def _stream_model(path: Path, head: bytes, pieces_per_tensor: list[list[bytes | memoryview]],
                  check: Callable[[Path | bytes], None] | None) -> None:
    """Write the whole model into a character device or FIFO, in place (see ``destination``).

    The model is put together in memory first, so a failure while building or checking it
    writes nothing; only an error of the stream itself can leave part of it there."""
    buffer = bytearray(head)
    for pieces in pieces_per_tensor:
        for piece in pieces:
            buffer += piece
    if check is not None:
        check(bytes(buffer))
    _write_stream(path, buffer)


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
    """Write a text file (printed IR, a report) like the model files: atomically, keeping the
    permission bits of the file it replaces, never through a link, in place into a stream."""
    path = Path(path)
    target = destination(path)
    if target.stream:
        _write_stream(path, text.encode())
        return
    temps: list[Path] = []
    try:
        _temp_beside(path, temps, target.mode).write_text(text)
        os.replace(temps[0], path)
    except OSError as err:
        raise ForgeError(f"{path}: cannot write: {err.strerror or err}") from None
    finally:
        for temp in temps:
            temp.unlink(missing_ok=True)


@dataclass(frozen=True)
class Destination:
    """What writing to a path means."""

    stream: bool
    """A character device or FIFO: written in place, front to back."""
    mode: int | None
    """Permission bits of the regular file that will be replaced (None: a new file)."""


def destination(path: Path) -> Destination:
    """Check an output path before any work; ``ForgeError`` for one that must not be written.

    A symbolic link is refused: replacing it would drop the link the user made, writing
    through it would write wherever it points (a model can come with links). A regular file
    is replaced by a rename, keeping its permission bits. A character device or FIFO is
    written in place, never replaced: ``-o /dev/null`` is the usual way to compile and
    discard (and a rename over it, as root, would replace the device with a file), and a
    FIFO is a reader waiting for the bytes. Block devices, sockets and directories are refused.
    """
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return Destination(False, None)
    except OSError as err:
        raise ForgeError(f"{path}: cannot write: {err.strerror}") from None
    kind = info.st_mode
    if stat.S_ISLNK(kind):
        raise ForgeError(f"{path}: is a symbolic link; refusing to write through it (name the file itself)")
    if stat.S_ISDIR(kind):
        raise ForgeError(f"{path}: is a directory")
    if stat.S_ISREG(kind):
        return Destination(False, stat.S_IMODE(kind))
    if stat.S_ISCHR(kind) or stat.S_ISFIFO(kind):
        return Destination(True, None)
    what = "block device" if stat.S_ISBLK(kind) else "socket" if stat.S_ISSOCK(kind) else "special file"
    raise ForgeError(f"{path}: is a {what}; refusing to write to it")


def _write_stream(path: Path, data: bytes | bytearray) -> None:
    """Write into an existing character device or FIFO: opened without O_CREAT or following a
    link, so if it vanished or changed since ``destination`` nothing new appears in its place."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_NOFOLLOW | os.O_NOCTTY | os.O_CLOEXEC)
    except OSError as err:
        raise ForgeError(f"{path}: cannot write: {err.strerror}") from None
    with os.fdopen(fd, "wb") as out:
        if not (stat.S_ISCHR(os.fstat(fd).st_mode) or stat.S_ISFIFO(os.fstat(fd).st_mode)):
            raise ForgeError(f"{path}: changed while compiling; not written")
        try:
            out.write(data)
            out.flush()
        except OSError as err:
            raise ForgeError(f"{path}: cannot write: {err.strerror or err}") from None


def _new_file_mode() -> int:
    """The permission bits a plainly created file gets (0666 less the umask)."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def _temp_beside(target: Path, temps: list[Path], mode: int | None = None) -> Path:
    """A new temporary file in the target's directory (so the final rename is atomic), with the
    permission bits of the file it will replace, or those a plainly created file would get
    (mkstemp makes it 0600)."""
    handle, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    temps.append(Path(name))
    os.fchmod(handle, _new_file_mode() if mode is None else mode)
    os.close(handle)
    return temps[-1]


def _length(piece: bytes | memoryview) -> int:
    return piece.nbytes if isinstance(piece, memoryview) else len(piece)
