"""Which op classes a rewrite pattern applies to: the annotation of its op parameter.

``def match_and_rewrite(self, op: TransposeOp | ConcatFamily, rewriter)`` roots the
pattern on those classes, as xDSL's ``op_type_rewrite_pattern`` reads it: the
pattern body gets typed ops, and a driver indexes patterns by root instead of
offering every op to every pattern. ``Operation`` means every op. A pattern class
may name the method to read with ``root_method`` (``match`` for fusions).
"""

from __future__ import annotations

import functools
import inspect
import typing
from types import UnionType

from xdsl.ir import Operation
from xdsl.pattern_rewriter import RewritePattern


@functools.cache
def roots_of(pattern_class: type[RewritePattern]) -> tuple[type[Operation], ...]:
    """The op classes instances of ``pattern_class`` apply to."""
    method = getattr(pattern_class, getattr(pattern_class, "root_method", "match_and_rewrite"))
    hints = typing.get_type_hints(method)
    first = next(p for p in inspect.signature(method).parameters if p != "self")
    annotation = hints.get(first, Operation)
    union = isinstance(annotation, UnionType) or typing.get_origin(annotation) is typing.Union
    roots = typing.get_args(annotation) if union else (annotation,)
    if not all(isinstance(r, type) and issubclass(r, Operation) for r in roots):
        raise TypeError(f"{pattern_class.__name__}: annotate the op parameter with op classes, not {annotation!r}")
    return tuple(roots)


def applies_to(pattern: RewritePattern, op_class: type[Operation]) -> bool:
    return issubclass(op_class, roots_of(type(pattern)))
