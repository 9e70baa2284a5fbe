"""The fusion mechanism: match fully, describe the result, ask the target, then build.

A fusion pattern is a ``FusionPattern`` whose ``match(self, op: RootOp, fusion)``
either gives up with ``fail(reason)`` (recorded as a near miss by the driver,
which knows the pass) or ends in one ``fusion.replace(anchor, builds, replaced,
results)``. A ``Build`` describes an op before it exists (class, operands,
result types, properties); its results are ``Pending`` values that later builds
may read. ``replace`` first asks the lowering of every ``nn`` op it would make
whether the pass's target can express it (``Lowering.check``) and only then
builds: nothing is created for a candidate that is declined, so no stray op
ever reads the matched values. New constants (``fusion.constant``,
``fusion.initializer``, ``fusion.absent``) read nothing, and are put in place
only when the fusion commits.

Committing inserts the new ops before ``anchor`` (the pattern picks an anchor
that every operand dominates), gives them their provenance (the anchor's node
name, the names of everything replaced: ``onnxforge.ir.provenance``), routes
each matched result to its replacement, and erases what that left dead.

The run's objects reach patterns through one ``RewriteContext`` (the module,
the lowering target from the pass options, a constant builder and shape facts,
both made on first use); ``FusionPass`` and ``nn-lower`` build it from their
``target`` and ``opset`` options.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
from xdsl.dialects.builtin import DenseArrayBase, IntegerAttr, ModuleOp, i64
from xdsl.ir import Attribute, Operation, SSAValue
from xdsl.pattern_rewriter import PatternRewriter
from xdsl.rewriter import InsertPoint

from onnxforge.analysis.shapes import ShapeFacts
from onnxforge.dialects.nn import NNOp
from onnxforge.dialects.onnx.builders import ConstantBuilder, detached_initializer, model_opset, standard_class
from onnxforge.dialects.onnx.structure import GraphOp, InitializerOp, NoValueOp
from onnxforge.ir import provenance
from onnxforge.ir.dead import erase_dead
from onnxforge.ir.provenance import name_or_kind
from onnxforge.ir.tensor import TensorValue
from onnxforge.onnxio.weights import spill
from onnxforge.passmanager import Accuracy, ContextPattern, Mismatch, PatternPass, current_state, fail
from onnxforge.passmanager.analyses import shape_facts
from onnxforge.passmanager.base import NearMiss
from onnxforge.passmanager.build import Build, Pending, Value
from onnxforge.transforms.lowering import check
from onnxforge.transforms.lowering.base import LoweringTarget, constant, lowering_target

SPLIT_INPUT_OPSET = 13
"""From this opset Split takes its sizes as an input instead of an attribute."""


class RewriteContext:
    """What one run of a pass hands its patterns: the module, the target, a constant builder and shape facts."""

    def __init__(self, module: ModuleOp, target: LoweringTarget, pass_name: str) -> None:
        self.module = module
        self.target = target
        self.pass_name = pass_name

    @functools.cached_property
    def constants(self) -> ConstantBuilder:
        return ConstantBuilder(self.module)

    @functools.cached_property
    def facts(self) -> ShapeFacts:
        return shape_facts(self.module)


# --- one application of a pattern ------------------------------------------------------------


@dataclass
class Fusion:
    """One candidate of a fusion pattern: the run's context, the rewriter, and the op the driver offered."""

    context: RewriteContext
    rewriter: PatternRewriter
    root: Operation

    @property
    def target(self) -> LoweringTarget:
        return self.context.target

    @property
    def opset(self) -> int:
        """The model's default-domain opset (what new ONNX ops are written for)."""
        return self.context.target.opset

    @functools.cached_property
    def absent(self) -> SSAValue:
        """An absent optional operand (``onnx.novalue``), put in place only if the fusion commits."""
        return NoValueOp().results[0]

    def constant(self, array: np.ndarray, elem: int | None = None) -> SSAValue:
        """An ``onnx.Constant`` holding ``array``, put before the anchor only if the fusion commits."""
        return constant(self.target, array, elem).results[0]

    def initializer(self, array: np.ndarray | TensorValue, hint: str, elem: int | None = None) -> SSAValue:
        """A new initializer (a weight made by the fusion), named uniquely after ``hint`` when the fusion commits.
        Only graphs hold initializers: in a function body this is a near miss."""
        if not isinstance(self.root.parent_op(), GraphOp):
            fail("a new weight is needed, and a function body has no initializers")
        value = array if isinstance(array, TensorValue) else TensorValue.from_numpy(np.asarray(array), elem)
        return detached_initializer(spill(value), hint, elem).results[0]

    def split(self, value: Value, axis: int, widths: list[int], types: list[Attribute], name: str) -> Build:
        """``Split(value)`` into ``widths`` along ``axis``, in the form the model's opset takes (sizes as an input
        from opset 13, as the ``split`` attribute before)."""
        operands: list[Value] = [value]
        properties: dict[str, Attribute] = {"axis": IntegerAttr(axis, i64)}
        if self.opset >= SPLIT_INPUT_OPSET:
            operands.append(self.initializer(np.array(widths, np.int64), f"{name}_split"))
        else:
            properties["split"] = DenseArrayBase.from_list(i64, widths)
        return Build(standard_class("Split", self.opset), operands, types, properties, name=f"{name}/Split")

    def near_miss(self, declined: Mismatch, pattern: FusionPattern) -> None:
        """Record a declined alternative and go on with another (what the driver does when ``match`` fails)."""
        anchor = declined.anchor or self.root
        current_state().near_miss(NearMiss(self.context.pass_name, type(pattern).__name__, name_or_kind(anchor), str(declined)))

    def check(self, build: Build) -> None:
        """Fail unless the target can express ``build`` (for ``nn`` ops: their lowering's ``check``)."""
        if issubclass(build.op, NNOp):
            check(build, self.target)

    def replace(self, anchor: Operation, builds: Build | Sequence[Build], replaced: Iterable[Operation],
                results: Mapping[SSAValue, Value]) -> list[Operation]:
        """Commit: check every build against the target, build them before ``anchor``, give them the
        provenance of ``replaced``, route each matched result to its replacement and erase what died.

        Returns the new ops (constants first, then the builds in order)."""
        builds = [builds] if isinstance(builds, Build) else list(builds)
        for build in builds:
            self.check(build)
        made: dict[int, Operation] = {}
        placed: list[Operation] = []

        def real(value: Value) -> SSAValue:
            if isinstance(value, Pending):
                return made[id(value.owner)].results[value.index]
            owner = value.owner
            if isinstance(owner, Operation) and owner.parent is None and owner not in placed:  # a new constant
                if isinstance(owner, InitializerOp):
                    self.context.constants.place(owner, anchor.parent)  # type: ignore[arg-type]
                else:
                    self.rewriter.insert(owner, InsertPoint.before(anchor))
                placed.append(owner)
            return value

        for build in builds:
            op = build.create([real(v) for v in build.operands])
            self.rewriter.insert(op, InsertPoint.before(anchor))
            made[id(build)] = op
        replaced = list(replaced)
        named = {made[id(b)]: b.name for b in builds if b.name}
        main = next((made[id(b)] for b in builds if not b.name), made[id(builds[0])])
        new_ops = [*(op for op in placed if not isinstance(op, InitializerOp)), *made.values()]
        for old, new in results.items():
            self.rewriter.replace_all_uses_with(old, real(new))
        erase_dead(self.rewriter, replaced)
        # the module tag counts what the fusion absorbed: a matched op that other ops still use (a shape
        # chain CSE shared between layers) stays where it is and does not pull the fused op up the tree
        absorbed = [op for op in replaced if op.parent is None]
        provenance.record_replacement(new_ops, replaced, anchor, main=main, names=named, absorbed=absorbed or None)
        return new_ops


class FusionPattern(ContextPattern):
    """A fusion: ``match(self, op: RootOp, fusion)`` fails with a reason or ends in ``fusion.replace``."""

    root_method: ClassVar[str] = "match"

    def apply(self, op: Operation, rewriter: PatternRewriter, context: RewriteContext) -> None:  # type: ignore[override]
        self.match(op, Fusion(context, rewriter, op))

    def match(self, op: Operation, fusion: Fusion) -> None:
        raise NotImplementedError


@dataclass(frozen=True)
class TargetedPass(PatternPass):
    """A pattern pass that writes for a lowering target: ``{target=standard|ort|portable|tensorrt opset=N}``.

    ``opset`` 0 means the model's own default-domain opset; another value must be the model's (convert
    first with ``onnx-convert-opset``): the option states the assumption, so a pipeline replays it.
    """

    target: str = "standard"
    opset: int = 0

    def context(self, module: ModuleOp) -> RewriteContext:
        return RewriteContext(module, lowering_target(self.target, self.opset, model_opset(module), self.name), self.name)


@dataclass(frozen=True)
class FusionPass(TargetedPass):
    """A pass of fusion patterns: accuracy class 1 (fused kernels reorder float arithmetic)."""

    accuracy: ClassVar[Accuracy] = Accuracy.FLOAT_BOUNDED


__all__ = ["Build", "Fusion", "FusionPass", "FusionPattern", "Pending", "RewriteContext", "TargetedPass", "Value", "fail"]
