"""onnxforge: an MLIR-style multi-level IR compiler for ONNX models, on xDSL."""

from onnxforge.compiler import compile
from onnxforge.errors import ForgeError

__version__ = "0.1.0"
__all__ = ["ForgeError", "compile"]
