"""The pattern driver: xDSL's greedy worklist walker with our dispatch, budget and bookkeeping.

A pattern is any xDSL ``RewritePattern``; the op classes it applies to are read
from the annotation of its op parameter, as xDSL's ``op_type_rewrite_pattern``
does (``def match_and_rewrite(self, op: TransposeOp, rewriter)``), so patterns
get typed ops and are indexed by root: an op is offered only to the patterns
whose root it is an instance of (a linear scan costs ~1.3 µs per pattern per
op). A root may be a family (``CastFamily``: every opset form of Cast) or a
base class (``NNOp``); ``Operation`` means every op.

Every successful rewrite is counted per pattern, is subject to the run's
opt-bisect limit, and spends from a budget proportional to the graph size; a
pattern that raises is recorded with the op it met. A pattern that cannot
prove its candidate raises ``Mismatch`` (``fail(reason)``): the driver, which
knows the pass, records it as a near miss and offers the op to the next pattern.

Patterns that need the run's objects (a constant builder, shape facts, the
lowering target) are ``ContextPattern``s: the pass builds one context per run
(``PatternPass.context``) and the driver hands it to each call.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import ClassVar, NoReturn

from xdsl.dialects.builtin import ModuleOp
from xdsl.ir import Operation
from xdsl.pattern_rewriter import PatternRewriter, PatternRewriteWalker, RewritePattern

from onnxforge.errors import ForgeError
from onnxforge.ir.patterns import applies_to
from onnxforge.ir.provenance import name_or_kind
from onnxforge.passmanager.base import ForgePass, NearMiss, RunState


class Mismatch(Exception):
    """A candidate the pattern cannot prove, or whose result the target cannot express; the message says why."""

    def __init__(self, reason: str, anchor: Operation | None = None) -> None:
        super().__init__(reason)
        self.anchor = anchor
        """The op the candidate is reported at (default: the op the pattern was applied to)."""


def fail(reason: str, anchor: Operation | None = None) -> NoReturn:
    """Give up on the current candidate, saying why (recorded as a near miss)."""
    raise Mismatch(reason, anchor)


class ContextPattern(RewritePattern):
    """A pattern that needs the run's context; the driver calls ``apply`` with it.

    ``root_method`` names the method whose op parameter's annotation gives the roots.
    """

    root_method: ClassVar[str] = "apply"

    def apply(self, op: Operation, rewriter: PatternRewriter, context: object) -> None:
        raise NotImplementedError

    def match_and_rewrite(self, op: Operation, rewriter: PatternRewriter, /) -> None:
        raise TypeError(f"{type(self).__name__} needs its pass's context: run it through its pass, not on its own")

    def statistic(self, op: Operation) -> str:
        """The key a rewrite of ``op`` is counted under in ``--pass-statistics`` (default: the pattern's name;
        a pattern that handles many op kinds, such as ``nn-lower``'s, counts per kind instead)."""
        return type(self).__name__


def label_of(pattern: RewritePattern, op: Operation | None = None) -> str:
    if op is not None and isinstance(pattern, ContextPattern):
        return pattern.statistic(op)
    return type(pattern).__name__


@dataclass
class _Dispatcher(RewritePattern):
    pass_name: str
    patterns: Sequence[RewritePattern]
    state: RunState
    budget: int
    context: object = None
    exhausted: bool = False
    _by_class: dict[type[Operation], list[RewritePattern]] = field(default_factory=dict)

    def _for(self, cls: type[Operation]) -> list[RewritePattern]:
        found = self._by_class.get(cls)
        if found is None:
            found = self._by_class[cls] = [p for p in self.patterns if applies_to(p, cls)]
        return found

    def match_and_rewrite(self, op: Operation, rewriter: PatternRewriter) -> None:
        for pattern in self._for(type(op)):
            if self.budget <= 0:
                self.exhausted = True
                return
            if not self.state.allow_rewrite():
                return
            label = f"{self.pass_name}/{label_of(pattern, op)}"
            try:
                if isinstance(pattern, ContextPattern):
                    pattern.apply(op, rewriter, self.context)
                else:
                    pattern.match_and_rewrite(op, rewriter)
            except Mismatch as miss:
                self.state.near_miss(NearMiss(self.pass_name, label_of(pattern), name_or_kind(miss.anchor or op), str(miss)))
                continue
            except ForgeError:
                raise  # a problem with the user's request, said in one line already
            except Exception as err:
                self.state.failure = (label, op, err)
                raise PatternError(str(err)) from err
            if rewriter.has_done_action:
                self.budget -= 1
                self.state.record(label, name_or_kind(op))
                return


class PatternError(Exception):
    """A pattern raised; the run state holds the op and the original error."""


def count_ops(module: ModuleOp) -> int:
    return sum(1 for _ in module.walk())


def apply_patterns(module: ModuleOp, patterns: Sequence[RewritePattern], state: RunState, pass_name: str,
                   context: object = None) -> bool:
    """Rewrite to a fixed point (or until the budget is spent). True if anything changed."""
    size = count_ops(module)
    dispatcher = _Dispatcher(pass_name, patterns, state, budget=20 + 4 * size, context=context)
    changed = PatternRewriteWalker(dispatcher, apply_recursively=True).rewrite_module(module)
    if dispatcher.exhausted:
        state.warnings.append(
            f"{pass_name}: rewrite budget ({20 + 4 * size} for {size} ops) exhausted before a fixed point; "
            "the result is correct but may not be fully simplified"
        )
    return changed


class PatternPass(ForgePass):
    """A pass made of patterns, applied greedily to a fixed point, with one context per run."""

    def patterns(self) -> Sequence[RewritePattern]:
        raise NotImplementedError

    def context(self, module: ModuleOp) -> object:
        """The per-run object handed to ``ContextPattern``s (None: they need none)."""
        return None

    def run(self, module: ModuleOp, state: RunState) -> None:
        apply_patterns(module, self.patterns(), state, self.name, self.context(module))
