"""The module hierarchy tags: which ``nn.Module`` made each node, in one schema for every exporter.

Both torch exporters record the module that made a node, each its own way (``provenance`` reads
them); users want one answer that survives every pass: cost per module, a module extracted as a
model, Model Explorer's layer grouping. So every node of a model that came from PyTorch carries,
in its ``metadata_props``:

* ``onnxforge.module``: the dotted ``named_modules()`` path (``encoder.layer.3.attention.self.query``;
  ``""`` is the root). Every dotted prefix of a ``named_modules()`` path is a module itself, so the
  depth of a module is the number of its atoms (``encoder.layer.3`` is at depth 3).
* ``onnxforge.module_class``: the class chain of the modules *called* on the way from the root,
  joined by ``/`` (``BertModel/BertEncoder/BertLayer/...``; a ``ModuleList`` is never called, so it
  is not in the chain). Empty when the exporter left no class and no live module was given.
* ``onnxforge.module_call``: which call of the module made the node, when it is not the first
  (``"1"`` for the second ``self.proj(...)``).
* ``onnxforge.tag_source``: ``exporter`` (the exporter recorded it), ``functional`` (code outside a
  module's own layers, e.g. a mask builder called from ``forward``: the exporter recorded the
  calling module), ``inherited`` (the exporter recorded nothing; the node takes the lowest common
  ancestor of its consumers' modules, or of its producers'), ``fused`` (a pass made it in place of
  nodes of several modules: the lowest common ancestor of them, with ``onnxforge.fused_modules``, a
  JSON object ``{path: number of absorbed nodes}``). A ``functional`` node names its function in
  ``onnxforge.function`` (``_create_attention_masks``). ``shared``: one op computing what ops of several
  modules computed alike, merged by CSE (layer 1 reusing layer 0's shape chain): the common ancestor.

torch's own keys (``namespace``, ``pkg.torch.onnx.*``) are kept; ``namespace`` is written for
TorchScript imports too, so Model Explorer groups both. The model's ``metadata_props`` hold
``onnxforge.module_table``: a JSON object ``{path: {"class", "params", "own_params", "calls"}}``.

This module is the only reader and writer of these keys on IR ops; ``onnxio.hierarchy`` writes
them on ONNX protos at import and export.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from xdsl.dialects.builtin import DictionaryAttr, StringAttr
from xdsl.ir import Operation

from onnxforge.ir.types import TensorType

METADATA_ATTR = "onnx.metadata"
"""Discardable attribute of an op: its node's metadata_props (``provenance`` reads and writes it too)."""

MODULE = "onnxforge.module"
MODULE_CLASS = "onnxforge.module_class"
MODULE_CALL = "onnxforge.module_call"
TAG_SOURCE = "onnxforge.tag_source"
FUSED_MODULES = "onnxforge.fused_modules"
FUNCTION = "onnxforge.function"
MODULE_TABLE = "onnxforge.module_table"
"""Model-level metadata key: the JSON table of modules."""
NAMESPACE = "namespace"
"""Model Explorer's grouping key (written by the dynamo exporter; by us for TorchScript imports)."""

FLOAT_ELEMS = frozenset({1, 10, 11, 16, 17, 18, 19, 20, 21, 23})
"""ONNX element types of floating-point data (float, float16, double, bfloat16, the float8s and float4)."""
_Node = TypeVar("_Node")
SOURCES = ("exporter", "functional", "inherited", "fused", "shared")
TAG_KEYS = (MODULE, MODULE_CLASS, MODULE_CALL, TAG_SOURCE, FUSED_MODULES, FUNCTION)


@dataclass(frozen=True)
class Tag:
    """One node's place in the module hierarchy."""

    module: str
    module_class: str = ""
    call: int = 0
    source: str = "exporter"
    fused_modules: dict[str, int] = field(default_factory=dict, compare=False, hash=False)
    function: str = ""
    """For ``functional`` nodes: the function of the module's forward that made them."""

    def props(self) -> dict[str, str]:
        """The ``metadata_props`` entries of this tag (the class, call, absorbed modules and function only
        when known)."""
        props = {MODULE: self.module, TAG_SOURCE: self.source}
        if self.module_class:
            props[MODULE_CLASS] = self.module_class
        if self.call:
            props[MODULE_CALL] = str(self.call)
        if self.fused_modules:
            props[FUSED_MODULES] = json.dumps(self.fused_modules, sort_keys=True, separators=(",", ":"))
        if self.function:
            props[FUNCTION] = self.function
        return props

    @staticmethod
    def from_props(props: dict[str, str]) -> Tag | None:
        if MODULE not in props:
            return None
        fused = props.get(FUSED_MODULES)
        try:
            fused_modules = {str(k): int(v) for k, v in json.loads(fused).items()} if fused else {}
        except (ValueError, AttributeError, TypeError):
            fused_modules = {}
        call = props.get(MODULE_CALL, "0")
        return Tag(props[MODULE], props.get(MODULE_CLASS, ""), int(call) if call.isdigit() else 0,
                   props.get(TAG_SOURCE, "exporter"), fused_modules, props.get(FUNCTION, ""))


# --- paths -------------------------------------------------------------------------------------


def atoms(path: str) -> list[str]:
    """``encoder.layer.0`` → ``[encoder, layer, 0]`` (the root ``""`` has none)."""
    return path.split(".") if path else []


def depth(path: str) -> int:
    return len(atoms(path))


def truncate(path: str, levels: int) -> str:
    """The ancestor of ``path`` at depth ``levels`` (the path itself when it is shallower)."""
    return ".".join(atoms(path)[:max(levels, 0)])


def is_within(path: str, ancestor: str) -> bool:
    """Whether ``path`` is ``ancestor`` or below it (everything is within the root ``""``)."""
    return not ancestor or path == ancestor or path.startswith(ancestor + ".")


def common_ancestor(paths: Iterable[str]) -> str:
    """The lowest common ancestor of module paths (the root when there are none)."""
    common: list[str] | None = None
    for path in paths:
        parts = atoms(path)
        if common is None:
            common = parts
            continue
        n = 0
        while n < min(len(common), len(parts)) and common[n] == parts[n]:
            n += 1
        common = common[:n]
        if not common:
            break
    return ".".join(common or [])


def common_class_chain(path: str, tags: Iterable[Tag]) -> str:
    """The class chain of ``path`` read off tags of modules at or below it. A chain has one class per
    *called* module from the root, so an exact tag of ``path`` gives it; otherwise the longest common
    prefix of the chains below it, cut so that it cannot reach below ``path``: every called module
    between ``path`` and a tag's module takes at least one atom of the tag's path, so at most
    ``len(chain) - (depth(tag) - depth(path))`` entries of that chain are ``path``'s or its ancestors'
    (and at least one: the root is always called)."""
    within = [t for t in tags if t.module_class and is_within(t.module, path)]
    for tag in within:
        if tag.module == path and tag.source in ("exporter", "functional"):
            return tag.module_class
    if not within:
        return ""
    common = within[0].module_class.split("/")
    for tag in within:
        chain = tag.module_class.split("/")
        n = 0
        while n < min(len(common), len(chain)) and common[n] == chain[n]:
            n += 1
        common = common[:min(n, max(1, len(chain) - (depth(tag.module) - depth(path))))]
    return "/".join(common)


def absorbed(tags: Iterable[Tag]) -> dict[str, int]:
    """``{module path: node count}`` of what a fused op absorbed (read through ops that were fused before)."""
    counts: Counter[str] = Counter()
    for tag in tags:
        if tag.fused_modules:
            counts.update(tag.fused_modules)
        else:
            counts[tag.module] += 1
    return dict(sorted(counts.items()))


def inherit(pending: Sequence[_Node], tag_of: Callable[[_Node], Tag | None],
            neighbours: Sequence[Callable[[_Node], Iterable[_Node]]],
            give: Callable[[_Node, str, list[Tag]], None]) -> list[_Node]:
    """The rule for nodes neither the exporter nor a pass tagged, on ONNX protos (import) and IR ops (after a
    pass) alike: each takes the lowest common ancestor of the modules of its tagged neighbours, trying each
    kind of neighbour in turn (consumers, then producers) to a fixed point, last node first so that a chain
    settles in one sweep. ``give(node, path, their tags)`` records a node's tag, which later nodes then see
    through ``tag_of``. Returns the nodes with no tagged neighbour (the caller gives them their graph's
    holder's module, or the root)."""
    pending = list(pending)
    for near in neighbours:
        changed = True
        while pending and changed:
            changed, still = False, []
            for node in reversed(pending):
                found = [t for t in map(tag_of, near(node)) if t is not None]
                if found:
                    give(node, common_ancestor(t.module for t in found), found)
                    changed = True
                else:
                    still.append(node)
            pending = still[::-1]
    return pending


# --- IR ops ------------------------------------------------------------------------------------


def _table(op: Operation) -> dict[str, str]:
    table = op.attributes.get(METADATA_ATTR)
    if not isinstance(table, DictionaryAttr):
        return {}
    return {k: v.data for k, v in table.data.items() if isinstance(v, StringAttr)}


def has_tag(op: Operation) -> bool:
    """Whether the op carries a tag (without reading it)."""
    table = op.attributes.get(METADATA_ATTR)
    return isinstance(table, DictionaryAttr) and MODULE in table.data


def tag_of(op: Operation) -> Tag | None:
    """The op's hierarchy tag, None when it has none."""
    return Tag.from_props(_table(op)) if has_tag(op) else None


def set_tag(op: Operation, tag: Tag) -> None:
    """Write ``tag`` on ``op`` (replacing any tag it had; other metadata is kept)."""
    props = {k: v for k, v in _table(op).items() if k not in TAG_KEYS}
    props.update(tag.props())
    op.attributes[METADATA_ATTR] = DictionaryAttr({k: StringAttr(v) for k, v in props.items()})


def _computes_data(op: Operation) -> bool:
    """Whether an op yields a floating-point tensor (not shape arithmetic, indices or masks of booleans)."""
    return any(isinstance(r.type, TensorType) and r.type.elem in FLOAT_ELEMS for r in op.results)


def fused_tag(replaced: Iterable[Operation]) -> Tag | None:
    """The tag of an op made in place of ``replaced``: the lowest common ancestor of their modules, and how
    many exported nodes it absorbed from each (None when none of them was tagged). Only ops that compute
    data count when there are any: integer shape arithmetic is shared between layers once CSE has run
    (layer 1's reshapes reuse layer 0's shape chain), and would tag layer 1's attention as the layers'
    container; for the same reason ops CSE merged across modules (``shared``) do not count unless
    nothing else does. An op that absorbed nodes of one module only keeps that module's tag (call index and
    source included), with the count; one that absorbed nodes of one call of a module (the second
    ``blocks.0``) keeps that call index."""
    replaced = [op for op in replaced if (t := tag_of(op)) is None or t.source != "shared"] or list(replaced)
    data = [op for op in replaced if _computes_data(op)]
    tags = [t for t in (tag_of(op) for op in (data or replaced)) if t is not None]
    if not tags:
        return None
    modules = absorbed(tags)
    if len(modules) == 1:
        first = tags[0]
        counts = modules if sum(modules.values()) > 1 else {}
        return Tag(first.module, first.module_class, first.call, first.source, counts, first.function)
    path = common_ancestor(modules)
    calls = {t.call for t in tags}
    return Tag(path, common_class_chain(path, tags), calls.pop() if len(calls) == 1 else 0, "fused", modules)


def share(kept: Operation, merged: Operation) -> None:
    """``merged`` was merged into ``kept`` (the same computation): when they came from different modules,
    ``kept`` now stands for both, tagged at their common ancestor as ``shared``."""
    first, second = tag_of(kept), tag_of(merged)
    if first is None or second is None or first.module == second.module:
        return
    path = common_ancestor((first.module, second.module))
    set_tag(kept, Tag(path, common_class_chain(path, [first, second]), 0, "shared"))
