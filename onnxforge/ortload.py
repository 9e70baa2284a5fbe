"""The one place onnxforge imports onnxruntime.

onnxruntime is not a core dependency (``pip install onnxforge[ort]`` or ``onnxforge[gpu]``, or any
onnxruntime / onnxruntime-gpu already installed): compiling needs only onnx, numpy, sympy and xDSL.
Verification (``--verify``, ``--verify-each``), the latency instruments and ``forgec calibrate`` run
models, and call ``onnxruntime()`` when they first need it; without either distribution that is a
one-line ``ForgeError`` saying what to install.
"""

from __future__ import annotations

from types import ModuleType

from onnxforge.errors import ForgeError

INSTALL_HINT = ("onnxruntime is not installed: running models (--verify, --verify-each, latency, calibrate) needs "
                "`pip install onnxruntime` (CPU) or `pip install onnxruntime-gpu`, or onnxforge[ort] / onnxforge[gpu]")


def onnxruntime() -> ModuleType:
    """The ``onnxruntime`` module, whichever distribution provides it (``onnxruntime``, ``onnxruntime-gpu``…)."""
    try:
        import onnxruntime as ort
    except ImportError as err:
        if err.name not in (None, "onnxruntime"):  # installed but broken (a CUDA library missing…): say so
            raise ForgeError(f"onnxruntime is installed but cannot be imported: {err}") from None
        raise ForgeError(INSTALL_HINT) from None
    return ort
