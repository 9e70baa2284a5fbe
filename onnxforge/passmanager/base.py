"""What a pass is: an xDSL ``ModulePass`` with a summary, an accuracy class and options.

Passes hold no state across runs, and their configuration (a lowering target,
a size limit) is their options: ``nn-lower{target=ort}``. What a run produces
for the caller — rewrites per pattern, near misses, warnings, the op a pattern
failed on — is collected in a ``RunState`` that the pass manager installs for
the duration of a pipeline (a context variable, so passes also run under plain
``xdsl-opt``, with a throwaway state). The opt-bisect limit travels with it: it
is a debugging instrument of the run, not a pass option.
"""

from __future__ import annotations

import contextlib
import contextvars
import enum
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import ClassVar, TypeVar

from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp
from xdsl.ir import Operation
from xdsl.passes import ModulePass

from onnxforge.ir.provenance import name_or_kind


@dataclass(frozen=True)
class NearMiss:
    """A fusion candidate that matched its anchor but did not fuse, and why."""

    pass_name: str
    pattern: str
    node: str
    reason: str


class Accuracy(enum.IntEnum):
    """How far a pass may move outputs; verification uses the class's tolerance."""

    LOSSLESS = 0
    """Class 0: outputs bit-identical."""
    FLOAT_BOUNDED = 1
    """Class 1: float rounding differences only (reassociation, fused kernels)."""
    EMPIRICAL = 2
    """Class 2: structural changes verified empirically across a corpus."""
    REDUCED_PRECISION = 3
    """Class 3: float16 weights and compute (``onnx-convert-precision{precision=fp16}``). Measured
    (2026-12-07, onnxruntime 1.31 CPU, random inputs): max |Δ| ≤ 1.1e-3 × the output's scale on BERT-base,
    GPT-2 and the tiny fixtures; the class allows 5e-3 + 5e-3 × scale (5–10× that)."""
    REDUCED_PRECISION_BF16 = 4
    """Class 4: bfloat16 (7 significand bits to float16's 10: 8× the rounding). Measured with weights only in
    bfloat16 (onnxruntime's CPU provider has no bfloat16 arithmetic): ≤ 6.6e-3 × scale on BERT-base and GPT-2;
    the class allows 4e-2 + 4e-2 × scale, room for bfloat16 compute on a runtime that has it."""

    @property
    def tolerance(self) -> float:
        """Max absolute output difference ``--verify-each`` accepts (0: bit-identical)."""
        return {0: 0.0, 1: 1e-4, 2: 1e-3, 3: 5e-3, 4: 4e-2}[int(self)]

    @property
    def rtol(self) -> float:
        """Relative allowance on top of ``tolerance``, times the output's largest |value|."""
        return {0: 0.0, 1: 1e-5, 2: 1e-4, 3: 5e-3, 4: 4e-2}[int(self)]


_T = TypeVar("_T")

NEAR_MISS_WINDOW = 64
"""A near miss equal to one of the last this many is not recorded again (one per candidate, not per sweep)."""


@dataclass
class RunState:
    """What one pipeline run accumulates; installed by the pass manager."""

    bisect_limit: int | None = None
    """Stop rewriting after this many rewrites in the whole run (LLVM opt-bisect)."""
    rewrites: int = 0
    statistics: Counter[str] = field(default_factory=Counter)
    """``pass/pattern`` → rewrites applied."""
    last_rewrite: str = ""
    """``pass/pattern @ node`` of the latest rewrite, for bisection reports."""
    failure: tuple[str, Operation, BaseException] | None = None
    """(pattern, op, error) of a pattern that raised."""
    changed: bool = False
    """Set by a pass that changed the IR."""
    warnings: list[str] = field(default_factory=list)
    near_misses: list[NearMiss] = field(default_factory=list)
    """Fusion candidates that did not fuse, with the reason (``forgec --explain-fusions``)."""
    cache_analyses: bool = True
    """Keep analyses between passes (off under ``--verify-ir-each``, which recomputes them for every pass)."""
    analyses: dict[str, tuple[ModuleOp, object]] = field(default_factory=dict)
    """Analyses of the IR as it is now (name → (module, result)), MLIR's analysis manager: computed on
    first use, kept while passes change nothing, dropped after a pass that changed the IR unless it
    declared them preserved."""
    preserved: set[str] = field(default_factory=set)
    """Analyses the running pass keeps valid although it changes the IR (``preserve``)."""

    def allow_rewrite(self) -> bool:
        return self.bisect_limit is None or self.rewrites < self.bisect_limit

    def record(self, key: str, where: str = "") -> None:
        """Count one rewrite under ``key`` (``pass/pattern``), done at node ``where``."""
        self.rewrites += 1
        self.statistics[key] += 1
        self.last_rewrite = f"{key} @ {where}" if where else key
        self.changed = True

    def take(self, key: str, op: Operation) -> bool:
        """Claim one rewrite of ``op`` for a pass that rewrites outside the pattern driver: False when the
        bisect limit is spent (do nothing), else the rewrite is counted and the caller does it."""
        if not self.allow_rewrite():
            return False
        self.record(key, name_or_kind(op))
        return True

    def analysis(self, name: str, module: ModuleOp, compute: Callable[[ModuleOp], _T]) -> _T:
        """The analysis ``name`` of ``module``: the kept result when the IR has not changed since it was
        computed, else ``compute(module)`` (kept for the passes after this one)."""
        kept = self.analyses.get(name)
        if kept is not None and kept[0] is module:
            return kept[1]  # type: ignore[return-value]
        result = compute(module)
        if self.cache_analyses:
            self.analyses[name] = (module, result)
        return result

    def preserve(self, name: str) -> None:
        """The running pass changed the IR but left analysis ``name`` valid (e.g. it only wrote the inferred
        shapes into the types): keep it."""
        self.preserved.add(name)

    def invalidate(self, changed: bool) -> None:
        """After a pass: drop the analyses a change made stale (the pass manager calls this)."""
        if changed:
            kept = {name: self.analyses[name] for name in self.preserved if name in self.analyses}
            self.analyses = kept
        self.preserved = set()

    def near_miss(self, record: NearMiss) -> None:
        if record not in self.near_misses[-NEAR_MISS_WINDOW:]:
            self.near_misses.append(record)


_STATE: contextvars.ContextVar[RunState | None] = contextvars.ContextVar("onnxforge_run_state", default=None)


def current_state() -> RunState:
    """The state of the running pipeline (a throwaway one outside the pass manager)."""
    state = _STATE.get()
    return state if state is not None else RunState()


@contextlib.contextmanager
def run_state(state: RunState) -> Iterator[RunState]:
    token = _STATE.set(state)
    try:
        yield state
    finally:
        _STATE.reset(token)


@dataclass(frozen=True)
class ForgePass(ModulePass):
    """Base of onnxforge passes. Subclasses set ``name`` (``dialect-verb-object``), ``summary``
    and ``accuracy``, declare their options as dataclass fields, and implement ``run`` (or use
    ``PatternPass``)."""

    name: ClassVar[str]
    summary: ClassVar[str] = ""
    accuracy: ClassVar[Accuracy] = Accuracy.LOSSLESS

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        self.run(op, current_state())

    def run(self, module: ModuleOp, state: RunState) -> None:
        raise NotImplementedError(f"pass {self.name} implements neither run() nor patterns()")
