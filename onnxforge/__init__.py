"""onnxforge: an MLIR-style multi-level IR compiler for ONNX models, on xDSL."""

from onnxforge.errors import ForgeError

__version__ = "0.1.0"
__all__ = ["ForgeError", "compile", "export"]


def __getattr__(name: str):  # type: ignore[no-untyped-def]
    """``onnxforge.compile`` and ``onnxforge.export`` are imported on first use: importing the package stays
    cheap (``forgec --help``), and torch is needed only by ``export`` (the ``models`` extra)."""
    if name == "compile":
        from onnxforge.compiler import compile

        return compile
    if name == "export":
        from onnxforge.frontend.torch_export import export

        return export
    raise AttributeError(f"module 'onnxforge' has no attribute {name!r}")
