"""IR → ONNX, model files, and verification with onnxruntime."""

from onnxforge.backends.ort import VerifyReport, verify

__all__ = ["VerifyReport", "verify"]
