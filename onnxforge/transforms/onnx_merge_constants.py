"""``onnx-merge-constants``: byte-identical initializers and Constant ops become one value.

Identity: a constant is a pure function of its element type, dims and bytes,
so two constants equal in all three are interchangeable; the uses of a later
one move to the first, which dominates it (earlier in the same graph, or in
an enclosing graph before the op holding the subgraph).

Cheap first: constants are grouped by (element type, dims, byte count, a
sample of 64 bytes from each end), so distinct weights of the same shape —
twelve layers of 768×768 matrices — part without reading them; only groups
still holding two or more members have their bytes hashed (BLAKE2b over the
raw buffer, never unpacked), and a digest match is confirmed byte for byte.
An initializer sharing its name with a graph input is that input's default —
the caller may feed another value — so it is never merged, either way.
Sparse and elided constants are left alone; doc strings are not compared.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass

from xdsl.dialects.builtin import ModuleOp
from xdsl.ir import Operation

from onnxforge.dialects.onnx.queries import constant_of, is_constant_op
from onnxforge.dialects.onnx.structure import InitializerOp
from onnxforge.ir.tensor import TensorValue
from onnxforge.passmanager import Accuracy, ForgePass, RunState


def _shape_key(tensor: TensorValue) -> tuple:  # type: ignore[type-arg]
    if tensor.strings is not None:
        return (tensor.elem, tensor.dims, len(tensor.strings))
    raw = tensor.raw
    assert raw is not None
    return (tensor.elem, tensor.dims, raw.nbytes, bytes(raw[:64]), bytes(raw[-64:]))


def _digest(tensor: TensorValue) -> bytes:
    hasher = hashlib.blake2b(digest_size=16)
    if tensor.strings is not None:
        for item in tensor.strings:
            hasher.update(len(item).to_bytes(8, "little"))
            hasher.update(item)
    else:
        assert tensor.raw is not None
        hasher.update(tensor.raw)
    return hasher.digest()


def _same_bytes(a: TensorValue, b: TensorValue) -> bool:
    if a.strings is not None or b.strings is not None:
        return a.strings == b.strings
    return a.raw is not None and b.raw is not None and a.raw == b.raw


def _dominates(kept: Operation, op: Operation) -> bool:
    """``kept`` was visited before ``op`` (pre-order), so it dominates ``op`` iff its block encloses ``op``."""
    block = kept.parent_block()
    return block is not None and block.find_ancestor_op_in_block(op) is not None


@dataclass(frozen=True)
class MergeConstantsPass(ForgePass):
    name = "onnx-merge-constants"
    summary = "merge byte-identical initializers and Constant ops"
    accuracy = Accuracy.LOSSLESS

    def run(self, module: ModuleOp, state: RunState) -> None:
        groups: dict[tuple, list[tuple[Operation, TensorValue]]] = defaultdict(list)
        for op in module.walk():  # pre-order: program order, subgraphs where they sit
            if is_constant_op(op) and (tensor := constant_of(op.results[0])) is not None:
                groups[_shape_key(tensor)].append((op, tensor))
        for members in groups.values():
            if len(members) < 2:
                continue
            kept_by_digest: dict[bytes, list[tuple[Operation, TensorValue]]] = defaultdict(list)
            for op, tensor in members:
                candidates = kept_by_digest[_digest(tensor)]
                kept = next((k for k, t in candidates if _dominates(k, op) and _same_bytes(t, tensor)), None)
                kind = "initializer" if isinstance(op, InitializerOp) else "constant"
                if kept is None or not state.take(f"{self.name}/{kind}", op):
                    candidates.append((op, tensor))
                    continue
                op.results[0].replace_all_uses_with(kept.results[0])
                op.detach()
                op.erase()
