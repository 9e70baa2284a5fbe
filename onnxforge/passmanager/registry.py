"""Passes from outside the package: plugin files and installed plugin packages.

A plugin is a Python file (``forgec --load-pass-plugin=mypass.py``) or an
installed package exposing an ``onnxforge.passes`` entry point; either defines
``ForgePass`` subclasses decorated with ``@register``. The built-in passes are
not registered here: ``onnxforge.passes`` names them, and looks plugins up here.
"""

from __future__ import annotations

import importlib.util
import sys
from importlib.metadata import entry_points
from pathlib import Path

from onnxforge.errors import ForgeError
from onnxforge.passmanager.base import ForgePass

PLUGINS: dict[str, type[ForgePass]] = {}
"""Pass name → class, for every registered plugin pass."""
_FILES: dict[Path, list[str]] = {}
"""Plugin files already loaded (resolved path → the passes they registered)."""
_ENTRY_POINTS_LOADED = False


def register(cls: type[ForgePass]) -> type[ForgePass]:
    """Class decorator: make a plugin pass available by its ``name`` (to pipelines, forgec, xdsl-opt)."""
    name = getattr(cls, "name", None)
    if not isinstance(name, str) or not name or name != name.lower() or " " in name:
        raise ForgeError(f"pass class {cls.__name__} needs a kebab-case `name`")
    existing = PLUGINS.get(name)
    if existing is not None and existing.__qualname__ != cls.__qualname__:
        raise ForgeError(f"two passes are named {name!r}: {existing.__module__} and {cls.__module__}")
    PLUGINS[name] = cls
    return cls


def load_entry_points() -> None:
    """Import the installed plugin packages (once)."""
    global _ENTRY_POINTS_LOADED
    if not _ENTRY_POINTS_LOADED:
        _ENTRY_POINTS_LOADED = True
        for entry in entry_points(group="onnxforge.passes"):
            entry.load()


def load_plugin(path: str | Path) -> list[str]:
    """Import a pass plugin file; return the names of the passes it registered."""
    path = Path(path)
    if not path.is_file():
        raise ForgeError(f"{path}: no such pass plugin file")
    if path.resolve() in _FILES:
        return _FILES[path.resolve()]
    before = set(PLUGINS)
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
    added = sorted(set(PLUGINS) - before)
    if not added:
        raise ForgeError(f"{path}: the plugin registered no pass (decorate ForgePass subclasses with @register)")
    _FILES[path.resolve()] = added
    return added
