"""Where an op came from: its ONNX node name, the nodes a fused op replaced, and its source module.

This module is the only reader and writer of provenance; passes, the exporter,
the cost model and the instruments go through it.

In the IR an op's provenance is its location:

* ``NameLoc("/encoder/layer.0/attention/self/query/MatMul")``: the ONNX node it was
  imported from (the node name, kept exactly);
* ``FusedLoc([NameLoc(own name), NameLoc(replaced), …])``: an op that a rewrite made in
  place of other nodes. The first location is the op's own node name (the anchor's name
  for the op that takes the anchor's place, ``<anchor>/<OpType>_<i>`` for the others), the
  rest are the node names of everything it replaced, read through ops that were
  themselves fused, so a lowered op still names the exported nodes. It prints as
  ``loc(fused["/ln/Add_1", "/ln/ReduceMean", …])`` and parses back.

The exporter flattens this into the node name and the ``onnxforge.fused_from`` entry of
the node's ``metadata_props`` (the replaced names, comma-separated); the importer reads
that entry back into a ``FusedLoc``, so a model compiled twice keeps the first run's record.

Both torch exporters leave the module hierarchy behind, differently:

* TorchScript names nodes after the module path: ``/encoder/layer.0/attention/self/query/MatMul``
  (module ``encoder/layer.0/attention/self/query``, leaf scope = everything before the op name);
* dynamo puts it in node metadata: ``pkg.torch.onnx.name_scopes`` =
  ``['', 'encoder', 'encoder.layer.0', ..., 'linear']`` — the hierarchy of attribute
  paths, ending with the FX node (one ATen op) the node was made from.

``module_path`` normalises both to ``/``-separated components (``encoder/layer.0/attention``),
so a report can group by depth. New ops keep the anchor's metadata (and so its dynamo scopes).
"""

from __future__ import annotations

import ast
import functools
from collections.abc import Iterable

from xdsl.dialects.builtin import DictionaryAttr, FusedLoc, NameLoc, NoneAttr, StringAttr, UnknownLoc
from xdsl.ir import Attribute, Operation

from onnxforge.ir import hierarchy
from onnxforge.ir.hierarchy import METADATA_ATTR

NAME_SCOPES = "pkg.torch.onnx.name_scopes"
FUSED_FROM = "onnxforge.fused_from"
"""Node metadata key of exported models: the node names a fused op replaced, comma-separated."""
_NO_MODULE = "_empty_nn_module_stack_from_metadata_hook"


def _name_loc(name: str) -> NameLoc:
    return NameLoc(StringAttr(name), NoneAttr())


def location(name: str, replaced: Iterable[str] = ()) -> Attribute:
    """The location of an op named ``name`` that replaced the nodes ``replaced`` (none: an imported node; an op
    with neither a name nor anything replaced has no location)."""
    replaced = list(dict.fromkeys(replaced))
    if not replaced:
        return _name_loc(name) if name else UnknownLoc()
    return FusedLoc([_name_loc(name), *(_name_loc(n) for n in replaced)], NoneAttr())


def node_name(op: Operation) -> str:
    """The ONNX node name of an op (empty when it has none)."""
    loc = op.location
    if isinstance(loc, FusedLoc):
        loc = loc.locations.data[0] if loc.locations.data else None
    return loc.desc.data if isinstance(loc, NameLoc) else ""


def name_or_kind(op: Operation) -> str:
    """The node name, or the op's IR name when it has none (for messages)."""
    return node_name(op) or op.name


def replaced_names(op: Operation) -> list[str]:
    """The node names a fused op replaced (empty for an op imported as it is)."""
    loc = op.location
    if not isinstance(loc, FusedLoc):
        return []
    return [item.desc.data for item in loc.locations.data[1:] if isinstance(item, NameLoc)]


def sources(ops: Iterable[Operation]) -> list[str]:
    """The exported nodes behind ``ops``: each op's replaced names, or its own name when it replaced none
    (ops without a node name, built from textual IR, add nothing)."""
    names: list[str] = []
    for op in ops:
        names.extend(replaced_names(op) or [n for n in (node_name(op),) if n])
    return list(dict.fromkeys(names))


def record_replacement(new_ops: Iterable[Operation], replaced: Iterable[Operation], anchor: Operation,
                       main: Operation | None = None, names: dict[Operation, str] | None = None,
                       absorbed: Iterable[Operation] | None = None) -> None:
    """Give ``new_ops`` the provenance of the ``replaced`` ops, whose place ``anchor`` marks.

    ``main`` (default: the first new op) takes the anchor's node name; every other op is named
    ``<anchor>/<OpType>_<i>`` unless ``names`` gives it a name. All of them list the replaced
    nodes and carry the anchor's node metadata (the dynamo exporter's module scopes). Where the replaced
    ops carry hierarchy tags, every new op gets the lowest common ancestor of their modules
    (``hierarchy.fused_tag``), so a fusion across modules is tagged where it belongs, not where its
    anchor happened to be. ``absorbed`` (default: ``replaced``) are the ops the tag counts: those the
    replacement erased, not the matched ones that stay for other users.
    """
    new_ops = list(new_ops)
    if not new_ops:
        return
    main = new_ops[0] if main is None else main
    replaced = list(replaced)
    replaced_list = sources(replaced)
    base = node_name(anchor)
    metadata = anchor.attributes.get(METADATA_ATTR)
    tag = hierarchy.fused_tag(replaced if absorbed is None else absorbed)
    for index, op in enumerate(new_ops):
        own = (names or {}).get(op) or (base if op is main or not base else f"{base}/{_op_type(op)}_{index}")
        op.location = location(own, replaced_list)
        if isinstance(metadata, DictionaryAttr) and METADATA_ATTR not in op.attributes:
            op.attributes[METADATA_ATTR] = metadata
        if tag is not None:
            hierarchy.set_tag(op, tag)


def fused_node_name(fused: Operation, main: Operation) -> str | None:
    """``<module path>/<OpType>`` for the op that stands for a fusion (``/encoder/layer.0/attention/Attention``):
    the name TensorRT layer names and graph-surgeon lookups read, from the module that held every node the
    fusion replaced. None when the exporter recorded no module (the anchor's name is kept then)."""
    path = module_path(fused)
    return f"/{path}/{_op_type(main)}" if path else None


def _op_type(op: Operation) -> str:
    signature = getattr(op, "SIGNATURE", None)
    if signature is not None:
        return signature.op_type
    op_type = op.properties.get("op_type")
    return op_type.data if isinstance(op_type, StringAttr) else op.name


# --- node metadata ---------------------------------------------------------------------------


def metadata(op: Operation, key: str) -> str | None:
    table = op.attributes.get(METADATA_ATTR)
    if isinstance(table, DictionaryAttr):
        entry = table.data.get(key)
        if isinstance(entry, StringAttr):
            return entry.data
    return None


def exported(op: Operation) -> tuple[str, dict[str, str]]:
    """(node name, metadata_props) for the exporter: the location flattened, ``onnxforge.fused_from`` added."""
    table = op.attributes.get(METADATA_ATTR)
    props = {k: v.data for k, v in table.data.items() if isinstance(v, StringAttr)} if isinstance(table, DictionaryAttr) else {}
    replaced = replaced_names(op)
    if replaced:
        props[FUSED_FROM] = ",".join(replaced)
    return node_name(op), props


def set_imported(op: Operation, name: str, props: dict[str, str]) -> None:
    """Give an imported op its node name and metadata; an ``onnxforge.fused_from`` entry becomes a fused location."""
    props = dict(props)
    replaced = [n for n in props.pop(FUSED_FROM, "").split(",") if n]
    if name or replaced:
        op.location = location(name, replaced)
    if props:
        op.attributes[METADATA_ATTR] = DictionaryAttr({k: StringAttr(v) for k, v in props.items()})


# --- module paths ------------------------------------------------------------------------------


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


def _name_path(name: str) -> tuple[str, ...]:
    """The module path a TorchScript node name spells: ``/encoder/layer.0/Add`` → ``(encoder, layer.0)``."""
    return tuple(p for p in name.split("/")[1:-1] if p)


def module_path(op: Operation) -> str:
    """The source module path of an op, ``/``-separated; empty when the exporter left none.

    A fused or lowered op belongs to the innermost module holding every node it replaced (its own
    name, ``<anchor>/<OpType>_<i>``, would add the anchor's op name as a module)."""
    scopes_text = metadata(op, NAME_SCOPES)
    if scopes_text is not None:
        scopes = _scopes(scopes_text)
        return _relative_path(scopes[:-1]) if scopes else ""
    paths = [_name_path(n) for n in (replaced_names(op) or [node_name(op)]) if n.startswith("/")]
    if not paths:
        return ""
    common = paths[0]
    for path in paths[1:]:
        common = common[:next((i for i, (a, b) in enumerate(zip(common, path)) if a != b), min(len(common), len(path)))]
    return "/".join(common)


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
    """The replaced node names of a fused or lowered op, comma-separated (None for an imported node)."""
    replaced = replaced_names(op)
    return ",".join(replaced) if replaced else None


def truncate(path: str, depth: int) -> str:
    """The first ``depth`` components of a module path (0: the whole model, ``""``)."""
    return "/".join(path.split("/")[:depth]) if depth > 0 and path else ("" if depth <= 0 else path)
