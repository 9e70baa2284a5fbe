"""The roofline model: the kernels of a model, and their estimated time on a target.

``kernels(module, dims, execution)`` turns onnx/nn IR into ``Kernel`` records
(what each kernel computes and moves, independent of hardware);
``estimate(kernels, target)`` puts each on the target's roofline::

    compute = flops / (peak[precision] · efficiency[class])      (· size factor, see Target.compute_rate)
    memory  = (bytes read + bytes written) / (bandwidth · bandwidth_efficiency)
    time    = max(compute, memory) + overhead

and names the roof that binds: ``overhead`` when the per-kernel overhead
exceeds both others, else the larger of ``compute`` and ``memory``. A model's
latency is the sum over its kernels (one stream, no overlap between kernels).
``onnxforge.compiler.estimate_cost`` does all of it from a file or IR, optionally after a pipeline.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from xdsl.dialects.builtin import ModuleOp

from onnxforge.analysis.shapes import ShapeFacts
from onnxforge.cost.execution import ExecutionModel, execution_model
from onnxforge.cost.grouping import GraphPlan, KernelPlan, group_module, main_graph, plan
from onnxforge.cost.hardware import Target, load_target
from onnxforge.cost.sizes import Sizes
from onnxforge.ir.provenance import node_name
from onnxforge.ir.types import elem_name

DTYPE_PRECISION = {"f16": "fp16", "bf16": "bf16", "i8": "int8", "u8": "int8"}
"""Element types that run at their own precision when the target has a peak for it (else the class's)."""


@dataclass
class Kernel:
    """One kernel: what it computes and moves, and where it came from."""

    name: str
    """The anchor ONNX node's name (or its op type when unnamed)."""
    op: str
    """The op types it covers: ``Conv``, ``MatMul+Add``, ``LayerNormalization``."""
    op_class: str
    module: str
    """Source module path, ``/``-separated (empty when the exporter left none)."""
    flops: float
    bytes_read: float
    bytes_written: float
    weight_bytes: float
    macs: float = 0.0
    dtype: str = "f32"
    """Element type of the kernel's main input (decides the precision for non-f32 models)."""
    sources: tuple[str, ...] = ()
    """ONNX node names of every op in the kernel."""
    approximate: bool = False
    """Some op had no counting rule (counted as elementwise)."""
    unknown_shape: bool = False
    """Some shape was unknown: FLOPs or bytes are missing."""

    @property
    def bytes(self) -> float:
        return self.bytes_read + self.bytes_written

    @property
    def intensity(self) -> float:
        """FLOPs per byte moved."""
        return self.flops / self.bytes if self.bytes else 0.0


@dataclass
class Estimate:
    """A kernel on a target's roofline (seconds)."""

    kernel: Kernel
    compute_s: float
    memory_s: float
    overhead_s: float
    seconds: float
    bound: str
    """``compute``, ``memory`` or ``overhead``: the term that dominates."""
    precision: str = "fp32"

    @property
    def ms(self) -> float:
        return self.seconds * 1e3

    @property
    def attained_flops(self) -> float:
        """FLOP/s actually achieved (for the roofline plot)."""
        return self.kernel.flops / self.seconds if self.seconds else 0.0


@dataclass
class Analysis:
    """The hardware-independent part: kernels, and the dims they were computed under."""

    kernels: list[Kernel]
    plans: list[KernelPlan]
    execution: ExecutionModel
    dims: dict[str, int]
    """Every symbolic dim that was needed → its value."""
    assumed: dict[str, int]
    """The bindings nobody asked for (defaults, or 1 for unknown names)."""
    facts: ShapeFacts | None = None
    graph_plan: GraphPlan | None = None

    @property
    def notes(self) -> list[str]:
        notes = []
        approximate = sorted({k.op for k in self.kernels if k.approximate})
        if approximate:
            notes.append(f"no counting rule (counted as elementwise): {', '.join(approximate)}")
        unknown = sum(k.unknown_shape for k in self.kernels)
        if unknown:
            notes.append(f"{unknown} kernel(s) with unknown shapes (their FLOPs/bytes are missing)")
        if self.assumed:
            notes.append("assumed dims: " + ", ".join(f"{k}={v}" for k, v in sorted(self.assumed.items())))
        return notes


def analyze(module: ModuleOp, dims: dict[str, int] | None = None, execution: str | ExecutionModel = "fused") -> Analysis:
    """Kernels of a module's main graph, with shapes inferred and symbolic dims bound."""
    from onnxforge.analysis.shapes import infer

    graph, _ = main_graph(module)
    sizes = Sizes(infer(module), dims)
    model = execution_model(execution)
    graph_plan = plan(graph if not isinstance(module, ModuleOp) else module, sizes, model)
    kernels = [_kernel(p, sizes) for p in graph_plan.kernels]
    return Analysis(kernels, graph_plan.kernels, model, dict(sizes.bound), dict(sizes.assumed), sizes.facts, graph_plan)


def kernels(module: ModuleOp, dims: dict[str, int] | None = None, execution: str | ExecutionModel = "fused") -> list[Kernel]:
    """The kernels the execution model launches for the module's main graph, in graph order."""
    return analyze(module, dims, execution).kernels


def _kernel(p: KernelPlan, sizes: Sizes) -> Kernel:
    anchor = p.anchor
    assert anchor is not None
    main = next((v for v in anchor.operands if sizes.elem(v)), None)
    dtype = elem_name(sizes.elem(main)) if main is not None else "f32"
    return Kernel(
        name=node_name(anchor) or p.op,
        op=p.op,
        op_class=p.op_class,
        module=group_module(p),
        flops=sum(c.flops for c in p.counts),
        bytes_read=sum(p.input_bytes),
        bytes_written=sum(p.output_bytes),
        weight_bytes=sum(b for b, w in zip(p.input_bytes, p.input_is_weight) if w),
        macs=sum(c.macs for c in p.counts),
        dtype=dtype,
        sources=tuple(n for n in (node_name(op) for op in p.ops) if n),
        approximate=any(c.approximate for c in p.counts),
        unknown_shape=any(c.unknown_shape for c in p.counts),
    )


def precision_for(kernel: Kernel, target: Target) -> str:
    own = DTYPE_PRECISION.get(kernel.dtype)
    if own is not None and own in target.peak_flops:
        return own
    return target.precision_of(kernel.op_class)


def estimate_one(kernel: Kernel, target: Target) -> Estimate:
    precision = precision_for(kernel, target)
    rate = target.compute_rate(kernel.op_class, kernel.flops)
    if precision != target.precision_of(kernel.op_class):
        rate *= target.peak_flops[precision] / target.peak_flops[target.precision_of(kernel.op_class)]
    compute = kernel.flops / rate if kernel.flops else 0.0
    memory = kernel.bytes / target.memory_rate if kernel.bytes else 0.0
    overhead = target.overhead_s
    roof = max(compute, memory)
    bound = "overhead" if overhead > roof else ("compute" if compute >= memory else "memory")
    return Estimate(kernel, compute, memory, overhead, roof + overhead, bound, precision)


def estimate(kernels: list[Kernel], target: Target | str) -> list[Estimate]:
    """Each kernel on the target's roofline."""
    target = load_target(target) if isinstance(target, str) else target
    return [estimate_one(k, target) for k in kernels]


@dataclass
class CostReport:
    """A model's estimated latency on a target: per kernel, and the facts it rests on."""

    target: Target
    estimates: list[Estimate]
    execution: str
    dims: dict[str, int] = field(default_factory=dict)
    assumed: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    label: str = ""
    """What was costed (the model file, and the pipeline if any)."""

    @property
    def total_s(self) -> float:
        return sum(e.seconds for e in self.estimates)

    @property
    def total_ms(self) -> float:
        return self.total_s * 1e3

    @property
    def kernels(self) -> list[Kernel]:
        return [e.kernel for e in self.estimates]


def report_for(module: ModuleOp, target: Target | str, dims: dict[str, int] | None = None,
               execution: str | None = None, label: str = "") -> CostReport:
    """Cost a module as it is (no passes)."""
    target = load_target(target) if isinstance(target, str) else target
    analysis = analyze(module, dims, execution or target.execution)
    return CostReport(target, estimate(analysis.kernels, target), analysis.execution.name,
                      analysis.dims, analysis.assumed, analysis.notes, label)
