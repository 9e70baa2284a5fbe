"""Every pass by name: the built-in ones, imported on first use, and plugins (MLIR's ``InitAllPasses``).

A built-in pass lives in the module named after it, in the package of its part:
``onnx-fold-constants`` is ``onnxforge/transforms/onnx_fold_constants.py``,
``cost-annotate`` is ``onnxforge/cost/cost_annotate.py``. The table below is
the whole list; ``forgec``, ``xdsl-opt`` (through the ``xdsl.universe`` entry
point) and the pipelines all look passes up here, so start-up imports only the
passes a run uses.
"""

from __future__ import annotations

import importlib
import inspect

from onnxforge.errors import ForgeError
from onnxforge.passmanager.base import ForgePass
from onnxforge.passmanager.registry import PLUGINS, load_entry_points

BUILTIN: dict[str, tuple[str, ...]] = {
    "onnxforge.transforms": (
        "onnx-infer-shapes",
        "onnx-simplify-shape-chains",
        "onnx-simplify-index-grids",
        "onnx-fold-constants",
        "onnx-fold-neutral-elements",
        "onnx-cancel-reshape-pairs",
        "onnx-upgrade-ir-version",
        "onnx-canonicalize",
        "onnx-merge-constants",
        "onnx-cse",
        "onnx-eliminate-dead",
        "onnx-convert-opset",
        "onnx-fix-shapes",
        "onnx-convert-precision",
        "nn-fuse-layer-norm",
        "nn-fuse-rms-norm",
        "nn-fuse-gelu",
        "nn-fuse-rotary-embedding",
        "nn-fuse-attention",
        "nn-fuse-skip-layer-norm",
        "nn-fuse-qkv",
        "nn-fuse-linear",
        "nn-fuse-conv-batchnorm",
        "nn-fuse-conv-affine",
        "nn-fuse-conv-activation",
        "nn-lower",
    ),
    "onnxforge.cost": ("cost-annotate",),
}
"""Package → the passes it holds, one module each, named after the pass."""

_BY_NAME = {name: package for package, names in BUILTIN.items() for name in names}


def _load(name: str) -> type[ForgePass]:
    module = importlib.import_module(f"{_BY_NAME[name]}.{name.replace('-', '_')}")
    for _, cls in inspect.getmembers(module, inspect.isclass):
        if issubclass(cls, ForgePass) and cls.__module__ == module.__name__ and getattr(cls, "name", None) == name:
            return cls
    raise ForgeError(f"internal: module {module.__name__} defines no pass named {name!r}")


def get_pass(name: str) -> type[ForgePass]:
    """The pass class of a name (built-in, or from a loaded plugin)."""
    if name in _BY_NAME:
        return _load(name)
    load_entry_points()
    if name in PLUGINS:
        return PLUGINS[name]
    raise ForgeError(f"unknown pass {name!r} (forgec --list-passes shows them)")


def all_passes() -> dict[str, type[ForgePass]]:
    """Every pass, sorted by name (imports every built-in pass module)."""
    load_entry_points()
    clash = set(PLUGINS) & set(_BY_NAME)
    if clash:
        raise ForgeError(f"plugin passes reuse built-in names: {', '.join(sorted(clash))}")
    return dict(sorted({**{name: _load(name) for name in _BY_NAME}, **PLUGINS}.items()))


def names() -> list[str]:
    """Every pass name, without importing any pass module (plugins included once loaded)."""
    load_entry_points()
    return sorted({*_BY_NAME, *PLUGINS})
