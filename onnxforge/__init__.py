"""onnxforge: an MLIR-style multi-level IR compiler for ONNX models, on xDSL."""

from onnxforge.errors import ForgeError

__version__ = "0.1.0"
__all__ = ["ForgeError", "compile"]


def __getattr__(name: str):  # type: ignore[no-untyped-def]
    """``onnxforge.compile`` is imported on first use: importing the package stays cheap (``forgec --help``)."""
    if name == "compile":
        from onnxforge.compiler import compile

        return compile
    raise AttributeError(f"module 'onnxforge' has no attribute {name!r}")
