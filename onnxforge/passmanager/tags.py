"""Module tags through every pass: ops a pass builds get a tag, and the tags stay consistent.

A pass that replaces ops records its replacement (``provenance.record_replacement``), which tags
the new ops with the lowest common ancestor of what they replaced. Ops built without a replacement
(a Concat a shape fold materialises, a Cast of ``--precision``) get, after the pass, the lowest common
ancestor of the modules of the ops that use their results, else of those producing their operands,
else the root: the same rule the import uses for nodes the exporter left untagged (source
``inherited``). ``check_tags`` is the invariant a tagged model keeps after every pass (run under
``--verify-each`` and ``--verify-ir-each``): every node op tagged, every fused op's module the common
ancestor of the modules it absorbed.
"""

from __future__ import annotations

from collections.abc import Iterator

from xdsl.dialects.builtin import ModuleOp
from xdsl.ir import Operation

from onnxforge.dialects.nn import NNOp
from onnxforge.dialects.onnx.base import OnnxOp
from onnxforge.dialects.onnx.structure import CustomOp, GraphOp, ReturnOp
from onnxforge.ir import hierarchy
from onnxforge.ir.provenance import name_or_kind


def node_ops(module: ModuleOp) -> Iterator[Operation]:
    """The ops that are (or lower to) ONNX nodes, in every graph."""
    for op in module.walk():
        if isinstance(op, (OnnxOp, CustomOp, NNOp)):
            yield op


def is_tagged(module: ModuleOp) -> bool:
    return any(hierarchy.has_tag(op) for op in node_ops(module))


def _users(op: Operation) -> list[Operation]:
    return [use.operation for result in op.results for use in result.uses if not isinstance(use.operation, ReturnOp)]


def _producers(op: Operation) -> list[Operation]:
    return [operand.owner for operand in op.operands if isinstance(operand.owner, (OnnxOp, CustomOp, NNOp))]


def _holder(op: Operation) -> Operation | None:
    """The node op holding the graph ``op`` is in (None in a main graph or a function)."""
    graph = op.parent_op()
    while graph is not None and not isinstance(graph, GraphOp):
        graph = graph.parent_op()
    holder = graph.parent_op() if graph is not None else None
    return holder if isinstance(holder, (OnnxOp, CustomOp)) else None


def complete_tags(module: ModuleOp) -> int:
    """Tag every untagged node op (see the module docstring); returns how many got a tag."""
    pending = [op for op in node_ops(module) if not hierarchy.has_tag(op)]

    def give(op: Operation, path: str, found: list[hierarchy.Tag]) -> None:
        hierarchy.set_tag(op, hierarchy.Tag(path, hierarchy.common_class_chain(path, found), 0, "inherited"))

    left = hierarchy.inherit(pending, hierarchy.tag_of, (_users, _producers), give)
    for op in left:
        holder = _holder(op)
        tag = hierarchy.tag_of(holder) if holder is not None else None
        hierarchy.set_tag(op, hierarchy.Tag(tag.module if tag else "", tag.module_class if tag else "", 0, "inherited"))
    return len(pending)


def check_tags(module: ModuleOp) -> str | None:
    """What breaks the tag invariant (None when it holds): an untagged node op, or a fused op whose
    module is not the common ancestor of the modules it absorbed."""
    for op in node_ops(module):
        tag = hierarchy.tag_of(op)
        if tag is None:
            return f"node {name_or_kind(op)!r} ({op.name}) has no module tag"
        if tag.fused_modules and tag.module != hierarchy.common_ancestor(tag.fused_modules):
            return (f"fused node {name_or_kind(op)!r} is tagged {tag.module!r}, not the common ancestor of the "
                    f"modules it absorbed ({', '.join(sorted(tag.fused_modules))})")
    return None
