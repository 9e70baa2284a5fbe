"""Weights that stay in their files: read-only mappings, their ranges, and their expected sizes.

Every initializer of a loaded model is a zero-copy view of a mapping of the
model file or of an external data file; the writer copies ranges of those
mappings file to file, and a pass that replaced a weight drops its pages.
"""

from __future__ import annotations

import dataclasses
import errno
import mmap
import os
import stat
import tempfile
from pathlib import Path

from onnx import TensorProto

from onnxforge.ir.tensor import TensorValue, raw_nbytes

_KNOWN_TYPES = set(TensorProto.DataType.values()) - {TensorProto.UNDEFINED}


def expected_nbytes(tensor: TensorProto) -> int | None:
    """Bytes a tensor's raw data must hold (None for strings); ValueError for an impossible tensor."""
    if tensor.data_type not in _KNOWN_TYPES:
        raise ValueError(f"element type {tensor.data_type} is not a valid ONNX type")
    if any(d < 0 for d in tensor.dims):
        raise ValueError(f"negative dimension in shape {list(tensor.dims)}")
    if tensor.data_type == TensorProto.STRING:
        return None
    return raw_nbytes(tensor.data_type, tuple(tensor.dims))


class MappedFile(mmap.mmap):
    """A read-only file mapping that remembers its path and inode, so a writer can copy
    ranges of it file-to-file in the kernel instead of through memory (after checking
    that the path still names the file that was mapped)."""

    path: Path
    identity: tuple[int, int]
    """(st_dev, st_ino) of the mapped file."""


def map_file(path: Path) -> memoryview:
    with open(path, "rb") as handle:
        return map_fd(handle.fileno(), path)


def map_fd(fd: int, path: Path) -> memoryview:
    """Map an open file read-only (the caller keeps and closes ``fd``; the mapping outlives it)."""
    info = os.fstat(fd)
    if info.st_size == 0:
        return memoryview(b"")
    mapping = MappedFile(fd, 0, access=mmap.ACCESS_READ)
    mapping.path = path
    mapping.identity = (info.st_dev, info.st_ino)
    return memoryview(mapping)


class UnsafeLocation(Exception):
    """An external data location that must not be read; the message says why."""


def open_contained(base_dir: Path, location: str) -> int:
    """A read-only descriptor of the regular file ``base_dir/location``, opened the way onnx's own
    loader opens external data (``openat2`` with ``RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS``, then a
    hard-link check): the location is relative and has no ``..``; no component below ``base_dir`` is
    a symbolic link (each is opened with ``O_NOFOLLOW`` relative to its parent's descriptor, so a
    link swapped in after a check is refused too); the file is regular and has one link.

    A model names its data files itself, so without these rules a downloaded model could make us
    read (and copy into the output, the IR and the reports) any file the user can read: through a
    symbolic link to ``~/.ssh/id_rsa``, or a hard link to it, which no path check can see.
    Raises ``UnsafeLocation`` for a refused location, ``FileNotFoundError`` for a missing one.
    """
    if not location or os.path.isabs(location):
        raise UnsafeLocation("is not a relative path inside the model directory")
    parts = [part for part in location.split("/") if part not in ("", ".")]
    if ".." in parts or not parts:
        raise UnsafeLocation("escapes the model directory")
    fd = os.open(base_dir, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        for index, part in enumerate(parts):
            last = index == len(parts) - 1
            flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC | (os.O_NONBLOCK if last else os.O_DIRECTORY)
            try:
                child = os.open(part, flags, dir_fd=fd)
            except OSError as err:
                if err.errno in (errno.ELOOP, errno.ENOTDIR, errno.EMLINK) and os.path.islink(base_dir.joinpath(*parts[: index + 1])):
                    raise UnsafeLocation(f"goes through the symbolic link {'/'.join(parts[: index + 1])!r}") from None
                raise
            os.close(fd)
            fd = child
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise UnsafeLocation("is a directory, not a file")
        if not stat.S_ISREG(info.st_mode):
            raise UnsafeLocation("is not a regular file")
        if info.st_nlink > 1:
            raise UnsafeLocation(f"has {info.st_nlink} hard links (it could be a link to a file outside the model directory)")
    except BaseException:
        os.close(fd)
        raise
    return fd


def mapped_range(view: memoryview) -> tuple[MappedFile, int] | None:
    """(mapping, byte offset) when a buffer is a slice of a mapped model or data file."""
    owner = view.obj
    if not isinstance(owner, MappedFile):
        return None
    import numpy as np

    base = np.frombuffer(owner, dtype=np.uint8).ctypes.data
    return owner, np.frombuffer(view, dtype=np.uint8).ctypes.data - base




SPILL_BYTES = 1 << 24
"""Weights a pass computes from this size on (16 MiB) go to a scratch file (``spill``)."""


def spill(value: TensorValue) -> TensorValue:
    """``value`` with its bytes moved out of anonymous memory into an unlinked scratch file mapped back
    read-only, when it is a computed weight of ``SPILL_BYTES`` or more (else ``value`` itself).

    Why: a pass that computes weights (a folded ``Transpose(W)``: the TorchScript exporter writes every
    linear layer that way; concatenated Q/K/V) would otherwise hold each result in anonymous memory
    until the writer streams it out — a 7B model's whole weights (14 GB) on a 24 GB machine. Mapped
    from a file, the pages are the page cache's: written back and dropped under pressure, read again
    when the writer copies them. The file is unlinked at once (nothing is left behind, whatever
    happens to the process) in the system's temporary directory.
    """
    raw = value.raw
    if raw is None or raw.nbytes < SPILL_BYTES or mapped_range(raw) is not None:
        return value
    fd, name = tempfile.mkstemp(prefix="onnxforge-", suffix=".weight")
    try:
        os.unlink(name)
        view = memoryview(raw).cast("B")
        done = 0
        while done < view.nbytes:
            done += os.write(fd, view[done:done + (1 << 26)])
        mapped = map_fd(fd, Path(name))
    finally:
        os.close(fd)
    return dataclasses.replace(value, raw=mapped)


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
