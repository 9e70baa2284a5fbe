"""Weights that stay in their files: read-only mappings, their ranges, and their expected sizes.

Every initializer of a loaded model is a zero-copy view of a mapping of the
model file or of an external data file; the writer copies ranges of those
mappings file to file, and a pass that replaced a weight drops its pages.
"""

from __future__ import annotations

import mmap
import os
from pathlib import Path

from onnx import TensorProto

from onnxforge.ir.tensor import raw_nbytes

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
    """A read-only file mapping that remembers its path, so a writer can copy
    ranges of it file-to-file in the kernel instead of through memory."""

    path: Path


def map_file(path: Path) -> memoryview:
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
