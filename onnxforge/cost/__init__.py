"""The cost model: roofline latency of a model's kernels on a hardware target (docs/cost-model.md).

    from onnxforge.cost import estimate_model
    report = estimate_model("model.onnx", "orin-agx-50w", dims={"sequence": 256}, pipeline="transformer")
    report.total_ms, report.estimates[0].bound

``hardware`` (targets as data), ``execution`` (which ops are one kernel),
``counting`` (FLOPs and bytes per op), ``grouping`` (ops → kernels),
``model`` (kernels and the roofline), ``lower`` (the ``cost`` dialect),
``report`` and ``plot`` (renderings). Calibration and validation live in
``calibrate``, ``fit`` and ``validate``.
"""

from onnxforge.cost.hardware import Target, list_targets, load_target, save_target, transfer
from onnxforge.cost.model import CostReport, Estimate, Kernel, estimate, estimate_model, kernels, report_for

__all__ = [
    "CostReport",
    "Estimate",
    "Kernel",
    "Target",
    "estimate",
    "estimate_model",
    "kernels",
    "list_targets",
    "load_target",
    "report_for",
    "save_target",
    "transfer",
]
