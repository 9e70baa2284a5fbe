"""Erasing what a rewrite made dead, through xDSL's own effect analysis.

A rewrite that replaces ops leaves them, and often the ops that fed only them
(a Shape → Slice → Concat computing a dead Reshape's target), without readers.
``erase_dead`` removes exactly those: each given op that is trivially dead in
xDSL's sense (no result read, no effect: the ``Pure`` and effect traits the
dialects declare), then the producers of its operands that this leaves dead,
transitively. Ops of unknown effect (custom domains) and graph-input defaults
are never removed. ``onnx-eliminate-dead`` is the same rule applied to a whole
module; rewrites call this so that later matches in the same pass do not see
readers that are already dead.
"""

from __future__ import annotations

from collections.abc import Iterable

from xdsl.ir import Operation
from xdsl.pattern_rewriter import PatternRewriter
from xdsl.transforms.dead_code_elimination import is_trivially_dead


def erase_dead(rewriter: PatternRewriter, ops: Iterable[Operation]) -> int:
    """Erase the dead ones among ``ops`` and whatever they alone kept alive; returns how many were erased."""
    pending = [op for op in ops if op.parent is not None]
    erased = 0
    while pending:
        op = pending.pop()
        if op.parent is None or not is_trivially_dead(op):
            continue
        producers = [v.owner for v in op.operands if isinstance(v.owner, Operation)]
        rewriter.erase(op)
        erased += 1
        pending.extend(producers)
    return erased
