"""The ``cost`` dialect: a model lowered to the kernels a runtime would launch, with their roofline cost.

``cost-annotate`` lowers an onnx/nn graph into one ``cost.model`` whose body is
a dataflow graph of ``cost.kernel`` ops: one per kernel the chosen execution
model launches (a PyTorch-eager op, a fused ``nn`` op, an onnxruntime node).
View and shape ops disappear (they launch nothing); a kernel's operands are
the values it reads from other kernels or from the model inputs, its results
the values it writes that something outside it reads.

Each kernel carries what it costs independently of hardware (FLOPs,
multiply-accumulates, bytes read and written, weight bytes, arithmetic
intensity, op class, source module path) and, once a target is chosen, the
roofline estimate: the time of each roof (compute, memory, per-kernel
overhead), the one that binds, and the estimated time. ``cost.model`` records
the target, the execution model, the dims symbolic sizes were bound to, and
the total. Counts are integers (FLOPs, bytes: ``i64``), times milliseconds (``f64``, 6 significant digits).
Provenance: a kernel's location names its anchor ONNX node and every ONNX node
it covers (``loc(fused["anchor", "a", "b"])``, read through ``onnxforge.ir.provenance``).
"""

from __future__ import annotations

from xdsl.dialects.builtin import ArrayAttr, DictionaryAttr, FloatAttr, IntegerAttr, StringAttr
from xdsl.ir import Dialect
from xdsl.irdl import (
    IRDLOperation,
    irdl_op_definition,
    opt_prop_def,
    prop_def,
    region_def,
    traits_def,
    var_operand_def,
    var_result_def,
)
from xdsl.traits import IsolatedFromAbove, IsTerminator

OP_CLASSES = ("conv", "matmul", "attention", "normalization", "pooling", "reduction", "elementwise", "data_movement")
"""The kernel classes a target gives an efficiency and a precision to (see docs/cost-model.md)."""

BOUNDS = ("compute", "memory", "overhead")


@irdl_op_definition
class CostModelOp(IRDLOperation):
    """``cost.model``: the kernels of one model graph, under a target and an execution model.

    The body's block arguments are the graph inputs (named by ``input_names``),
    ``cost.yield`` returns the graph outputs. ``target`` is empty and
    ``total_ms`` absent until a target is chosen; ``target_spec`` then holds the
    hardware numbers used (peaks per precision, bandwidth, overhead, efficiencies).
    """

    name = "cost.model"
    model_name = prop_def(StringAttr, prop_name="name")
    """The ONNX graph's name."""
    target = prop_def(StringAttr)
    execution = prop_def(StringAttr)
    dims = prop_def(DictionaryAttr)
    """Symbolic dim name → IntegerAttr value it was bound to."""
    input_names = prop_def(ArrayAttr)
    total_ms = opt_prop_def(FloatAttr)
    target_spec = opt_prop_def(DictionaryAttr)
    body = region_def("single_block")
    traits = traits_def(IsolatedFromAbove())

    def verify_(self) -> None:
        block = self.body.block
        if len(self.input_names.data) != len(block.args):
            raise ValueError("cost.model: input_names and block arguments differ in number")
        if not isinstance(block.last_op, CostYieldOp):
            raise ValueError("cost.model body must end with cost.yield")
        for op in block.ops:
            if not isinstance(op, (KernelOp, CostYieldOp)):
                raise ValueError(f"cost.model holds only cost.kernel ops, found {op.name}")

    @property
    def kernels(self) -> list[KernelOp]:
        return [op for op in self.body.block.ops if isinstance(op, KernelOp)]


@irdl_op_definition
class KernelOp(IRDLOperation):
    """``cost.kernel``: one launched kernel, what it moves and computes, and (with a target) its time.

    ``flops`` counts every arithmetic operation (a multiply-accumulate is 2);
    ``macs`` only the multiply-accumulates of contractions (convolutions,
    matmuls, attention), the unit of published model sizes. ``bytes_read``
    includes ``weight_bytes``. ``intensity`` is flops per byte moved.
    """

    name = "cost.kernel"
    inputs = var_operand_def()
    outputs = var_result_def()
    op = prop_def(StringAttr)
    """The ONNX/nn op types the kernel covers, e.g. ``Conv`` or ``MatMul+Add``."""
    op_class = prop_def(StringAttr)
    module = prop_def(StringAttr)
    """Source module path, ``/``-separated (``encoder/layer.0/attention/self``); empty when unknown."""
    flops = prop_def(IntegerAttr)
    macs = prop_def(IntegerAttr)
    bytes_read = prop_def(IntegerAttr)
    bytes_written = prop_def(IntegerAttr)
    weight_bytes = prop_def(IntegerAttr)
    intensity = prop_def(FloatAttr)
    precision = opt_prop_def(StringAttr)
    bound = opt_prop_def(StringAttr)
    compute_ms = opt_prop_def(FloatAttr)
    memory_ms = opt_prop_def(FloatAttr)
    overhead_ms = opt_prop_def(FloatAttr)
    ms = opt_prop_def(FloatAttr)

    def verify_(self) -> None:
        if self.op_class.data not in OP_CLASSES:
            raise ValueError(f"cost.kernel: op_class {self.op_class.data!r} is not one of {', '.join(OP_CLASSES)}")
        if self.bound is not None and self.bound.data not in BOUNDS:
            raise ValueError(f"cost.kernel: bound {self.bound.data!r} is not one of {', '.join(BOUNDS)}")
        for name in ("flops", "macs", "bytes_read", "bytes_written", "weight_bytes"):
            if self.properties[name].value.data < 0:  # type: ignore[attr-defined]
                raise ValueError(f"cost.kernel: {name} is negative")


@irdl_op_definition
class CostYieldOp(IRDLOperation):
    """``cost.yield``: the graph outputs, ending a ``cost.model`` body."""

    name = "cost.yield"
    values = var_operand_def()
    traits = traits_def(IsTerminator())


COST_OPS = (CostModelOp, KernelOp, CostYieldOp)

COST = Dialect("cost", list(COST_OPS), [])

__all__ = ["BOUNDS", "COST", "OP_CLASSES", "CostModelOp", "CostYieldOp", "KernelOp"]
