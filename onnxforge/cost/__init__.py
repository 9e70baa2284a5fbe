"""The cost model: roofline latency of a model's kernels on a hardware target (docs/cost-model.md).

    from onnxforge.compiler import estimate_cost
    report = estimate_cost("model.onnx", "orin-agx-50w", dims={"sequence": 256}, pipeline="transformer")
    report.total_ms, report.estimates[0].bound

``hardware`` (targets as data), ``execution`` (which ops are one kernel),
``counting`` (FLOPs and bytes per op), ``grouping`` (ops → kernels),
``model`` (kernels and the roofline), ``lower`` (the ``cost`` dialect),
``cost_annotate`` (the pass that lowers to it), ``report`` and ``plot``
(renderings). Calibration and validation live in ``calibrate``, ``fit`` and
``validate``. The cost model reads the IR and its provenance; loading and
compiling a model is the compiler's (``onnxforge.compiler.estimate_cost``).
"""
