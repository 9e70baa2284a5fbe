"""``onnx-infer-shapes``: write the symbolic shapes ``onnxforge.analysis.shapes`` infers into the value types.

Makes shapes visible in the IR and in the exported value_info (so runtimes
and later tools see them). Never makes a type less precise; graph inputs
keep their declared types and dim names. A graph output's declared type is
refined only where the declaration knew less: an unknown dim, or a symbolic
name where the dim is provably a constant (TorchScript exports sometimes
declare names that are wrong, e.g. ``batch`` for a dim that is always 1).
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.dialects.builtin import ArrayAttr, ModuleOp
from xdsl.ir import Attribute

from onnxforge.analysis.shapes import apply_types
from onnxforge.dialects.onnx.structure import GraphOp
from onnxforge.ir.types import AnyType, TensorType, tensor_type
from onnxforge.passmanager import Accuracy, ForgePass, RunState
from onnxforge.passmanager.analyses import SHAPES, shape_facts


def refined_declaration(declared: Attribute, actual: Attribute) -> Attribute:
    """The declared output type, with unknown dims and wrongly-symbolic constant dims filled in."""
    if isinstance(declared, AnyType) and isinstance(actual, TensorType):
        return actual
    if not isinstance(declared, TensorType) or not isinstance(actual, TensorType) or actual.dims is None:
        return declared
    if declared.elem not in (0, actual.elem):
        return declared
    if declared.dims is None:
        return tensor_type(actual.elem, actual.dims)
    if len(declared.dims) != len(actual.dims):
        return declared
    dims = tuple(
        a if d is None or (isinstance(d, str) and isinstance(a, int)) else d for d, a in zip(declared.dims, actual.dims)
    )
    return tensor_type(declared.elem or actual.elem, dims)


@dataclass(frozen=True)
class InferShapesPass(ForgePass):
    name = "onnx-infer-shapes"
    summary = "infer symbolic shapes and write them into the value types"
    accuracy = Accuracy.LOSSLESS

    def run(self, module: ModuleOp, state: RunState) -> None:
        changed = apply_types(module, shape_facts(module, state))
        state.preserve(SHAPES)  # writing the facts into the types leaves them true
        for graph in (op for op in module.walk() if isinstance(op, GraphOp)):
            declared = list(graph.output_types.data)
            refined = [refined_declaration(d, v.type) for d, v in zip(declared, graph.return_op.operands)]
            if refined != declared:
                graph.output_types = ArrayAttr(refined)
                changed += sum(a != b for a, b in zip(refined, declared))
        if changed:
            state.statistics[f"{self.name}/types-refined"] += changed
            state.changed = True
