"""``onnx-simplify-shape-chains``: fold run-time shape arithmetic using symbolic shapes.

Exports with dynamic axes compute reshape targets at run time
(``Shape→Gather→Unsqueeze→Concat→Reshape``, masks from ``Range``/``Equal``/
``Where``). Symbolic shape inference knows those values as expressions over
``batch``/``sequence``; this pass replaces them without fixing either:

- a small int/bool tensor whose contents are known to be constant (static
  dims, decided comparisons) becomes an initializer;
- a Reshape target known symbolically becomes a constant in Reshape's own
  dynamic form: an entry equal to the input's dim at the same position is
  ``0`` (copy, when ``allowzero`` is 0), at most one other entry is ``-1``
  (inferred from the element count, which the reshape preserves);
- an Expand target known symbolically becomes a constant where every
  symbolic entry equals the input's aligned dim, written ``1`` (broadcast
  keeps the input's dim);
- a Slice whose bounds are known symbolically and take every sliced axis whole
  (start 0, step 1, end the dim itself, e.g. a cached decoder's mask sliced to
  ``past + sequence`` keys read from ``Shape(present)``) is its input;
- any other shape operand (of Expand, Reshape, ConstantOfShape, Tile) whose
  entries are constants or dims of a graph input is rebuilt in its minimal
  form, ``Shape(input)`` sliced to the runs of dims it needs plus constants,
  when that takes fewer ops than the chain that computed it.

The chains that computed the old operands become dead and are removed by
``onnx-eliminate-dead``. Symbols are nonnegative integers: a dimension may be 0
at run time, so a ``-1`` is written only where every other entry is provably
``>= 1`` (onnxruntime cannot infer ``-1`` when the others multiply to 0, e.g.
``[0, -1]`` on a ``[0, 6]`` tensor, though the computed ``[batch, 6]`` ran):
a static positive int, or a product of symbols the model itself proves
nonzero (``proven_positive``: a main-graph Reshape with a ``-1`` next to them), or where the target had
that ``-1`` already (a flatten, ``[Shape(x)[0], -1]`` → ``[0, -1]``: the same entries, the same failure).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from onnx import TensorProto
from xdsl.dialects.builtin import IntegerAttr, ModuleOp
from xdsl.ir import Block, Operation, SSAValue

from onnxforge.analysis.shapes import ShapeFacts
from onnxforge.analysis.shapes.positivity import is_positive_given, proven_positive
from onnxforge.dialects.onnx.builders import ConstantBuilder, model_opset, standard_op
from onnxforge.dialects.onnx.canonicalization import slice_keeps
from onnxforge.dialects.onnx.generated import (
    ConstantOfShapeOp,
    ExpandOp,
    ReshapeOp,
    ReshapeV5Op,
    SliceOp,
    TileOp,
)
from onnxforge.dialects.onnx.queries import (
    constant_of,
    if_condition_slice,
    is_absent,
    is_constant_op,
    returned_by_subgraph,
)
from onnxforge.dialects.onnx.structure import NAMES_ATTR, CustomOp, GraphOp, ModelOp, ReturnOp, strings_of
from onnxforge.ir.provenance import name_or_kind
from onnxforge.ir.types import tensor_type
from onnxforge.passmanager import Accuracy, ForgePass, RunState
from onnxforge.passmanager.analyses import shape_facts

MAX_MATERIALIZED = 64
"""Known tensors up to this many elements become initializers."""

_INT_TYPES = {TensorProto.INT64, TensorProto.INT32, TensorProto.BOOL}


_RESHAPES = (ReshapeV5Op, ReshapeOp)
"""Reshape with a shape input: 5–13 (0 copies), 14+ (``allowzero``)."""


def _static(values: tuple | None) -> bool:  # type: ignore[type-arg]
    return values is not None and all(type(v) is int for v in values)


def reshape_target(target: tuple, in_dims: tuple | None, allowzero: int,  # type: ignore[type-arg]
                   proven: frozenset = frozenset()) -> list[int] | None:  # type: ignore[type-arg]
    """Reshape's constant form of a symbolically known target, or None.

    ``target`` entries are ints (a literal 0 copies, -1 infers) or symbolic
    expressions; ``in_dims`` are the input's symbolic dims; ``proven`` the
    symbols the model proves ``>= 1`` (``proven_positive``).
    """
    form: list[int] = []
    for index, entry in enumerate(target):
        if entry is None:
            return None
        if type(entry) is int:
            if entry == 0 and allowzero:
                form.append(0)  # a literal zero-size dim
            elif entry < -1:
                return None
            else:
                form.append(entry)
            continue
        if not allowzero and in_dims is not None and index < len(in_dims) and in_dims[index] is not None and in_dims[index] == entry:
            form.append(0)
        else:
            form.append(-1)
    if form.count(-1) > 1 or (allowzero and form.count(0) and form.count(-1)):
        return None
    literal = any(type(entry) is int and entry == -1 for entry in target)
    if -1 in form and not literal and not all(is_positive_given(entry, proven) for entry, f in zip(target, form) if f != -1):
        return None  # -1 is inferred by dividing by the other entries: onnxruntime fails if they may be 0
    return form  # a -1 the target already had: the other entries keep their values, so it fails where the original did


def expand_target(target: tuple, in_dims: tuple | None) -> list[int] | None:  # type: ignore[type-arg]
    """Expand's constant form of a symbolically known target, or None."""
    if in_dims is None:
        return None
    offset = len(target) - len(in_dims)
    form = []
    for index, entry in enumerate(target):
        if type(entry) is int:
            form.append(entry)
            continue
        aligned = index - offset
        if entry is None or aligned < 0 or in_dims[aligned] is None or in_dims[aligned] != entry:
            return None
        form.append(1)
    return form


@dataclass(frozen=True)
class SimplifyShapeChainsPass(ForgePass):
    name = "onnx-simplify-shape-chains"
    summary = "replace shape computations known symbolically by constants (Reshape 0/-1 form, Expand 1s)"
    accuracy = Accuracy.LOSSLESS

    def run(self, module: ModuleOp, state: RunState) -> None:
        facts = shape_facts(module, state)
        builder = ConstantBuilder(module)
        opset = model_opset(module)
        keep = if_condition_slice(module)
        for graph in [op for op in module.walk() if isinstance(op, GraphOp)]:
            main = isinstance(graph.parent_op(), ModelOp)
            proven = proven_positive(list(graph.block.ops), facts) if main else frozenset()
            for op in list(graph.block.ops):
                if not state.allow_rewrite():
                    return
                rule = self._simplify(op, graph.block, facts, builder, keep, proven) or self._minimal_form(op, graph, facts, builder, opset)
                if rule:
                    state.record(f"{self.name}/{rule}", name_or_kind(op))

    def _simplify(self, op: Operation, block: Block, facts: ShapeFacts, builder: ConstantBuilder, keep: set[SSAValue],
                  proven: frozenset) -> str | None:  # type: ignore[type-arg]
        bypassed = isinstance(op, _RESHAPES) and self._bypass_inner_reshape(op, facts)
        if isinstance(op, _RESHAPES) and constant_of(op.operands[1]) is None:
            allowzero = op.properties.get("allowzero")
            zero = allowzero.value.data if isinstance(allowzero, IntegerAttr) else 0
            target = facts.value(op.operands[1])
            form = None if target is None else reshape_target(target, facts.shape(op.operands[0]), zero, proven)
            if form is not None:
                op.operands[1] = builder.initializer(block, np.array(form, np.int64), f"{_hint(op)}_shape")
                return "reshape-target"
        if bypassed:
            return "reshape-of-reshape"
        if isinstance(op, ExpandOp) and constant_of(op.operands[1]) is None:
            target = facts.value(op.operands[1])
            form = None if target is None else expand_target(target, facts.shape(op.operands[0]))
            if form is not None:
                op.operands[1] = builder.initializer(block, np.array(form, np.int64), f"{_hint(op)}_shape")
                return "expand-target"
        if isinstance(op, SliceOp) and _takes_whole(op, facts):
            op.results[0].replace_all_uses_with(op.operands[0])
            return "identity-slice"
        if is_constant_op(op) or len(op.results) != 1 or op.regions:
            return None
        result = op.results[0]
        if not result.uses or facts.elem(result) not in _INT_TYPES:
            return None
        if returned_by_subgraph(result) or result in keep:
            return None  # see returned_by_subgraph and if_condition_slice
        return self._materialize(op, result, block, facts, builder)

    @staticmethod
    def _bypass_inner_reshape(op: Operation, facts: ShapeFacts) -> bool:
        """Reshape(Reshape(x, s1), s2) = Reshape(x, s2) when s2 holds no 0 (which would copy a dim of the
        intermediate): a reshape only reinterprets the element order, which neither step changes."""
        inner = op.operands[0].owner
        target = facts.value(op.operands[1])
        if not isinstance(inner, _RESHAPES) or target is None or any(t is None or t == 0 for t in target):
            return False
        op.operands[0] = inner.operands[0]
        return True

    def _minimal_form(self, op: Operation, graph: GraphOp, facts: ShapeFacts, builder: ConstantBuilder, opset: int) -> str | None:
        position = _SHAPE_OPERANDS.get(type(op))
        if position is None or len(op.operands) <= position:
            return None
        operand = op.operands[position]
        target = facts.value(operand)
        if target is None or constant_of(operand) is not None or _static(target) or any(t is None for t in target):
            return None
        pieces = _runs(target, _sources(graph, facts))
        if pieces is None:
            return None
        cost = (len(pieces) > 1) + sum(_piece_cost(p, facts, opset) for p in pieces)
        if cost >= _exclusive_chain(operand, op):
            return None
        vector_type = lambda n: tensor_type(TensorProto.INT64, (n,))  # noqa: E731
        parts: list[SSAValue] = []
        for piece in pieces:
            if piece[0] == "const":
                parts.append(builder.initializer(graph.block, np.array(piece[1], np.int64), f"{_hint(op)}_dims"))
                continue
            _, arg, start, end = piece
            rank = len(facts.shape(arg) or ())
            if opset >= 15:
                props = {} if (start, end) == (0, rank) else {"start": IntegerAttr(start, 64), "end": IntegerAttr(end, 64)}
                shape_op = standard_op("Shape", opset, [arg], [vector_type(end - start)], props)
                graph.block.insert_op_before(shape_op, op)
                parts.append(shape_op.results[0])
                continue
            shape_op = standard_op("Shape", opset, [arg], [vector_type(rank)])
            graph.block.insert_op_before(shape_op, op)
            if (start, end) == (0, rank):
                parts.append(shape_op.results[0])
                continue
            indices = builder.initializer(graph.block, np.arange(start, end, dtype=np.int64), f"{_hint(op)}_axes")
            gather = standard_op("Gather", opset, [shape_op.results[0], indices], [vector_type(end - start)])
            graph.block.insert_op_before(gather, op)
            parts.append(gather.results[0])
        if len(parts) == 1:
            op.operands[position] = parts[0]
        else:
            concat = standard_op("Concat", opset, parts, [vector_type(len(target))], {"axis": IntegerAttr(0, 64)})
            graph.block.insert_op_before(concat, op)
            op.operands[position] = concat.results[0]
        return "minimal-shape-form"

    @staticmethod
    def _materialize(op: Operation, result: SSAValue, block: Block, facts: ShapeFacts, builder: ConstantBuilder) -> str | None:
        shape, contents = facts.shape(result), facts.value(result)
        if shape is None or not _static(shape) or not _static(contents) or len(contents) > MAX_MATERIALIZED:  # type: ignore[arg-type]
            return None
        elem = facts.elem(result)
        dtype = {TensorProto.INT64: np.int64, TensorProto.INT32: np.int32, TensorProto.BOOL: np.bool_}[elem]  # type: ignore[index]
        array = np.array(contents, dtype=dtype).reshape(shape)  # type: ignore[arg-type]
        constant = builder.initializer(block, array, _hint(op), elem)
        result.replace_all_uses_with(constant)
        return "materialize"


def _takes_whole(op: SliceOp, facts: ShapeFacts) -> bool:
    """The Slice's bounds, known symbolically, take each sliced axis whole (``slice_keeps``; constant bounds are
    onnx-canonicalize's ``EraseNoopSlice``)."""
    if constant_of(op.operands[1]) is not None and constant_of(op.operands[2]) is not None:
        return False
    bounds = [None if is_absent(v) else facts.value(v) for v in op.operands[1:5]]
    if bounds[0] is None or bounds[1] is None or any(not is_absent(v) and b is None
                                                     for v, b in zip(op.operands[3:5], bounds[2:], strict=False)):
        return False
    starts, ends, *optional = ([_integer(x) for x in b] if b is not None else None for b in bounds)
    optional += [None] * (2 - len(optional))
    return slice_keeps(facts.shape(op.operands[0]), starts, ends, optional[0], optional[1])


def _integer(value: object) -> object:
    """``value`` as a Python int when it is an integer (a numpy or sympy one too), else itself (an expression)."""
    if isinstance(value, (int, np.integer)):
        return int(value)
    return int(value) if getattr(value, "is_Integer", False) else value


_SHAPE_OPERANDS = {ExpandOp: 1, ReshapeOp: 1, ReshapeV5Op: 1, ConstantOfShapeOp: 0, TileOp: 1}
"""Ops taking a 1-D int64 shape operand, and its position."""


def _sources(graph: GraphOp, facts: ShapeFacts) -> dict:  # type: ignore[type-arg]
    """symbol → (graph input, axis) for every symbolic dim of the graph's inputs."""
    found = {}
    for arg in graph.block.args:
        for axis, dim in enumerate(facts.shape(arg) or ()):
            if dim is not None and type(dim) is not int and dim not in found:
                found[dim] = (arg, axis)
    return found


def _exclusive_chain(value: SSAValue, consumer: Operation) -> int:
    """How many ops compute ``value`` for ``consumer`` alone (they die if it stops using it)."""
    owner = value.owner
    if not isinstance(owner, Operation) or is_constant_op(owner):
        return 0
    chain: set[Operation] = set()
    frontier = [owner]
    while frontier:
        op = frontier.pop()
        users = {use.operation for result in op.results for use in result.uses}
        if op in chain or not all(user in chain or user is consumer or _dead(user) for user in users):
            continue
        chain.add(op)
        frontier.extend(o.owner for o in op.operands if isinstance(o.owner, Operation) and not is_constant_op(o.owner))
    return len(chain)


def _dead(op: Operation, depth: int = 0) -> bool:
    """Whether an op's results feed nothing live (an earlier rewrite in this pass orphaned it)."""
    if depth > 32 or op.regions or isinstance(op, (ReturnOp, CustomOp)):
        return False
    return all(_dead(use.operation, depth + 1) for result in op.results for use in result.uses)


def _runs(target: tuple, sources: dict) -> list | None:  # type: ignore[type-arg]
    """The target as pieces: ("const", [ints]) or ("dims", input, first axis, last axis + 1)."""
    pieces: list = []  # type: ignore[type-arg]
    for entry in target:
        if type(entry) is int:
            if pieces and pieces[-1][0] == "const":
                pieces[-1][1].append(entry)
            else:
                pieces.append(("const", [entry]))
            continue
        if entry not in sources:
            return None
        arg, axis = sources[entry]
        last = pieces[-1] if pieces else None
        if last is not None and last[0] == "dims" and last[1] is arg and last[3] == axis:
            pieces[-1] = ("dims", arg, last[2], axis + 1)
        else:
            pieces.append(("dims", arg, axis, axis + 1))
    return pieces


def _piece_cost(piece: tuple, facts: ShapeFacts, opset: int) -> int:  # type: ignore[type-arg]
    """Nodes a piece takes: constants are initializers (no node); dims are Shape (+ Gather before opset 15)."""
    if piece[0] == "const":
        return 0
    whole = (piece[2], piece[3]) == (0, len(facts.shape(piece[1]) or ()))
    return 1 if whole or opset >= 15 else 2


def _hint(op: Operation) -> str:
    names = strings_of(op.attributes.get(NAMES_ATTR))
    return names[0] if names and names[0] else name_or_kind(op).strip("/").replace("/", "_")
