"""The inference walk: one forward pass over each graph in op order, rules keyed by op type.

Graphs are already in topological order (the importer sorts them), so one
pass sees every producer before its users. Subgraphs of If/Loop/Scan are
walked too (their values get facts) but the ops holding them get no rule:
their results fall back to their declared types.

Declared types (value_info, graph outputs) are trusted only where inference
has nothing: an inferred dim always wins, declared integer dims fill dims
inference left unknown, and a declared shape is used whole only for ops no
rule could handle. TorchScript exports declare made-up or wrong symbolic dims
(``mobilenet_v2_ts`` declares a spatial dim 1 as ``batch``), so declared
symbols never patch an inferred shape.
"""

from __future__ import annotations

import numpy as np
from xdsl.dialects.builtin import ModuleOp
from xdsl.ir import Attribute, Block, Operation

from onnxforge.analysis.shapes import dims
from onnxforge.analysis.shapes.context import Ctx, GiveUp
from onnxforge.analysis.shapes.facts import CONST_LIMIT, INT_ELEMS, VALUE_LIMIT, Info, ShapeFacts
from onnxforge.analysis.shapes.registry import rule_for
from onnxforge.dialects.onnx.structure import FunctionOp, GraphOp, InitializerOp, ModelOp, NoValueOp, ReturnOp
from onnxforge.ir.tensor import DenseAttr, np_dtype
from onnxforge.ir.types import TensorType


def infer(root: Operation) -> ShapeFacts:
    """Infer shapes of every value under a module, model or graph op. Never mutates the IR."""
    import onnxforge.analysis.shapes.rules  # noqa: F401  (registers the rules)

    facts = ShapeFacts()
    for graph, top in _graphs(root):
        _infer_block(graph.body.block, facts, top)
    return facts


def _graphs(root: Operation) -> list[tuple[Operation, bool]]:
    if isinstance(root, ModuleOp):
        return [g for op in root.body.block.ops for g in _graphs(op)]
    if isinstance(root, ModelOp):
        return [(root.graph, True), *((f, False) for f in root.functions)]
    if isinstance(root, (GraphOp, FunctionOp)):
        return [(root, True)]
    raise TypeError(f"infer: expected a module, onnx.model or onnx.graph, got {root.name}")


def declared(type_attr: Attribute, input_names: bool = False) -> Info:
    """Facts a declared type states; graph-input dim names are symbols as written (or the sums they name:
    ``dims.parse_declared``)."""
    if not isinstance(type_attr, TensorType):
        return Info()
    elem = type_attr.elem or None
    shape = type_attr.dims
    if shape is not None:
        if input_names:
            shape = tuple(dims.parse_declared(d) if isinstance(d, str) else d for d in shape)
        else:
            shape = tuple(dims.parse_dim(d) if isinstance(d, str) else d for d in shape)
    return Info(elem, shape)


def _infer_block(block: Block, facts: ShapeFacts, top: bool) -> None:
    table = facts._info
    for arg in block.args:
        table[arg] = declared(arg.type, input_names=True)
    for op in block.ops:
        for region in op.regions:
            for inner in region.block.ops if region.blocks else ():
                if isinstance(inner, GraphOp):
                    _infer_block(inner.body.block, facts, False)
        if isinstance(op, InitializerOp):
            table[op.results[0]] = _initializer(op)
            continue
        if isinstance(op, (NoValueOp, ReturnOp)):
            continue
        rule = rule_for(op)
        ctx = Ctx(op, facts)
        if rule is not None:
            try:
                rule(ctx)
            except GiveUp:
                ctx.outs = [Info() for _ in op.results]
            except Exception as err:
                facts.failures.append((op.name, f"{type(err).__name__}: {err}"))
                ctx.outs = [Info() for _ in op.results]
        for result, info in zip(op.results, ctx.outs):
            table[result] = _finish(info, declared(result.type))


def _initializer(op: InitializerOp) -> Info:
    value = op.value
    if not isinstance(value, DenseAttr):
        return declared(op.results[0].type)
    tensor = value.value
    info = Info(tensor.elem, tuple(tensor.dims))
    if tensor.size <= CONST_LIMIT and not tensor.is_elided and tensor.strings is None:
        try:
            info.const = tensor.numpy()
        except (ValueError, TypeError):
            pass
    return _derive(info)


def _finish(info: Info, decl: Info) -> Info:
    if info.shape is None:
        info.shape = decl.shape  # nothing inferred: the declaration is all there is
    elif decl.shape is not None and len(decl.shape) == len(info.shape):
        info.shape = tuple(
            d if d is not None or type(dd) is not int else dd for d, dd in zip(info.shape, decl.shape)
        )
    if info.elem is None:
        info.elem = decl.elem
    return _derive(info)


def _derive(info: Info) -> Info:
    """Make shape, value and const agree: each fills what the others leave open."""
    const = info.const
    if const is not None:
        if info.shape is None or len(info.shape) != const.ndim:
            info.shape = tuple(int(d) for d in const.shape)
        if (
            info.value is None
            and const.ndim <= 1
            and const.size <= VALUE_LIMIT
            and const.dtype.kind in "iub"
        ):
            info.value = tuple(int(v) for v in const.reshape(-1))
    value = info.value
    if value is not None:
        shape = info.shape
        if shape is not None:
            if len(shape) > 1 or (len(shape) == 0 and len(value) != 1):
                info.value = None
                return info
            if len(shape) == 1:
                if shape[0] is None:
                    info.shape = (len(value),)
                elif shape[0] != len(value):
                    info.value = None  # contradiction: trust neither
                    return info
        if (
            const is None
            and info.shape is not None
            and info.elem in INT_ELEMS
            and all(type(v) is int for v in value)
        ):
            try:
                info.const = np.array(value, dtype=np_dtype(info.elem)).reshape(info.shape)  # type: ignore[arg-type]
            except (ValueError, OverflowError, TypeError):
                pass
    return info
