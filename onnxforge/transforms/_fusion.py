"""What every fusion pass shares: the lowering target, near-miss records and the replace step.

A fusion matches from an anchor op, builds one ``nn`` op, asks the lowering
whether the target can express it, and only then rewrites: the new op goes
in before the anchor (every value the subgraph reads is defined before its
consumers, so it dominates the anchor), takes the anchor's location and the
names of every replaced node (``nn.sources``), and the matched ops that lose
all their users are erased. A candidate that fails a check is recorded as a
near miss with a reason, for ``forgec --explain-fusions``.
"""

from __future__ import annotations

from collections.abc import Iterable

from xdsl.dialects.builtin import ArrayAttr, DictionaryAttr, StringAttr
from xdsl.ir import Operation, SSAValue
from xdsl.pattern_rewriter import PatternRewriter
from xdsl.rewriter import InsertPoint

from onnxforge.dialects.nn import SOURCES_ATTR
from onnxforge.dialects.onnx.structure import METADATA_ATTR, ModelOp
from onnxforge.lowering import LoweringTarget, unsupported
from onnxforge.passmanager.base import NearMiss, current_state
from onnxforge.passmanager.rewriting import OpPattern, source_name


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
    names = [source_name(op) for op in replaced]
    fused.attributes[SOURCES_ATTR] = ArrayAttr([StringAttr(n) for n in dict.fromkeys(names)])
    fused.location = anchor.location
    metadata = anchor.attributes.get(METADATA_ATTR)
    if isinstance(metadata, DictionaryAttr):
        fused.attributes[METADATA_ATTR] = metadata
    for op in [*extra_ops, fused]:
        op.location = anchor.location  # the exporter suffixes repeated node names
        rewriter.insert_op(op, InsertPoint.before(anchor))
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
                rewriter.erase_op(op)
                pending.remove(op)
                progress = True
