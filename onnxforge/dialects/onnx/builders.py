"""Building new onnx ops: standard ops in the model's opset form, and initializers with unique names.

``model_opset`` is the one answer to "which default-domain opset are new ops
written for" (the model's own: a rewrite never changes a model's opsets).
"""

from __future__ import annotations

from collections import Counter

import numpy as np
from onnx import defs
from xdsl.dialects.builtin import ArrayAttr, ModuleOp, StringAttr
from xdsl.ir import Attribute, Block, Operation, SSAValue

from onnxforge.dialects.onnx.base import DEFAULT_DOMAINS, OnnxOp
from onnxforge.dialects.onnx.ops import op_class_for
from onnxforge.dialects.onnx.structure import NAMES_ATTR, GraphOp, InitializerOp, ModelOp, NoValueOp, strings_of
from onnxforge.ir.tensor import DenseAttr, TensorValue
from onnxforge.ir.types import static_tensor_type


def model_of(op: Operation) -> ModelOp | None:
    """The ``onnx.model`` holding ``op`` (itself when it is one, the first of a module)."""
    if isinstance(op, ModuleOp):
        return next((o for o in op.ops if isinstance(o, ModelOp)), None)
    while op is not None and not isinstance(op, ModelOp):
        op = op.parent_op()  # type: ignore[assignment]
    return op


def model_opset(op: Operation) -> int:
    """The default-domain opset of the model holding ``op`` (or of a module); 0 when there is none."""
    model = model_of(op)
    if model is None:
        return 0
    opsets = model.opsets()
    return next((opsets[d] for d in DEFAULT_DOMAINS if d in opsets), 0)


def standard_class(op_type: str, opset: int) -> type[OnnxOp]:
    """The generated class of a default-domain op in the signature the model's opset uses."""
    op_class = op_class_for("", op_type, defs.get_schema(op_type, opset, "").since_version)
    if op_class is None:
        raise ValueError(f"no generated op for {op_type} at opset {opset}")
    return op_class


def standard_op(op_type: str, opset: int, operands: list[SSAValue], result_types: list[Attribute],
                properties: dict[str, Attribute] | None = None) -> Operation:
    """A new default-domain op in the signature the model's opset uses (e.g. Shape before/after 15)."""
    return standard_class(op_type, opset).create(operands=operands, result_types=result_types, properties=properties or {})


def detached_initializer(array: np.ndarray | TensorValue, hint: str, elem: int | None = None) -> InitializerOp:
    """An ``onnx.initializer`` not yet in any graph; ``ConstantBuilder.place`` names it and puts it in one."""
    value = array if isinstance(array, TensorValue) else TensorValue.from_numpy(array, elem)
    return InitializerOp.create(
        properties={"name": StringAttr(hint), "value": DenseAttr(value)},
        result_types=[static_tensor_type(value.elem, value.dims)],
    )


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
        return self.place(detached_initializer(array, hint, elem), block)

    def place(self, op: InitializerOp, block: Block) -> SSAValue:
        """Name a detached initializer uniquely (its name is the hint) and put it at the top of ``block``."""
        op.properties["name"] = StringAttr(self.unique(op.tensor_name.data))
        anchor = next((o for o in block.ops if not isinstance(o, (InitializerOp, NoValueOp))), None)
        if anchor is None:  # every graph block ends with onnx.return; a bare block gets it at the end
            block.add_op(op)
        else:
            block.insert_op_before(op, anchor)
        return op.results[0]
