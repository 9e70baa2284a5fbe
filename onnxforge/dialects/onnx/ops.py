"""The generated op class for an ONNX node: by domain, op type and the schema version its opset resolves to."""

from __future__ import annotations

import functools

from onnxforge.dialects.onnx.base import OnnxOp
from onnxforge.dialects.onnx.generated import GENERATED_OPS


@functools.cache
def _schema_index() -> dict[tuple[str, str, int], type[OnnxOp]]:
    return {
        (op.SIGNATURE.domain, op.SIGNATURE.op_type, version): op
        for op in GENERATED_OPS
        for version in op.SIGNATURE.since_versions
    }


def op_class_for(domain: str, op_type: str, since_version: int) -> type[OnnxOp] | None:
    """The generated class for the schema version a node resolves to, if any."""
    return _schema_index().get((domain, op_type, since_version))
