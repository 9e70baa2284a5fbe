"""Building new constants in a graph: initializers with names unique across the model."""

from __future__ import annotations

from collections import Counter

import numpy as np
from xdsl.dialects.builtin import ArrayAttr, ModuleOp, StringAttr
from xdsl.ir import Block, Operation, SSAValue

from onnxforge.dialects.onnx.structure import NAMES_ATTR, GraphOp, InitializerOp, NoValueOp, strings_of
from onnxforge.ir.tensor import DenseAttr, TensorValue
from onnxforge.ir.types import static_tensor_type


class ConstantBuilder:
    """Makes ``onnx.initializer`` ops whose names collide with no other value of the model.

    Names are counted (graph inputs, initializers, op results), so a pass that
    replaces an op can ``release`` its result names and give the constant the
    name of the value it stands for. Graph output names need no entry: the
    exporter keeps them for the values returned under them.
    """

    def __init__(self, module: ModuleOp) -> None:
        self.used: Counter[str] = Counter()
        for op in module.walk():
            if isinstance(op, InitializerOp):
                self.used[op.tensor_name.data] += 1
            elif isinstance(op, GraphOp):
                self.used.update(strings_of(op.input_names))
            names = op.attributes.get(NAMES_ATTR)
            if isinstance(names, ArrayAttr):
                self.used.update(n for n in strings_of(names) if n)

    def unique(self, hint: str) -> str:
        name, counter = hint or "const", 0
        while self.used[name]:
            counter += 1
            name = f"{hint or 'const'}__{counter}"
        self.used[name] += 1
        return name

    def release(self, name: str) -> None:
        """A value of that name is going away."""
        if self.used[name]:
            self.used[name] -= 1

    def initializer(self, block: Block, array: np.ndarray | TensorValue, hint: str, elem: int | None = None) -> SSAValue:
        """A new initializer holding ``array`` at the top of ``block`` (so it dominates every use)."""
        value = array if isinstance(array, TensorValue) else TensorValue.from_numpy(array, elem)
        op = InitializerOp.create(
            properties={"name": StringAttr(self.unique(hint)), "value": DenseAttr(value)},
            result_types=[static_tensor_type(value.elem, value.dims)],
        )
        anchor = _first_non_constant(block)  # every graph block ends with onnx.return, so there is one
        assert anchor is not None
        block.insert_op_before(op, anchor)
        return op.results[0]


def _first_non_constant(block: Block) -> Operation | None:
    for op in block.ops:
        if not isinstance(op, (InitializerOp, NoValueOp)):
            return op
    return None


def default_opset(module: ModuleOp) -> int:
    """The model's default-domain opset (what new standard ops must be written for)."""
    from onnxforge.dialects.onnx.structure import ModelOp

    for op in module.ops:
        if isinstance(op, ModelOp):
            return op.opsets().get("", op.opsets().get("ai.onnx", 0))
    return 0


def standard_op(op_type: str, opset: int, operands: list[SSAValue], result_types: list, properties: dict | None = None) -> Operation:  # type: ignore[type-arg]
    """A new default-domain op in the signature the model's opset uses (e.g. Shape before/after 15)."""
    from onnx import defs

    from onnxforge.dialects.onnx import op_class_for

    op_class = op_class_for("", op_type, defs.get_schema(op_type, opset, "").since_version)
    assert op_class is not None, (op_type, opset)
    return op_class.create(operands=operands, result_types=result_types, properties=properties or {})
