"""The roofline, the execution models on real exports, and the cost dialect.

Roofline: time = max(flops / (peak[precision] · efficiency), bytes / (bandwidth · bandwidth_efficiency))
+ overhead; the bound is the term that wins (overhead when it exceeds both).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from paths import FIXTURES
from xdsl.parser import Parser

from onnxforge.compiler import estimate_cost, load_model, to_ir
from onnxforge.cost.hardware import Target, load_target
from onnxforge.cost.lower import kernels_from_ir, lower_to_cost
from onnxforge.cost.model import Kernel, estimate, kernels
from onnxforge.dialects.context import make_context
from onnxforge.dialects.cost import COST, CostModelOp
from onnxforge.ir.text import print_ir


def _target(**changes) -> Target:  # type: ignore[no-untyped-def]
    base = Target("t", {"fp32": 1e12, "tf32": 4e12, "fp16": 8e12}, bandwidth=1e11, overhead_s=1e-5,
                  precision={"conv": "tf32"}, efficiency={"matmul": 0.5, "conv": 0.5}, bandwidth_efficiency=0.5,
                  execution="fused")
    return base.with_constants(**changes)


def _kernel(flops: float, nbytes: float, op_class: str = "matmul", dtype: str = "f32") -> Kernel:
    return Kernel("k", "MatMul", op_class, "", flops, nbytes, 0.0, 0.0, dtype=dtype)


def test_compute_memory_and_overhead_bound() -> None:
    target = _target()
    compute, memory, overhead = estimate([_kernel(1e9, 1e6), _kernel(1e6, 1e8), _kernel(1e3, 1e3)], target)
    assert compute.compute_s == pytest.approx(2e-3) and compute.memory_s == pytest.approx(2e-5)
    assert compute.seconds == pytest.approx(2e-3 + 1e-5) and compute.bound == "compute"
    assert memory.seconds == pytest.approx(2e-3 + 1e-5) and memory.bound == "memory"
    assert overhead.bound == "overhead" and overhead.seconds == pytest.approx(1e-5 + 2e-8)


def test_precision_by_class_and_by_dtype() -> None:
    target = _target()
    conv, matmul, half = estimate([_kernel(4e9, 0, "conv"), _kernel(4e9, 0), _kernel(4e9, 0, dtype="f16")], target)
    assert conv.precision == "tf32" and conv.compute_s == pytest.approx(2e-3)  # 4e9 / (4e12 · 0.5)
    assert matmul.precision == "fp32" and matmul.compute_s == pytest.approx(8e-3)
    assert half.precision == "fp16" and half.compute_s == pytest.approx(1e-3)


def test_efficiency_knee_slows_small_kernels_only() -> None:
    target = _target(efficiency_knee={"matmul": 1e6})
    small, large = estimate([_kernel(1e6, 0), _kernel(1e12, 0)], target)
    assert small.compute_s == pytest.approx(2 * 1e6 / (1e12 * 0.5))  # half the efficiency at the knee
    assert large.compute_s == pytest.approx(1e12 / (1e12 * 0.5), rel=1e-5)


def _ops(path: Path, execution: str) -> Counter[str]:
    return Counter(k.op for k in kernels(to_ir(load_model(path)), execution=execution))


def test_resnet50_kernels_per_execution_model() -> None:
    path = FIXTURES / "cost" / "resnet50.onnx"
    eager = _ops(path, "eager")  # PyTorch: every conv, batch norm, ReLU and residual add is a kernel
    assert eager == Counter({"Conv": 53, "BatchNormalization": 53, "Relu": 49, "Add": 16, "MaxPool": 1,
                             "GlobalAveragePool": 1, "Gemm": 1})
    ort = _ops(path, "ort")  # onnxruntime: BN folded, residual add and ReLU fused into the conv
    assert sum(ort.values()) == 56 and ort["Conv+BatchNormalization+Add+Relu"] == 16


def test_vit_eager_kernels_match_pytorch() -> None:
    """ViT-B/16 in PyTorch eager runs about 119 kernels (the Orin data's count) for 1,973 ONNX nodes:
    per block LN, QKV linear, SDPA, out-projection, residual add, LN, 2 linears, GELU, residual add."""
    ops = _ops(FIXTURES / "cost" / "vit_b_16.onnx", "eager")
    assert sum(ops.values()) == 125
    assert ops["Mul+MatMul+Softmax"] == 12 and ops["Div+Erf+Add+Mul"] == 12 and ops["LayerNormalization"] == 25


@pytest.mark.parametrize("name", ["bert_ts", "bert_dynamo"])
def test_transformer_eager_groups_one_kernel_per_torch_op(name: str) -> None:
    """TorchScript: a decomposed LayerNorm/GELU module is one kernel; dynamo: one kernel per ATen op."""
    found = kernels(to_ir(load_model(FIXTURES / f"{name}.onnx")), execution="eager")
    classes = Counter(k.op_class for k in found)
    assert classes["normalization"] == 5 and classes["attention"] == 2  # 2 layers × 2 LN + embeddings LN
    assert sum(1 for k in found if "Erf" in k.op or k.op == "Gelu") == 2


def test_lowered_nn_op_is_one_kernel() -> None:
    """Ops written by nn-lower for one nn op (their locations list the same replaced nodes) run as one kernel."""
    from onnxforge.ir.provenance import location

    module = to_ir(load_model(FIXTURES / "cost" / "vgg16.onnx"))
    before = len(kernels(module, execution="fused"))
    model = module.ops.first
    graph_ops = list(model.graph.block.ops)  # type: ignore[union-attr]
    conv = next(op for op in graph_ops if op.name == "onnx.Conv")
    relu = next(op for op in graph_ops if op.name == "onnx.Relu")
    conv.location, relu.location = location("fused", ["a", "b"]), location("fused/Relu_1", ["a", "b"])
    assert len(kernels(module, execution="fused")) == before - 1


def test_cost_ir_prints_parses_and_reads_back() -> None:
    module = to_ir(load_model(FIXTURES / "cost" / "resnet18.onnx"))
    target = load_target("orin-agx-50w")
    model = lower_to_cost(module, target)
    module.verify()
    text = print_ir(module)
    ctx = make_context()
    if ctx.get_optional_dialect("cost") is None:
        ctx.load_dialect(COST)
    parsed = Parser(ctx, text).parse_module()
    assert print_ir(parsed) == text
    back = parsed.ops.first
    assert isinstance(back, CostModelOp) and len(back.kernels) == 68
    found, estimates = kernels_from_ir(back)
    assert estimates is not None
    assert sum(e.ms for e in estimates) == pytest.approx(model.total_ms.value.data, rel=1e-4)  # type: ignore[union-attr]
    assert sum(k.macs for k in found) == sum(k.macs for k in kernels(to_ir(load_model(FIXTURES / "cost" / "resnet18.onnx"))))


def test_estimate_cost_leaves_the_callers_ir_alone() -> None:
    module = to_ir(load_model(FIXTURES / "bert_ts.onnx"))
    text = print_ir(module)
    after = estimate_cost(module, "orin-agx-50w", pipeline="cleanup")
    assert print_ir(module) == text
    before = estimate_cost(module, "orin-agx-50w")
    assert 0 < after.total_ms <= before.total_ms
    assert before.execution == "eager" and before.dims == {"batch": 1, "sequence": 128}
