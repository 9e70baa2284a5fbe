"""``onnx-fix-shapes``: fix graph-input shapes in the output model (deployment to TensorRT and the like).

Two options, each a list of quoted strings in xDSL's pass syntax::

    onnx-fix-shapes{input-shapes="input_ids=1,128","attention_mask=1,128"}
    onnx-fix-shapes{dims="batch=1","sequence=128"}      (or dims="batch=1,sequence=128")

``dims`` (``forgec --fix-dim SYMBOL=VALUE``) replaces a symbolic dim name
everywhere: in every graph input that has it, in every value type derived
from it (``batch*sequence`` becomes ``128``) and in the graph outputs'
declared types. ``VALUE`` is an integer, or another name (renames the
symbol; renaming two symbols to one name states that they are equal; a new
name is an identifier, so that a printed ``2*batch`` never reads as a name).
``input-shapes`` (``forgec --input-shape NAME=D0,D1,...``) gives one input's
whole shape: an integer or a name per dim. A dim of that input that was a
symbol binds the symbol, so the binding holds everywhere the symbol appears
(in ONNX one ``dim_param`` name is one size across the graph's inputs):
``input_ids=1,128`` on ``[batch, sequence]`` fixes ``attention_mask``'s
``[batch, sequence]`` too. A dim that was unknown (no name) is set on that
input only; ``NAME=`` gives a scalar.

Nothing is folded here: the following ``onnx-infer-shapes``,
``onnx-simplify-shape-chains`` and ``onnx-fold-constants`` (the ``cleanup``
stage of every pipeline) see the static dims and fold the shape chains.
Graph-output declarations that named a fixed symbol are updated here, from
shape inference on the fixed inputs where it knows the dim (TorchScript
declares made-up names: ``mobilenet_v2_ts`` declares a spatial dim that is
always 1 as ``batch``) and by substitution where it does not; the declared
interface is then consistent with the inputs. On the fixed shapes the model
computes what it did: accuracy class 0. Graph-local functions keep their
own dims (a function's symbols are its own).

Errors are one-line ``ForgeError``: a bad ``NAME=D0,...`` or ``SYMBOL=VALUE``
text, a negative size, an input name the graph does not have (the known ones
are listed), an input given twice, a rank other than the declared one, a
size or a name where the input declares another static size (fixing a
declared 768 to 512 or to ``n``), a symbol no graph input has (an error, not
a warning: a misspelt ``--fix-dim bacth=1`` would otherwise leave the model
dynamic while the user believes it fixed; a second run with the same
``dims`` therefore fails too, the symbol being gone), and a symbol given two
different values or names. Size 0 is allowed, with a warning: an empty batch
is legal ONNX and the dim algebra holds symbols ``>= 0``, so folding stays
sound, but the result accepts only empty tensors on that dim.

``spec_from_flags`` turns the CLI's repeated flags into this pass's spec; the
driver runs it once, as its own stage before the pipeline (not in a
fixed-point stage: see the second-run error above). ``runtime.verify`` feeds
the original and the result inputs of the fixed sizes (``runtime.fixed_by``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

import sympy
from xdsl.dialects.builtin import ArrayAttr, ModuleOp
from xdsl.ir import Attribute, Block, Operation

from onnxforge.analysis.shapes import dims as algebra
from onnxforge.analysis.shapes.engine import infer
from onnxforge.dialects.onnx.structure import GraphOp, ModelOp
from onnxforge.errors import ForgeError
from onnxforge.ir.types import TensorType, tensor_type
from onnxforge.ir.values import set_type
from onnxforge.passmanager import Accuracy, ForgePass, RunState

PASS = "onnx-fix-shapes"
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
"""A dim name the options may introduce: an identifier, so that no printed dim expression reads it as one."""
Size = int | str
"""A requested dim: a size, or a symbol name."""


# --- the option texts ------------------------------------------------------------------------------


def _size(text: str, where: str) -> Size:
    """One requested dim: an integer ``>= 0`` or a symbol name."""
    item = text.strip()
    if not item:
        raise ForgeError(f"{where}: empty dim")
    if item.lstrip("+-").isdigit():
        value = int(item)
        if value < 0:
            raise ForgeError(f"{where}: dim {value} is negative (sizes are >= 0; a name such as 'batch' keeps a dim dynamic)")
        return value
    if not _NAME.fullmatch(item):
        raise ForgeError(f"{where}: {item!r} is neither a size nor a dim name (a name is letters, digits and _)")
    return item


def parse_input_shape(text: str, label: str = f"{PASS}: input-shapes") -> tuple[str, tuple[Size, ...]]:
    """``"input_ids=1,128"`` → ``("input_ids", (1, 128))``; ``"x="`` is a scalar; a dim may be a name."""
    name, eq, shape = text.rpartition("=")
    if not eq or not name:
        raise ForgeError(f"{label} expects NAME=D0,D1,... (e.g. input_ids=1,128), got {text!r}")
    where = f"{label} {text!r}"
    return name, tuple(_size(d, where) for d in shape.split(",")) if shape.strip() else ()


def parse_fix_dims(text: str, label: str = f"{PASS}: dims") -> list[tuple[str, Size]]:
    """``"batch=1"`` → ``[("batch", 1)]``; the value may be a name (a rename). Several pairs may be
    joined by commas, as ``cost-annotate``'s ``dims`` are: ``"batch=1,sequence=128"``."""
    pairs = []
    for item in text.split(","):
        name, eq, value = item.rpartition("=")
        if not eq or not name.strip() or not value.strip():
            raise ForgeError(f"{label} expects SYMBOL=VALUE (e.g. batch=1), got {text!r}")
        pairs.append((name.strip(), _size(value, f"{label} {text!r}")))
    return pairs


def _quoted(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def spec_from_flags(input_shapes: Iterable[str], fix_dims: Iterable[str]) -> str:
    """The pass spec for ``forgec --input-shape NAME=D0,D1,...`` and ``--fix-dim SYMBOL=VALUE`` (each
    repeatable), ``""`` when neither was given. Bad syntax raises a one-line ``ForgeError`` naming the flag;
    what only the model can tell (input names, ranks, declared sizes) is checked when the pass runs."""
    shapes, fixes = list(input_shapes), list(fix_dims)
    for text in shapes:
        parse_input_shape(text, "--input-shape")
    for text in fixes:
        parse_fix_dims(text, "--fix-dim")
    options = []
    if shapes:
        options.append("input-shapes=" + ",".join(_quoted(t) for t in shapes))
    if fixes:
        options.append("dims=" + ",".join(_quoted(t) for t in fixes))
    return f"{PASS}{{{' '.join(options)}}}" if options else ""


# --- what the options ask of one graph -------------------------------------------------------------


@dataclass
class _Plan:
    """The fixes for one graph: symbol → size or new name, and per-input dims that had no name."""

    symbols: dict[str, Size]
    source: dict[str, str]
    """symbol → where its value was given (for conflict messages)."""
    unnamed: dict[int, dict[int, int | str]]
    """input index → {dim position: new dim} for dims the input declared without a name."""
    whole: dict[int, tuple[Size, ...]]
    """input index → the shape of an input that declared no rank."""

    def bind(self, symbol: str, value: Size, where: str) -> None:
        if symbol in self.symbols and self.symbols[symbol] != value:
            raise ForgeError(f"{PASS}: dim {symbol!r} is given two values: {self.symbols[symbol]} ({self.source[symbol]}) "
                             f"and {value} ({where})")
        self.symbols.setdefault(symbol, value)
        self.source.setdefault(symbol, where)


def _input_types(graph: GraphOp) -> list[tuple[str, Attribute]]:
    names = [a.data for a in graph.input_names.data]  # type: ignore[attr-defined]
    return [(name, arg.type) for name, arg in zip(names, graph.block.args)]


def _plan(graph: GraphOp, shapes: list[tuple[str, tuple[Size, ...]]], fixes: list[tuple[str, Size]]) -> _Plan:
    inputs = _input_types(graph)
    index = {name: i for i, (name, _) in enumerate(inputs)}
    plan = _Plan({}, {}, {}, {})
    seen: set[str] = set()
    for name, shape in shapes:
        if name not in index:
            known = ", ".join(n for n, _ in inputs) or "none"
            raise ForgeError(f"{PASS}: the graph has no input named {name!r} (inputs: {known})")
        if name in seen:
            raise ForgeError(f"{PASS}: input {name!r} is given two shapes")
        seen.add(name)
        i = index[name]
        declared = inputs[i][1]
        if not isinstance(declared, TensorType):
            raise ForgeError(f"{PASS}: input {name!r} is not a tensor ({declared}); only tensor shapes can be fixed")
        if declared.dims is None:
            plan.whole[i] = shape
            continue
        if len(declared.dims) != len(shape):
            raise ForgeError(f"{PASS}: input {name!r} has rank {len(declared.dims)} ({_shape_text(declared.dims)}); "
                             f"the shape given has {len(shape)} dims")
        for axis, (old, new) in enumerate(zip(declared.dims, shape)):
            where = f"input {name!r}"
            if isinstance(old, int):
                if new != old:
                    raise ForgeError(f"{PASS}: input {name!r} dim {axis} is declared {old}; it cannot become {new!r}")
            elif old is None:
                plan.unnamed.setdefault(i, {})[axis] = new
            elif new != old:
                plan.bind(old, new, where)
    symbols = _input_symbols(inputs)
    for symbol, value in fixes:
        if symbol not in symbols:
            have = ", ".join(sorted(symbols)) if symbols else "the inputs have none"
            raise ForgeError(f"{PASS}: no graph input has a dim named {symbol!r} (input dims: {have})")
        if value != symbol:
            plan.bind(symbol, value, "dims")
    _resolve_renames(plan)
    return plan


def _input_symbols(inputs: list[tuple[str, Attribute]]) -> set[str]:
    return {d for _, t in inputs if isinstance(t, TensorType) and t.dims for d in t.dims if isinstance(d, str)}


def _resolve_renames(plan: _Plan) -> None:
    """``a → b`` with ``b → 1`` means ``a → 1``: follow renames to their end (a cycle is an error)."""
    for symbol in list(plan.symbols):
        seen = {symbol}
        value = plan.symbols[symbol]
        while isinstance(value, str) and value in plan.symbols:
            if value in seen:
                raise ForgeError(f"{PASS}: the renames of {symbol!r} form a cycle ({' → '.join([*seen, value])})")
            seen.add(value)
            value = plan.symbols[value]
        plan.symbols[symbol] = value


def _shape_text(shape: Iterable[object]) -> str:
    return "[" + ", ".join("?" if d is None else str(d) for d in shape) + "]"


# --- rewriting the types ---------------------------------------------------------------------------


class _Substitution:
    """Symbol → size or symbol, applied to the dims of types (printed expressions included)."""

    def __init__(self, symbols: dict[str, Size]) -> None:
        self.names = symbols
        self.table = {algebra.symbol(k): sympy.Integer(v) if isinstance(v, int) else algebra.symbol(v)
                      for k, v in symbols.items()}

    def mentions(self, dim: object) -> bool:
        if not isinstance(dim, str):
            return False
        if dim in self.names:
            return True
        expr = algebra.parse_dim(dim)
        return isinstance(expr, sympy.Basic) and bool(expr.free_symbols & self.table.keys())

    def dim(self, dim: object) -> object:
        if not isinstance(dim, str):
            return dim
        if dim in self.names:
            return self.names[dim]
        expr = algebra.parse_dim(dim)
        if not isinstance(expr, sympy.Basic) or not expr.free_symbols & self.table.keys():
            return dim
        return algebra.print_dim(algebra.norm(expr.xreplace(self.table)))

    def type(self, t: Attribute) -> Attribute:
        if not isinstance(t, TensorType) or not t.dims or not any(isinstance(d, str) for d in t.dims):
            return t
        return tensor_type(t.elem, tuple(self.dim(d) for d in t.dims))  # type: ignore[arg-type]


def _retype_block(block: Block, subst: _Substitution) -> int:
    changed = 0
    for arg in block.args:
        new = subst.type(arg.type)
        if new != arg.type:
            set_type(arg, new)
            changed += 1
    for op in block.ops:
        changed += _retype_op(op, subst)
    return changed


def _retype_op(op: Operation, subst: _Substitution) -> int:
    changed = 0
    for result in op.results:
        new = subst.type(result.type)
        if new != result.type:
            set_type(result, new)
            changed += 1
    if isinstance(op, GraphOp):  # a subgraph's declared outputs
        declared = [subst.type(t) for t in op.output_types.data]
        if declared != list(op.output_types.data):
            op.output_types = ArrayAttr(declared)
            changed += 1
    for region in op.regions:
        for block in region.blocks:
            changed += _retype_block(block, subst)
    return changed


def _fix_inputs(graph: GraphOp, plan: _Plan, subst: _Substitution) -> int:
    changed = 0
    for i, arg in enumerate(graph.block.args):
        old = arg.type
        if i in plan.whole:
            elem = old.elem if isinstance(old, TensorType) else 0
            new: Attribute = tensor_type(elem, tuple(plan.whole[i]))
        else:
            new = subst.type(old)
            if i in plan.unnamed and isinstance(new, TensorType) and new.dims is not None:
                dims = list(new.dims)
                for axis, value in plan.unnamed[i].items():
                    dims[axis] = value
                new = tensor_type(new.elem, tuple(dims))
        if new != old:
            set_type(arg, new)
            changed += 1
    return changed


def _fix_outputs(graph: GraphOp, subst: _Substitution) -> int:
    """Declared output dims that named a fixed symbol: inferred from the fixed inputs where inference knows
    the dim, else substituted."""
    declared = list(graph.output_types.data)
    if not any(isinstance(t, TensorType) and t.dims and any(subst.mentions(d) for d in t.dims) for t in declared):
        return 0
    facts = infer(graph)
    new_types: list[Attribute] = []
    for decl, value in zip(declared, graph.return_op.operands):
        if not isinstance(decl, TensorType) or not decl.dims:
            new_types.append(decl)
            continue
        inferred = facts.info(value).shape
        if inferred is not None and len(inferred) != len(decl.dims):
            inferred = None
        new_dims = []
        for axis, d in enumerate(decl.dims):
            if not subst.mentions(d):
                new_dims.append(d)
            elif inferred is not None and inferred[axis] is not None:
                new_dims.append(algebra.print_dim(inferred[axis]))
            else:
                new_dims.append(subst.dim(d))
        new_types.append(tensor_type(decl.elem, tuple(new_dims)))  # type: ignore[arg-type]
    changed = sum(a != b for a, b in zip(new_types, declared))
    if changed:
        graph.output_types = ArrayAttr(new_types)
    return changed


def _top_graphs(module: ModuleOp) -> list[GraphOp]:
    graphs = []
    for op in module.body.block.ops:
        if isinstance(op, ModelOp):
            graphs.append(op.graph)
        elif isinstance(op, GraphOp):
            graphs.append(op)
    return graphs


@dataclass(frozen=True)
class FixShapesPass(ForgePass):
    name = PASS
    summary = "fix graph-input shapes and symbolic dims in the output model (for static-shape runtimes)"
    accuracy = Accuracy.LOSSLESS

    input_shapes: tuple[str, ...] = ()
    """Whole input shapes, ``"NAME=D0,D1,..."`` each (a dim is a size or a name)."""
    dims: tuple[str, ...] = ()
    """Symbolic dims to replace everywhere, ``"SYMBOL=VALUE"`` each (a size or a new name; pairs may also
    be joined by commas in one string)."""

    def run(self, module: ModuleOp, state: RunState) -> None:
        shapes = [parse_input_shape(t) for t in self.input_shapes]
        fixes = [pair for text in self.dims for pair in parse_fix_dims(text)]
        if not shapes and not fixes:
            return
        zeros = [f"input {name!r}" for name, shape in shapes if 0 in shape] + [s for s, v in fixes if v == 0]
        if zeros:
            state.warnings.append(f"{PASS}: size 0 for {', '.join(zeros)}: the model will accept only empty tensors there")
        for graph in _top_graphs(module):
            plan = _plan(graph, shapes, fixes)
            subst = _Substitution(plan.symbols)
            changed = _fix_inputs(graph, plan, subst)
            if plan.symbols:
                for op in graph.block.ops:
                    changed += _retype_op(op, subst)
                changed += _fix_outputs(graph, subst)
            if changed:
                state.statistics[f"{self.name}/types-changed"] += changed
                state.changed = True
