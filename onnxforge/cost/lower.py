"""Lowering onnx/nn IR into the ``cost`` dialect, and reading kernels back from it.

``lower_to_cost`` replaces the module's ``onnx.model`` by a ``cost.model``
holding one ``cost.kernel`` per kernel of the execution model, wired as a
dataflow graph (a kernel's operands are the values it reads from other
kernels or the model inputs; weights and host-side shape values are not
operands, their bytes are in the kernel's counts). With a target, every
kernel also carries its roofline estimate and the model its total.
``kernels_from_ir`` reads ``Kernel``/``Estimate`` records back from printed
and re-parsed cost IR, so reports can be made from a ``.mlir`` dump.
"""

from __future__ import annotations

from xdsl.dialects.builtin import DictionaryAttr, FloatAttr, IntegerAttr, ModuleOp, StringAttr, f64, i64
from xdsl.ir import Attribute, Block, Region, SSAValue
from xdsl.rewriter import Rewriter

from onnxforge.analysis.shapes.apply import merged_type
from onnxforge.cost.grouping import KernelPlan, main_graph
from onnxforge.cost.hardware import Target
from onnxforge.cost.model import Analysis, Estimate, Kernel, analyze, estimate
from onnxforge.dialects.cost import CostModelOp, CostYieldOp, KernelOp
from onnxforge.errors import ForgeError
from onnxforge.ir import provenance
from onnxforge.ir.order import stable_topological_order
from onnxforge.ir.provenance import node_name


def _f(value: float) -> FloatAttr:
    """An f64 rounded to 6 significant digits (prints as ``1.234560e-01``, not 17 digits or a bit pattern)."""
    return FloatAttr(float(f"{float(value):.5e}"), f64)


def _i(value: float) -> IntegerAttr:
    return IntegerAttr(round(value), i64)


def lower_to_cost(module: ModuleOp, target: Target | None, dims: dict[str, int] | None = None,
                  execution: str | None = None) -> CostModelOp:
    """Replace the module's ``onnx.model`` by its ``cost.model`` (in place); return the new op."""
    graph, model = main_graph(module)
    if model is None:
        raise ForgeError("cost lowering needs an onnx.model")
    analysis = analyze(module, dims, execution or (target.execution if target else "fused"))
    estimates = estimate(analysis.kernels, target) if target is not None else None
    cost_model = _build(graph, analysis, target, estimates, _Types(analysis))
    Rewriter.replace_op(model, cost_model)
    return cost_model


class _Types:
    """Result types with the inferred (symbolic) shapes, where the IR's own types knew less."""

    def __init__(self, analysis: Analysis) -> None:
        self.facts = analysis.facts

    def __call__(self, value: SSAValue) -> Attribute:
        if self.facts is None:
            return value.type
        merged = merged_type(value.type, self.facts.shape(value), self.facts.elem(value))
        return merged if merged is not None else value.type


def _build(graph, analysis: Analysis, target: Target | None, estimates: list[Estimate] | None,  # type: ignore[no-untyped-def]
           types: _Types) -> CostModelOp:
    block = Block(arg_types=[arg.type for arg in graph.block.args])
    mapped: dict[SSAValue, SSAValue] = dict(zip(graph.block.args, block.args))
    for index in _topological(analysis.plans):
        plan, kernel = analysis.plans[index], analysis.kernels[index]
        operands = [mapped[v] for v in plan.inputs if v in mapped]
        op = KernelOp.create(
            operands=operands,
            result_types=[types(v) for v in plan.outputs],
            properties=_properties(kernel, estimates[index] if estimates is not None else None),
        )
        op.location = provenance.location(node_name(plan.anchor) if plan.anchor is not None else kernel.op, kernel.sources)
        block.add_op(op)
        mapped.update(zip(plan.outputs, op.results))
    root = analysis.graph_plan.root if analysis.graph_plan is not None else (lambda v: v)
    outputs = [mapped[root(v)] for v in graph.return_op.operands if root(v) in mapped]
    block.add_op(CostYieldOp.create(operands=outputs))
    properties: dict[str, Attribute] = {
        "name": graph.graph_name,
        "target": StringAttr(target.name if target else ""),
        "execution": StringAttr(analysis.execution.name),
        "dims": DictionaryAttr({k: IntegerAttr(v, i64) for k, v in sorted(analysis.dims.items())}),
        "input_names": graph.input_names,
    }
    if target is not None and estimates is not None:
        properties["total_ms"] = _f(sum(e.ms for e in estimates))
        properties["target_spec"] = _spec(target)
    return CostModelOp.create(properties=properties, regions=[Region(block)])


def retarget(model: CostModelOp, target: Target) -> None:
    """Estimate an existing ``cost.model`` (e.g. a parsed dump) on another target, in place."""
    kernels, _ = kernels_from_ir(model)
    estimates = estimate(kernels, target)
    for op, est in zip(model.kernels, estimates):
        for name, attr in _properties(est.kernel, est).items():
            if name in ("precision", "bound", "compute_ms", "memory_ms", "overhead_ms", "ms"):
                op.properties[name] = attr
    model.properties["target"] = StringAttr(target.name)
    model.properties["total_ms"] = _f(sum(e.ms for e in estimates))
    model.properties["target_spec"] = _spec(target)


def _properties(kernel: Kernel, est: Estimate | None) -> dict[str, Attribute]:
    props: dict[str, Attribute] = {
        "op": StringAttr(kernel.op),
        "op_class": StringAttr(kernel.op_class),
        "module": StringAttr(kernel.module),
        "flops": _i(kernel.flops),
        "macs": _i(kernel.macs),
        "bytes_read": _i(kernel.bytes_read),
        "bytes_written": _i(kernel.bytes_written),
        "weight_bytes": _i(kernel.weight_bytes),
        "intensity": _f(kernel.intensity),
    }
    if est is not None:
        props.update(
            precision=StringAttr(est.precision),
            bound=StringAttr(est.bound),
            compute_ms=_f(est.compute_s * 1e3),
            memory_ms=_f(est.memory_s * 1e3),
            overhead_ms=_f(est.overhead_s * 1e3),
            ms=_f(est.ms),
        )
    return props


def _spec(target: Target) -> DictionaryAttr:
    def table(values: dict[str, float]) -> DictionaryAttr:
        return DictionaryAttr({k: _f(v) for k, v in values.items()})

    return DictionaryAttr({
        "peak_flops": table(target.peak_flops),
        "bandwidth": _f(target.bandwidth),
        "overhead_s": _f(target.overhead_s),
        "bandwidth_efficiency": _f(target.bandwidth_efficiency),
        "efficiency": table(target.efficiency),
        "precision": DictionaryAttr({k: StringAttr(v) for k, v in target.precision.items()}),
    })


def _topological(plans: list[KernelPlan]) -> list[int]:
    """Kernel order such that producers come first (graph order among ready kernels).

    Grouping can, in principle, make two kernels read each other (a cycle of
    merged ops); the cycle is then broken in graph order and the back edge is
    not an operand.
    """
    producer = {v: i for i, p in enumerate(plans) for v in p.outputs}
    deps = [{producer[v] for v in p.inputs if v in producer and producer[v] != i} for i, p in enumerate(plans)]
    return stable_topological_order(deps, break_cycles=True)


def kernels_from_ir(model: CostModelOp) -> tuple[list[Kernel], list[Estimate] | None]:
    """The kernels (and estimates, when the IR has them) of a ``cost.model``."""
    kernels, estimates = [], []
    for op in model.kernels:
        p = op.properties

        def num(name: str, props=p) -> float:  # type: ignore[no-untyped-def]
            attr = props.get(name)
            return float(attr.value.data) if isinstance(attr, (FloatAttr, IntegerAttr)) else 0.0

        kernel = Kernel(
            name=node_name(op) or op.op.data,
            op=op.op.data,
            op_class=op.op_class.data,
            module=op.module.data,
            flops=num("flops"),
            bytes_read=num("bytes_read"),
            bytes_written=num("bytes_written"),
            weight_bytes=num("weight_bytes"),
            macs=num("macs"),
            sources=tuple(provenance.replaced_names(op)),
        )
        kernels.append(kernel)
        if op.ms is not None and op.bound is not None:
            estimates.append(Estimate(kernel, num("compute_ms") / 1e3, num("memory_ms") / 1e3, num("overhead_ms") / 1e3,
                                      num("ms") / 1e3, op.bound.data, op.precision.data if op.precision else "fp32"))
    return kernels, (estimates if len(estimates) == len(kernels) and kernels else None)
