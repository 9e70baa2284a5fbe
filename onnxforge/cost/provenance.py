"""Where an op came from: its source module path and the framework op it was exported from.

Both torch exporters leave the module hierarchy behind, differently:

* TorchScript names nodes after the module path: ``/encoder/layer.0/attention/self/query/MatMul``
  (module ``encoder/layer.0/attention/self/query``, leaf scope = everything before the op name);
* dynamo puts it in node metadata: ``pkg.torch.onnx.name_scopes`` =
  ``['', 'encoder', 'encoder.layer.0', ..., 'linear']`` — the hierarchy of attribute
  paths, ending with the FX node (one ATen op) the node was made from.

Module paths are normalised to ``/``-separated components (``encoder/layer.0/attention``),
the same for both exporters, so a report can group by depth. Fused ops keep the
anchor's name and metadata, and lowered ones record what they replaced
(``onnxforge.fused_from``), so all of this survives the pipeline.
"""

from __future__ import annotations

import ast
import functools

from xdsl.dialects.builtin import DictionaryAttr, NameLoc, StringAttr
from xdsl.ir import Operation

from onnxforge.dialects.onnx.structure import METADATA_ATTR

NAME_SCOPES = "pkg.torch.onnx.name_scopes"
FUSED_FROM = "onnxforge.fused_from"
_NO_MODULE = "_empty_nn_module_stack_from_metadata_hook"


def node_name(op: Operation) -> str:
    """The ONNX node name (the op's location), or empty."""
    location = op.location
    return location.desc.data if isinstance(location, NameLoc) else ""


def metadata(op: Operation, key: str) -> str | None:
    table = op.attributes.get(METADATA_ATTR)
    if isinstance(table, DictionaryAttr):
        entry = table.data.get(key)
        if isinstance(entry, StringAttr):
            return entry.data
    return None


@functools.lru_cache(maxsize=4096)
def _scopes(text: str) -> tuple[str, ...]:
    try:
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return ()
    return tuple(str(v) for v in value) if isinstance(value, (list, tuple)) else ()


@functools.lru_cache(maxsize=4096)
def _relative_path(scopes: tuple[str, ...]) -> str:
    """``('', 'encoder', 'encoder.layer.0')`` → ``encoder/layer.0``."""
    parts: list[str] = []
    previous = ""
    for scope in scopes:
        if not scope or scope == _NO_MODULE:
            continue
        parts.append(scope[len(previous) + 1:] if previous and scope.startswith(previous + ".") else scope)
        previous = scope
    return "/".join(parts)


def module_path(op: Operation) -> str:
    """The source module path of an op, ``/``-separated; empty when the exporter left none."""
    scopes_text = metadata(op, NAME_SCOPES)
    if scopes_text is not None:
        scopes = _scopes(scopes_text)
        return _relative_path(scopes[:-1]) if scopes else ""
    name = node_name(op)
    if name.startswith("/"):
        return "/".join(p for p in name.split("/")[1:-1] if p)
    return ""


def fx_node(op: Operation) -> str | None:
    """An identifier of the ATen op a dynamo-exported node was made from (None for other exports)."""
    scopes_text = metadata(op, NAME_SCOPES)
    if scopes_text is None:
        return None
    scopes = _scopes(scopes_text)
    return scopes_text if scopes and scopes[0] != _NO_MODULE else None


def leaf_scope(op: Operation) -> str | None:
    """The TorchScript scope of a node (its name up to the op name), None at the top level or elsewhere."""
    name = node_name(op)
    if not name.startswith("/"):
        return None
    scope = name.rsplit("/", 1)[0]
    return scope or None


def fused_from(op: Operation) -> str | None:
    """The node names an op's ``nn`` op replaced (set by ``nn-lower`` on every op it writes)."""
    return metadata(op, FUSED_FROM)


def truncate(path: str, depth: int) -> str:
    """The first ``depth`` components of a module path (0: the whole model, ``""``)."""
    return "/".join(path.split("/")[:depth]) if depth > 0 and path else ("" if depth <= 0 else path)
