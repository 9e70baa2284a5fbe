"""Program order: a stable topological order, and, in graphs with nested subgraphs, where a value may
be read and whether it already is.

A rewrite that puts a new op somewhere other than the op it replaces (a fusion anchored at an
earlier op, so that readers of an intermediate value still come after it) must know that every
operand is defined before that place and that nothing it replaces is read before it. ONNX graphs
are single blocks with subgraph regions, so both questions reduce to ``is_before_in_block`` on the
ancestors that share a block.
"""

from __future__ import annotations

import heapq
from collections.abc import Collection, Sequence

from xdsl.ir import Block, Operation, SSAValue


def stable_topological_order(deps: Sequence[Collection[int]], break_cycles: bool = False) -> list[int]:
    """Indices ``0..n-1`` ordered so that each comes after the indices it depends on, the smallest ready
    index first (so an order that is already topological is kept).

    At a cycle the order stops short (fewer than ``n`` indices: the caller names the cycle), unless
    ``break_cycles``: then the smallest index not yet placed goes next, its unmet dependencies ignored.
    """
    users: list[list[int]] = [[] for _ in deps]
    for index, needs in enumerate(deps):
        for dep in needs:
            users[dep].append(index)
    waiting = [len(needs) for needs in deps]
    ready = [i for i, count in enumerate(waiting) if count == 0]
    heapq.heapify(ready)
    order: list[int] = []
    placed = [False] * len(deps)
    while len(order) < len(deps):
        if not ready:
            if not break_cycles:
                break
            heapq.heappush(ready, placed.index(False))
        index = heapq.heappop(ready)
        if placed[index]:
            continue
        placed[index] = True
        order.append(index)
        for user in users[index]:
            waiting[user] -= 1
            if waiting[user] == 0 and not placed[user]:
                heapq.heappush(ready, user)
    return order


def defined_before(value: SSAValue, op: Operation) -> bool:
    """``value`` can be read by ``op``: a block argument of a block enclosing ``op``, or the result of an
    op before ``op`` (or before the ancestor of ``op`` that shares its block)."""
    owner = value.owner
    if isinstance(owner, Block):
        return owner.find_ancestor_op_in_block(op) is not None
    block = owner.parent_block()
    ancestor = block.find_ancestor_op_in_block(op) if block is not None else None
    return ancestor is not None and ancestor is not owner and owner.is_before_in_block(ancestor)


def read_before(value: SSAValue, op: Operation) -> bool:
    """Some op other than ``op`` reads ``value`` before ``op`` runs (a use inside a subgraph counts at the
    subgraph's op; a use outside ``op``'s block counts as before)."""
    block = op.parent_block()
    for use in value.uses:
        user = block.find_ancestor_op_in_block(use.operation) if block is not None else None
        if user is None or (user is not op and not op.is_before_in_block(user)):
            return True
    return False
