"""Lowering ``nn`` ops back to ONNX, by target, and the question fusions ask first: can it be lowered?

A target is the op set the output may use: ``standard`` (the default domain at
the output opset), ``ort`` (standard plus onnxruntime's ``com.microsoft``
contrib ops), ``portable`` (standard ops only, with fused ops such as
LayerNormalization decomposed for converters that lack them) or ``tensorrt``
(what TensorRT's ONNX parser reads, leaving decomposed what its builder fuses:
``tensorrt_support``). Each ``nn`` op
has one ``Lowering`` (one module per op family in this package) that says
whether a target can express a given op (``check`` fails with the reason when
not) and rewrites it. Fusion passes ask before they fire, so a fusion
whose op the target cannot express never happens.
"""

from __future__ import annotations

from xdsl.ir import Operation

from onnxforge.passmanager import fail
from onnxforge.passmanager.build import Build
from onnxforge.transforms.lowering import attention, conv, gelu, layer_norm, linear, rms_norm, rotary, skip_layer_norm
from onnxforge.transforms.lowering.base import Lowering, LoweringTarget

LOWERINGS: dict[type[Operation], Lowering] = {
    lowering.op: lowering
    for lowering in (
        attention.AttentionLowering(),
        conv.ConvLowering(),
        gelu.GeluLowering(),
        layer_norm.LayerNormLowering(),
        linear.LinearLowering(),
        rms_norm.RMSNormLowering(),
        rotary.RotaryEmbeddingLowering(),
        skip_layer_norm.SkipLayerNormLowering(),
    )
}
"""Every ``nn`` op class → its lowering."""


def check(op: Operation | Build, target: LoweringTarget) -> None:
    """Fail with the reason ``target`` cannot express ``op`` (an ``nn`` op, or a ``Build`` of one): what a fusion
    asks before it builds anything, and ``nn-lower`` before it lowers."""
    op_class = op.op if isinstance(op, Build) else type(op)
    found = LOWERINGS.get(op_class)
    if found is None:
        fail(f"{op_class.name} has no lowering")
    found.check(op, target)  # type: ignore[arg-type]
