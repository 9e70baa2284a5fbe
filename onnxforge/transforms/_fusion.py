"""What every fusion pass shares: the lowering target, near-miss records and the replace step.

A fusion matches from an anchor op, builds one ``nn`` op, asks the lowering
whether the target can express it, and only then rewrites: the new op goes
in before the anchor (every value the subgraph reads is defined before its
consumers, so it dominates the anchor), takes the anchor's location and the
names of every replaced node (``nn.sources``), and the matched ops that lose
all their users are erased. A candidate that fails a check is recorded as a
near miss with a reason, for ``forgec --explain-fusions``.

The bookkeeping of the passes that build new constants or weights, or rewrite an ONNX op in
place instead of calling ``fuse``, is here too: the model opset new ops are written for,
provenance (``nn.sources`` / ``onnxforge.fused_from``), dead constants and detached readers.
Reading the IR around a candidate is in ``_matching``.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
from xdsl.dialects.builtin import ArrayAttr, DictionaryAttr, StringAttr
from xdsl.ir import Operation, SSAValue
from xdsl.pattern_rewriter import PatternRewriter
from xdsl.rewriter import InsertPoint

from onnxforge.dialects.nn import SOURCES_ATTR
from onnxforge.dialects.onnx.structure import METADATA_ATTR, GraphOp, InitializerOp, ModelOp
from onnxforge.ir.builders import standard_op
from onnxforge.ir.tensor import DenseAttr, TensorValue, np_dtype
from onnxforge.ir.types import static_tensor_type
from onnxforge.lowering import LoweringTarget, unsupported
from onnxforge.passmanager.base import NearMiss, current_state
from onnxforge.passmanager.rewriting import OpPattern, source_name
from onnxforge.transforms._common import CONSTANT_OPS


def model_of(op: Operation) -> ModelOp | None:
    parent = op.parent_op()
    while parent is not None and not isinstance(parent, ModelOp):
        parent = parent.parent_op()
    return parent


def lowering_target(op: Operation) -> LoweringTarget:
    """The run's target, or standard ops at the model's default-domain opset."""
    state = current_state()
    if state.target is not None:
        return state.target
    model = model_of(op)
    opsets = model.opsets() if model is not None else {}
    return LoweringTarget("standard", opsets.get("", opsets.get("ai.onnx", 0)))


def near_miss(pattern: OpPattern, pass_name: str, anchor: Operation, reason: str) -> None:
    """Record that a candidate anchored at ``anchor`` did not fuse, and why."""
    state = current_state()
    record = NearMiss(pass_name, pattern.label, source_name(anchor), reason)
    if record not in state.near_misses[-64:]:
        state.near_misses.append(record)


def fuse(
    rewriter: PatternRewriter,
    pattern: OpPattern,
    pass_name: str,
    anchor: Operation,
    fused: Operation,
    replaced: Iterable[Operation],
    results: list[SSAValue],
    extra_ops: Iterable[Operation] = (),
) -> bool:
    """Replace ``results`` (values of the matched subgraph) by ``fused``'s results, if the target can express it.

    ``extra_ops`` (new constants or reshapes the fused op reads) are inserted
    before it. Returns False, with a near miss recorded, when the target cannot
    express ``fused``; the IR is then untouched.
    """
    extra_ops = list(extra_ops)
    reason = unsupported(fused, lowering_target(anchor))
    if reason is not None:
        near_miss(pattern, pass_name, anchor, reason)
        for op in (fused, *reversed(extra_ops)):  # never inserted, but their operands still count them as users
            if op.parent is None:
                op.erase()
        return False
    replaced = list(replaced)
    expand_sources(fused, replaced)
    fused.location = anchor.location
    metadata = anchor.attributes.get(METADATA_ATTR)
    if isinstance(metadata, DictionaryAttr):
        fused.attributes[METADATA_ATTR] = metadata
    for op in [*extra_ops, fused]:
        op.location = anchor.location  # the exporter suffixes repeated node names
        rewriter.insert(op, InsertPoint.before(anchor))
    for old, new in zip(results, fused.results, strict=False):
        rewriter.replace_all_uses_with(old, new)
    erase_unused(rewriter, replaced)
    return True


def erase_unused(rewriter: PatternRewriter, ops: Iterable[Operation]) -> None:
    """Erase the ops whose results have no users left, consumers first."""
    pending = [op for op in ops if op.parent is not None]
    progress = True
    while progress:
        progress = False
        for op in list(pending):
            if all(not r.uses for r in op.results):
                rewriter.erase(op)
                pending.remove(op)
                progress = True


# --- where the fused op goes, and what it reads -----------------------------------------------------


def in_graph(op: Operation) -> bool:
    """Whether ``op`` sits in a graph (main or subgraph), which may hold initializers; a function body may not."""
    return isinstance(op.parent_op(), GraphOp)


def model_opset(op: Operation) -> int:
    """The default-domain opset of the model holding ``op`` (what new ONNX ops are written for; 0 when unknown)."""
    model = model_of(op)
    opsets = model.opsets() if model is not None else {}
    return opsets.get("", opsets.get("ai.onnx", 0))


def constant_op(anchor: Operation, array: np.ndarray, elem: int | None = None) -> Operation:
    """An ``onnx.Constant`` holding ``array``, in the form of the anchor's model opset (for a fused op's inputs)."""
    opset = model_opset(anchor)
    value = TensorValue.from_numpy(array, elem)
    result = static_tensor_type(value.elem, value.dims)
    return standard_op("Constant", opset or 13, [], [result], {"value": DenseAttr(value)})


def ones_constant(anchor: Operation, elem: int, dims: tuple[int, ...]) -> Operation:
    """The scale of a normalisation whose γ of ones was folded away: a constant of ones of the normalised dims."""
    return constant_op(anchor, np.ones(dims, dtype=np_dtype(elem)), elem)


def initializer_hint(value: SSAValue, fallback: str) -> str:
    """A name for a tensor derived from ``value``: its initializer name, else ``fallback``."""
    owner = value.owner
    return owner.tensor_name.data if isinstance(owner, InitializerOp) else fallback


DETACHED_READER = "a detached op reads a value to replace (a declined fusion did not erase the op it built)"
"""The near-miss reason when ``detached_reader`` holds."""


def detached_reader(values: Iterable[SSAValue]) -> bool:
    """Whether an op outside the IR still reads one of ``values``.

    A fusion that declines without erasing the op it built leaves that op reading the matched
    values; rewiring such a value hands the stray op to the pattern driver, which fails on it.
    ``fuse`` erases what it declines, but a pass may still decline before calling it with ops
    already built (``nn-fuse-attention`` leaves its 3-D rotary ops when the target cannot lower
    them), so the passes that rewire values themselves leave such values alone.
    """
    return any(use.operation.parent is None for value in values for use in value.uses)


# --- provenance and clean-up of the passes that rewrite in place or build new weights ----------------


def expand_sources(fused: Operation, replaced: Iterable[Operation]) -> None:
    """Give ``fused`` the source names of what it replaced, reading through replaced ``nn`` ops' own sources."""
    names: list[str] = []
    for op in replaced:
        sources = op.attributes.get(SOURCES_ATTR)
        if isinstance(sources, ArrayAttr) and sources.data:
            names.extend(s.data for s in sources.data)  # type: ignore[attr-defined]
        else:
            names.append(source_name(op))
    fused.attributes[SOURCES_ATTR] = ArrayAttr([StringAttr(n) for n in dict.fromkeys(names)])


def note_fused_from(op: Operation, replaced: Iterable[Operation]) -> None:
    """Record on an ONNX op rewritten in place which nodes it absorbed (node metadata, as lowering does)."""
    metadata = dict(op.attributes[METADATA_ATTR].data) if isinstance(op.attributes.get(METADATA_ATTR), DictionaryAttr) else {}  # type: ignore[union-attr]
    names = [source_name(r) for r in replaced]
    if isinstance(previous := metadata.get("onnxforge.fused_from"), StringAttr):
        names = [*previous.data.split(","), *names]
    metadata["onnxforge.fused_from"] = StringAttr(",".join(dict.fromkeys(names)))
    op.attributes[METADATA_ATTR] = DictionaryAttr(metadata)


def drop_dead_constants(rewriter: PatternRewriter, values: Iterable[SSAValue]) -> None:
    """Erase the initializers and Constants among ``values`` that a fold left without readers."""
    owners = [v.owner for v in values if isinstance(v.owner, (InitializerOp, *CONSTANT_OPS))]
    erase_unused(rewriter, list(dict.fromkeys(owners)))  # type: ignore[arg-type]
