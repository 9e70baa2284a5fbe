"""``onnx-cse``: common-subexpression elimination for onnx ops.

Identity: an ONNX node is a pure function of its inputs and attributes, so
two nodes of the same op (class, hence opset form) with the same operands,
the same properties and the same number of results compute the same values;
the later one's results are replaced by the earlier one's. Discardable
attributes (result names, doc strings, metadata) are not part of the
function and are ignored.

Only side-effect-free ops merge, by xDSL's effect analysis: not random ops
(RandomNormal/Uniform[Like], Multinomial, Bernoulli) nor Dropout unless it is
provably in inference mode — two draws are two values — and not ``onnx.custom``
ops, whose contract we do not know; nor ops with regions (If/Loop/Scan).
Scoping follows dominance: a graph sees what is defined before it in its own
block and in the enclosing graphs (before the op holding it), so a value from a
subgraph never replaces one of the outer graph.

xDSL's own ``cse`` driver is not reused: it compares discardable attributes
too (the ONNX result names live there), so no two ops would ever match.
"""

from __future__ import annotations

from collections import ChainMap
from collections.abc import Hashable
from dataclasses import dataclass

from xdsl.dialects.builtin import ModuleOp
from xdsl.ir import Block, Operation
from xdsl.traits import is_side_effect_free

from onnxforge.dialects.onnx.base import OnnxOp
from onnxforge.dialects.onnx.queries import op_type
from onnxforge.dialects.onnx.structure import ATTR_DOCS_ATTR, DOC_ATTR, NAMES_ATTR
from onnxforge.ir import hierarchy
from onnxforge.ir.provenance import METADATA_ATTR
from onnxforge.passmanager import Accuracy, ForgePass, RunState

IGNORED_ATTRIBUTES = frozenset({NAMES_ATTR, DOC_ATTR, METADATA_ATTR, ATTR_DOCS_ATTR})


def _key(op: Operation) -> Hashable | None:
    """What makes two ops compute the same values, or None for an op that must never merge."""
    if not isinstance(op, OnnxOp) or op.regions or not op.results or not is_side_effect_free(op):
        return None
    attributes = tuple(sorted((k, v) for k, v in op.attributes.items() if k not in IGNORED_ATTRIBUTES))
    return (type(op), tuple(op.operands), tuple(sorted(op.properties.items())), attributes, len(op.results))


@dataclass(frozen=True)
class CSEPass(ForgePass):
    name = "onnx-cse"
    summary = "merge onnx ops with the same operands and attributes (not random ops, not ops with regions)"
    accuracy = Accuracy.LOSSLESS

    def run(self, module: ModuleOp, state: RunState) -> None:
        for region in module.regions:
            for block in region.blocks:
                self._block(block, ChainMap(), state)

    def _block(self, block: Block, seen: ChainMap, state: RunState) -> None:  # type: ignore[type-arg]
        for op in list(block.ops):
            for region in op.regions:
                for inner in region.blocks:
                    self._block(inner, seen.new_child(), state)
            key = _key(op)
            if key is None:
                continue
            kept = seen.get(key)
            if kept is None or not state.take(f"{self.name}/{op_type(op)}", op):
                seen[key] = op
                continue
            for old, new in zip(op.results, kept.results):
                old.replace_all_uses_with(new)
            hierarchy.share(kept, op)
            op.detach()
            op.erase()
