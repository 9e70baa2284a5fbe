"""Which passes exist: the built-in ones (one module each in ``onnxforge.transforms``) and plugins.

A plugin is a Python file (``forgec --load-pass-plugin=mypass.py``) or an
installed package exposing an ``onnxforge.passes`` entry point; either defines
``ForgePass`` subclasses decorated with ``@register``. Built-in modules are
imported on first use, so start-up stays cheap.
"""

from __future__ import annotations

import importlib
import importlib.util
import pkgutil
import sys
from importlib.metadata import entry_points
from pathlib import Path

from onnxforge.errors import ForgeError
from onnxforge.passmanager.base import ForgePass

_PASSES: dict[str, type[ForgePass]] = {}
_PLUGINS: dict[Path, list[str]] = {}
"""Plugin files already loaded (resolved path → the passes they registered)."""
_LOADED_BUILTINS = False
_NOT_PASS_MODULES = {"pipelines"}


def register(cls: type[ForgePass]) -> type[ForgePass]:
    """Class decorator: make a pass available by its ``name`` (to pipelines, forgec, xdsl-opt)."""
    name = getattr(cls, "name", None)
    if not isinstance(name, str) or not name or name != name.lower() or " " in name:
        raise ForgeError(f"pass class {cls.__name__} needs a kebab-case `name`")
    existing = _PASSES.get(name)
    if existing is not None and existing.__qualname__ != cls.__qualname__:
        raise ForgeError(f"two passes are named {name!r}: {existing.__module__} and {cls.__module__}")
    _PASSES[name] = cls
    return cls


def _load_builtins() -> None:
    global _LOADED_BUILTINS
    if _LOADED_BUILTINS:
        return
    _LOADED_BUILTINS = True
    import onnxforge.transforms as package

    for module in pkgutil.iter_modules(package.__path__):
        if module.name not in _NOT_PASS_MODULES and not module.name.startswith("_"):
            importlib.import_module(f"{package.__name__}.{module.name}")
    for entry in entry_points(group="onnxforge.passes"):
        entry.load()


def load_plugin(path: str | Path) -> list[str]:
    """Import a pass plugin file; return the names of the passes it registered."""
    path = Path(path)
    if not path.is_file():
        raise ForgeError(f"{path}: no such pass plugin file")
    if path.resolve() in _PLUGINS:
        return _PLUGINS[path.resolve()]
    before = set(_PASSES)
    spec = importlib.util.spec_from_file_location(f"onnxforge_plugin_{path.stem}", path)
    if spec is None or spec.loader is None:
        raise ForgeError(f"{path}: not a Python module")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    try:
        spec.loader.exec_module(module)
    except ForgeError:
        raise
    except Exception as err:
        raise ForgeError(f"{path}: the pass plugin failed to load: {type(err).__name__}: {err}") from None
    added = sorted(set(_PASSES) - before)
    if not added:
        raise ForgeError(f"{path}: the plugin registered no pass (decorate ForgePass subclasses with @register)")
    _PLUGINS[path.resolve()] = added
    return added


def all_passes() -> dict[str, type[ForgePass]]:
    _load_builtins()
    return dict(sorted(_PASSES.items()))


def get_pass(name: str) -> type[ForgePass]:
    passes = all_passes()
    if name not in passes:
        raise ForgeError(f"unknown pass {name!r} (forgec --list-passes shows them)")
    return passes[name]
