"""The pattern driver: xDSL's greedy worklist walker with our dispatch, budget and bookkeeping.

Patterns are indexed by the op class they are rooted on, so an op is offered
only to the patterns that can match it (a linear scan costs ~1.3 µs per
pattern per op). Every successful rewrite is counted per pattern, is subject
to the run's opt-bisect limit, and spends from a budget proportional to the
graph size; a pattern that raises is recorded with the op it met.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from xdsl.dialects.builtin import ModuleOp, NameLoc
from xdsl.ir import Operation
from xdsl.pattern_rewriter import PatternRewriter, PatternRewriteWalker, RewritePattern

from onnxforge.passmanager.base import ForgePass, RunState


class OpPattern(RewritePattern):
    """A rewrite rooted on given op classes. ``match_and_rewrite`` changes the IR through the
    rewriter or leaves it alone; its docstring states the identity it relies on."""

    roots: ClassVar[tuple[type[Operation], ...]] = ()

    @property
    def label(self) -> str:
        return type(self).__name__


class PatternError(Exception):
    """A pattern raised; the run state holds the op and the original error."""


def source_name(op: Operation) -> str:
    """The ONNX node name an op came from (its location), or its op name."""
    location = op.location
    if isinstance(location, NameLoc):
        return location.desc.data
    return op.name


@dataclass
class _Dispatcher(RewritePattern):
    pass_name: str
    by_root: dict[type[Operation], list[OpPattern]]
    state: RunState
    budget: int
    exhausted: bool = False

    def match_and_rewrite(self, op: Operation, rewriter: PatternRewriter) -> None:
        patterns = self.by_root.get(type(op))
        if not patterns:
            return
        for pattern in patterns:
            if self.budget <= 0:
                self.exhausted = True
                return
            if not self.state.allow_rewrite():
                return
            try:
                pattern.match_and_rewrite(op, rewriter)
            except Exception as err:
                self.state.failure = (f"{self.pass_name}/{pattern.label}", op, err)
                raise PatternError(str(err)) from err
            if rewriter.has_done_action:
                self.budget -= 1
                self.state.record(f"{self.pass_name}/{pattern.label}", source_name(op))
                return


def count_ops(module: ModuleOp) -> int:
    return sum(1 for _ in module.walk())


def apply_patterns(module: ModuleOp, patterns: Sequence[OpPattern], state: RunState, pass_name: str) -> bool:
    """Rewrite to a fixed point (or until the budget is spent). True if anything changed."""
    by_root: dict[type[Operation], list[OpPattern]] = defaultdict(list)
    for pattern in patterns:
        for root in pattern.roots:
            by_root[root].append(pattern)
    size = count_ops(module)
    dispatcher = _Dispatcher(pass_name, dict(by_root), state, budget=20 + 4 * size)
    changed = PatternRewriteWalker(dispatcher, apply_recursively=True).rewrite_module(module)
    if dispatcher.exhausted:
        state.warnings.append(
            f"{pass_name}: rewrite budget ({20 + 4 * size} for {size} ops) exhausted before a fixed point; "
            "the result is correct but may not be fully simplified"
        )
    return changed


class PatternPass(ForgePass):
    """A pass made of patterns, applied greedily to a fixed point."""

    def patterns(self) -> Sequence[OpPattern]:
        raise NotImplementedError

    def run(self, module: ModuleOp, state: RunState) -> None:
        if apply_patterns(module, self.patterns(), state, self.name):
            state.changed = True
