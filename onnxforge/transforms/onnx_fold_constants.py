"""``onnx-fold-constants``: evaluate ops whose inputs are all constants; keep the result as an initializer.

Identity: an ONNX op of the default domain is a pure function of its inputs
and attributes, so with constant inputs its outputs are constants, computed
once here instead of at every inference. Constants are non-default
initializers (an initializer named like a graph input is only that input's
default and may be overridden), ``onnx.Constant`` ops (each becomes an
initializer, with the same buffer) and results folded earlier. Absent
optional inputs do not count. An Identity of a constant is removed instead:
its users read the constant itself (no copy, whatever the size).

Never folded: ops with an effect (random ops, Dropout with a training-mode
input: the effect traits say so), ops with subgraphs, other domains (``onnx.custom``, ``ai.onnx.ml``), results that are
sequences, maps or optionals, ops reading string tensors, ops in function bodies (FunctionProtos have no
initializers), models of IR version < 4 (their initializers must also be
graph inputs), and what the evaluator cannot run; each skip counts under
its reason in the pass statistics (``--pass-statistics``).

Size rule, so folding never grows the model: a fold happens only when the
result's bytes are at most ``max(max-bytes, bytes of the constant inputs
that die with it)``. So ``Transpose`` of a weight only it uses is folded
(same bytes), while ``Expand``/``Tile``/``ConstantOfShape``/``Range``/``Pad``/
``OneHot`` or a broadcasting ``Add`` making a big tensor from tiny inputs stay
ops. Every result is sized *before* it is evaluated (``_folding_size``: from
input shapes and the small constant inputs' values), so an op is never run
to learn that its result is too big; an op whose result size cannot be known
beforehand is not folded. Inputs that die are removed.

Accuracy class 1: integer and data-movement results are exact, but float
math evaluated by numpy (transcendentals, reductions) may round differently
from onnxruntime's kernels.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from xdsl.dialects.builtin import ModuleOp
from xdsl.ir import Attribute, Operation, SSAValue
from xdsl.traits import is_side_effect_free

from onnxforge.dialects.onnx.base import OnnxOp
from onnxforge.dialects.onnx.builders import ConstantBuilder, model_opset
from onnxforge.dialects.onnx.generated import ConstantFamily
from onnxforge.dialects.onnx.queries import constant_of, if_condition_slice, is_absent, returned_by_subgraph
from onnxforge.dialects.onnx.structure import NAMES_ATTR, GraphOp, InitializerOp, ModelOp, strings_of
from onnxforge.ir.provenance import name_or_kind
from onnxforge.ir.tensor import DenseAttr, TensorValue
from onnxforge.ir.types import AnyType, NoneType, TensorType
from onnxforge.onnxio.weights import release_pages, spill
from onnxforge.passmanager import Accuracy, ForgePass, RunState
from onnxforge.transforms._folding_eval import CannotFold, constant_value, evaluate


def tensor_bytes(value: TensorValue) -> int:
    if value.strings is not None:
        return sum(len(s) for s in value.strings)
    return value.nbytes


def _fits(declared: Attribute, value: TensorValue) -> bool:
    """Whether a computed value agrees with what the IR already knew of the result's type."""
    if not isinstance(declared, TensorType):
        return True
    if declared.elem not in (0, value.elem):
        return False
    dims = declared.dims
    if dims is None:
        return True
    return len(dims) == len(value.dims) and all(not isinstance(d, int) or d == n for d, n in zip(dims, value.dims))


@dataclass(frozen=True)
class FoldConstantsPass(ForgePass):
    name = "onnx-fold-constants"
    summary = "evaluate ops whose inputs are all constants into initializers (never growing the model)"
    accuracy = Accuracy.FLOAT_BOUNDED

    max_bytes: int = 1024
    """A folded result may always take this many bytes; beyond it, only as many as the inputs it frees."""

    def run(self, module: ModuleOp, state: RunState) -> None:
        for model in module.ops:
            if isinstance(model, ModelOp):
                _Folder(self, module, model, state).run()


class _Folder:
    """One run over one model: walks every graph (subgraphs included) in order, so a fold's
    result is already an initializer when its users are reached."""

    def __init__(self, pass_: FoldConstantsPass, module: ModuleOp, model: ModelOp, state: RunState) -> None:
        self.pass_name = pass_.name
        self.max_bytes = pass_.max_bytes
        self.model = model
        self.state = state
        self.opset = model_opset(model)
        self.builder = ConstantBuilder(module)
        self.keep = if_condition_slice(model)

    def run(self) -> None:
        if self.model.ir_version.value.data < 4:
            self._skip("IR version < 4 (initializers must be graph inputs)")
            return
        for op in list(self.model.graph.walk()):
            if op.parent is None or not isinstance(op.parent_op(), GraphOp):
                continue  # erased already (a dead input), or not directly in a graph
            if isinstance(op, ConstantFamily):
                self._constant(op)
            elif isinstance(op, OnnxOp) and op.SIGNATURE.domain == "":
                self._fold(op)

    # --- what is constant ----------------------------------------------------------

    # --- rewriting -----------------------------------------------------------------

    def _skip(self, reason: str) -> None:
        self.state.statistics[f"{self.pass_name}/not folded: {reason}"] += 1

    def _constant(self, op: OnnxOp) -> None:
        """``onnx.Constant`` → ``onnx.initializer`` holding the same tensor."""
        # in an If condition's slice too: onnxruntime reads Constant nodes as initializers when it loads a model,
        # so this changes nothing there; what the slice keeps computed is the ops above them
        if not self.state.allow_rewrite() or returned_by_subgraph(op.results[0]):
            return
        try:
            value = constant_value(op)
        except CannotFold as reason:
            self._skip(str(reason))
            return
        self._replace(op, [value])

    def _fold(self, op: OnnxOp) -> None:
        inputs: list[TensorValue | None] = []
        for operand in op.operands:
            if is_absent(operand):
                inputs.append(None)
                continue
            constant = constant_of(operand)
            if constant is None:
                return
            inputs.append(constant)
        op_type = op.SIGNATURE.op_type
        if reason := self._never(op, inputs, self.keep):
            self._skip(f"{reason} ({op_type})")
            return
        if not self.state.allow_rewrite():
            return
        if op_type == "Identity":
            self._forward(op)
            return
        arrays = [None if t is None else t.numpy() for t in inputs]
        freed = self._freed_bytes(op)
        limit = max(self.max_bytes, freed)
        try:
            results = evaluate(op, arrays, self.opset, limit)
        except CannotFold as reason:
            self._skip(f"{reason} ({op_type})")
            return
        except Exception as err:  # a bad op (e.g. Reshape to a wrong size) is not ours to report
            self._skip(f"evaluation failed: {type(err).__name__} ({op_type})")
            return
        values = [
            None if isinstance(result.type, NoneType) else TensorValue.from_numpy(np.asarray(array))
            for result, array in zip(op.results, results)
        ]
        if not all(v is None or _fits(r.type, v) for r, v in zip(op.results, values)):
            self._skip(f"result disagrees with its type in the IR ({op_type})")
            return
        if sum(tensor_bytes(v) for v in values if v is not None) > limit:
            self._skip(f"result too big ({op_type})")
            return
        self._replace(op, values)

    @staticmethod
    def _never(op: OnnxOp, inputs: list[TensorValue | None], keep: set[SSAValue]) -> str | None:
        if not is_side_effect_free(op):
            return "random"
        if op.regions:
            return "has subgraphs"
        if any(returned_by_subgraph(r) for r in op.results):
            return "returned by a subgraph"
        if any(r in keep for r in op.results):
            return "feeds an If condition"
        if any(not isinstance(r.type, (TensorType, NoneType, AnyType)) for r in op.results):
            return "non-tensor result"
        if any(t is not None and t.strings is not None for t in inputs):
            return "string inputs"
        return None

    def _freed_bytes(self, op: Operation) -> int:
        """Bytes of the constant inputs that only this op uses (they go away with it)."""
        freed = 0
        for value in set(op.operands):
            if all(use.operation is op for use in value.uses):
                constant = constant_of(value)
                if constant is not None:
                    freed += tensor_bytes(constant)
        return freed

    def _replace(self, op: Operation, values: list[TensorValue | None]) -> None:
        names = strings_of(op.attributes.get(NAMES_ATTR))
        block = op.parent
        assert block is not None
        for name in names:
            self.builder.release(name)  # the constants take over the names of the values they replace
        for index, (result, value) in enumerate(zip(op.results, values)):
            if value is None:
                continue
            wanted = names[index] if index < len(names) and names[index] else f"{name_or_kind(op).rsplit('.', 1)[-1]}_output_{index}"
            result.replace_all_uses_with(self.builder.initializer(block, spill(value), wanted))
        self.state.record(f"{self.pass_name}/{op.SIGNATURE.op_type}", name_or_kind(op))  # type: ignore[attr-defined]
        inputs = [v.owner for v in set(op.operands)]
        op.detach()
        op.erase()
        for owner in inputs:
            if isinstance(owner, InitializerOp) and not owner.result.uses and not owner.is_input_default():
                if isinstance(owner.value, DenseAttr):
                    release_pages(owner.value.value.raw)  # a transposed weight's source: read once, now dead
                self.builder.release(owner.tensor_name.data)
                owner.detach()
                owner.erase()

    def _forward(self, op: OnnxOp) -> None:
        """Identity of a constant: its users read the constant itself (no copy, whatever its size)."""
        op.results[0].replace_all_uses_with(op.operands[0])
        self.state.record(f"{self.pass_name}/Identity", name_or_kind(op))
        op.detach()
        op.erase()
