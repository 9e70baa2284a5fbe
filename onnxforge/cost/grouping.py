"""From ops to kernels: what launches nothing, what runs together, and what each kernel reads and writes.

One walk over the main graph sorts every op into one of:

* free: constants and initializers; ``Shape``/``Size``; ops whose inputs are all
  constants (folded at load time, or parameters in PyTorch); ops whose inputs are
  all constants or *host values* and whose outputs are shape-sized (at most
  ``HOST_ELEMENTS`` elements: shape arithmetic done on the CPU without a kernel);
  and the execution model's views, whose result aliases their first operand;
* compute: everything else, one kernel each to start with.

The execution model's rules (``execution.py``) then merge compute ops into
kernels (a union-find over ops). A kernel reads every value it uses that is
produced outside it (through views: a reshape of a tensor is that tensor),
each at most once and no more than the producer wrote, and writes every value
it produces that something outside it reads or that the graph returns;
values passed between its own ops stay on chip.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from xdsl.dialects.builtin import ModuleOp
from xdsl.ir import Operation, SSAValue

from onnxforge.cost.counting import Count, count
from onnxforge.cost.execution import ExecutionModel
from onnxforge.cost.sizes import Sizes
from onnxforge.dialects.onnx.queries import is_constant_op, op_type, small_constant
from onnxforge.dialects.onnx.structure import GraphOp, InitializerOp, ModelOp, NoValueOp, ReturnOp
from onnxforge.errors import ForgeError
from onnxforge.ir.provenance import fused_from, fx_node, leaf_scope, module_path
from onnxforge.ir.types import NoneType

HOST_ELEMENTS = 64
"""Values up to this many elements computed from shapes and constants only are host scalars/vectors."""
WEIGHT_INPUTS_KEY = "onnxforge.weight_inputs"
"""Model metadata: graph inputs that stand for weights (weightless fixtures, tools/make_cost_fixtures.py)."""

CLASS_PRIORITY = ("attention", "conv", "matmul", "normalization", "pooling", "reduction", "elementwise", "data_movement")
CHAIN_CLASSES = frozenset({"elementwise", "reduction", "normalization"})
CHAIN_EXTRA = frozenset({"Cast", "CastLike"})
ATTENTION_ELEMENTWISE = frozenset({"Add", "Sub", "Mul", "Div", "Where", "Cast", "Softcap"})
ACTIVATIONS = frozenset({"Relu", "Clip", "Sigmoid", "Tanh", "LeakyRelu", "HardSigmoid", "HardSwish"})
NORM_KINDS = frozenset({"LayerNormalization", "RMSNormalization", "nn.layer_norm", "nn.rms_norm",
                        "com.microsoft.SimplifiedLayerNormalization"})
STAT_KINDS = frozenset({"ReduceMean", "ReduceSum", "ReduceSumSquare", "ReduceL2"})
ROOT_KINDS = frozenset({"Sqrt", "Reciprocal"})

CONST, HOST, DATA = "const", "host", "data"


@dataclass
class KernelPlan:
    """One kernel: its ops (graph order), their counts, and the values it reads and writes."""

    ops: list[Operation]
    counts: list[Count]
    inputs: list[SSAValue] = field(default_factory=list)
    """Values read from outside the kernel (roots: never a view's result), graph order of first use."""
    input_bytes: list[float] = field(default_factory=list)
    input_is_weight: list[bool] = field(default_factory=list)
    outputs: list[SSAValue] = field(default_factory=list)
    output_bytes: list[float] = field(default_factory=list)
    anchor: Operation | None = None
    op_class: str = "elementwise"
    op: str = ""


class _Graph:
    """The classified main graph: value kinds, view aliases, compute ops and their consumers."""

    def __init__(self, graph: GraphOp, sizes: Sizes, execution: ExecutionModel, weight_inputs: set[str]) -> None:
        self.sizes = sizes
        self.execution = execution
        self.kind: dict[SSAValue, str] = {}
        self.alias: dict[SSAValue, SSAValue] = {}
        self.compute: list[Operation] = []
        self.index: dict[Operation, int] = {}
        self.returned: set[SSAValue] = set()
        self.consumers: dict[SSAValue, list[tuple[Operation, int]]] = defaultdict(list)
        names = [s.data for s in graph.input_names.data]  # type: ignore[attr-defined]
        for name, arg in zip(names, graph.block.args):
            self.kind[arg] = CONST if name in weight_inputs else DATA
        self.parent_scopes: set[str] = set()
        """TorchScript scopes that contain other scopes (modules with submodules)."""
        for op in graph.block.ops:
            self._classify(op)
            scope = leaf_scope(op)
            while scope is not None and "/" in scope[1:]:
                scope = scope.rsplit("/", 1)[0]
                self.parent_scopes.add(scope)
        for op in self.compute:
            for position, operand in enumerate(op.operands):
                root = self.root(operand)
                if self.kind.get(root) == DATA:
                    self.consumers[root].append((op, position))

    def root(self, value: SSAValue) -> SSAValue:
        while value in self.alias:
            value = self.alias[value]
        return value

    def _classify(self, op: Operation) -> None:
        if isinstance(op, ReturnOp):
            self.returned.update(self.root(v) for v in op.operands)
            return
        if isinstance(op, NoValueOp):
            return
        if isinstance(op, InitializerOp):
            self.kind[op.results[0]] = DATA if op.is_input_default() else CONST
            return
        if is_constant_op(op):
            self.kind[op.results[0]] = CONST
            return
        kind = op_type(op)
        operands = [v for v in op.operands if not _absent(v)]
        kinds = {self.kind.get(self.root(v), DATA) for v in operands}
        if kind in ("Shape", "Size"):
            self._set(op, HOST)
        elif operands and not op.regions and self._is_view(op, kind):
            data = self.root(op.operands[0])
            for result in op.results:
                self.alias[result] = data
            self._set(op, self.kind.get(data, DATA))
        elif operands and not op.regions and kinds == {CONST}:
            self._set(op, CONST)
        elif operands and not op.regions and kinds <= {CONST, HOST} and self._small_results(op):
            self._set(op, HOST)
        else:
            self.index[op] = len(self.compute)
            self.compute.append(op)
            self._set(op, DATA)

    def _set(self, op: Operation, kind: str) -> None:
        for result in op.results:
            self.kind[result] = kind

    def _is_view(self, op: Operation, kind: str) -> bool:
        if kind == "Gather" and "Select" in self.execution.views:
            index = small_constant(op.operands[1])
            return index is not None and index.ndim == 0
        if kind == "Dropout" and len(op.operands) > 2 and not _absent(op.operands[2]):
            return False  # training mode given at run time: a real dropout
        return kind in self.execution.views

    def _small_results(self, op: Operation) -> bool:
        for result in op.results:
            count = self.sizes.numel(result)
            if count is not None and count > HOST_ELEMENTS:
                return False
        return True

    def compute_consumers(self, value: SSAValue) -> list[tuple[Operation, int]]:
        return self.consumers.get(self.root(value), [])

    def producer(self, value: SSAValue) -> Operation | None:
        owner = self.root(value).owner
        return owner if isinstance(owner, Operation) and owner in self.index else None

    def single_consumer(self, op: Operation) -> Operation | None:
        """The only compute op reading ``op``'s one used result, if the graph does not return it."""
        used = [r for r in op.results if r in self.returned or self.compute_consumers(r)]
        if len(used) != 1 or used[0] in self.returned:
            return None
        users = {user for user, _ in self.compute_consumers(used[0])}
        return next(iter(users)) if len(users) == 1 else None


def _absent(value: SSAValue) -> bool:
    return isinstance(value.owner, NoValueOp) or isinstance(value.type, NoneType)


class _Groups:
    """Union-find over compute ops."""

    def __init__(self, ops: list[Operation]) -> None:
        self.parent = {op: op for op in ops}

    def find(self, op: Operation) -> Operation:
        while self.parent[op] is not op:
            self.parent[op] = self.parent[self.parent[op]]
            op = self.parent[op]
        return op

    def union(self, a: Operation, b: Operation) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra is not rb:
            self.parent[rb] = ra


# --- the rules ---------------------------------------------------------------------------------


def _by_key(g: _Graph, groups: _Groups, key) -> None:  # type: ignore[no-untyped-def]
    first: dict[object, Operation] = {}
    for op in g.compute:
        k = key(op)
        if k is not None:
            groups.union(first.setdefault(k, op), op)


def _lowered(g: _Graph, groups: _Groups, counts: dict[Operation, Count]) -> None:
    _by_key(g, groups, fused_from)


def _fx_node(g: _Graph, groups: _Groups, counts: dict[Operation, Count]) -> None:
    _by_key(g, groups, fx_node)


def _scope_chain(g: _Graph, groups: _Groups, counts: dict[Operation, Count]) -> None:
    """Elementwise ops of one *leaf* module (no submodules) with nothing heavier in it: a functional
    op the exporter decomposed (LayerNorm, GELU, SiLU). A module with submodules runs several torch
    ops in its own forward (two residual Adds, an embedding sum) and is left alone."""
    by_scope: dict[str, list[Operation]] = defaultdict(list)
    for op in g.compute:
        scope = leaf_scope(op)
        if scope is not None:
            by_scope[scope].append(op)
    for scope, ops in by_scope.items():
        if len(ops) < 2 or scope in g.parent_scopes:
            continue
        if not all(counts[op].op_class in CHAIN_CLASSES or op_type(op) in CHAIN_EXTRA for op in ops):
            continue
        members = set(ops)
        for op in ops:
            for result in op.results:
                users = {user for user, _ in g.compute_consumers(result)}
                # Only a value that never leaves the scope is internal to one torch op: two residual
                # Adds of one block are linked directly, but the first also feeds the next LayerNorm.
                if users and users <= members and result not in g.returned:
                    for user in users:
                        groups.union(op, user)


def _bias(g: _Graph, groups: _Groups, counts: dict[Operation, Count]) -> None:
    for op in g.compute:
        if op_type(op) not in ("MatMul", "Gemm", "Conv", "nn.linear", "nn.conv") or _has_bias(op):
            continue
        user = g.single_consumer(op)
        if user is None or op_type(user) != "Add":
            continue
        others = [v for v in user.operands if g.root(v) is not g.root(op.results[0])]
        if len(others) != 1 or g.kind.get(g.root(others[0])) != CONST:
            continue
        # A bias has one value per output feature (last dim; channels for a conv), not a mask or a table.
        shape = g.sizes.shape(op.results[0])
        features = None if not shape else (shape[1] if op_type(op) in ("Conv", "nn.conv") and len(shape) > 1 else shape[-1])
        if features is not None and g.sizes.numel(others[0]) == features:
            groups.union(op, user)


def _has_bias(op: Operation) -> bool:
    kind = op_type(op)
    position = {"Gemm": 2, "Conv": 2, "nn.linear": 2, "nn.conv": 2}.get(kind)
    return position is not None and len(op.operands) > position and not _absent(op.operands[position])


def _sdpa(g: _Graph, groups: _Groups, counts: dict[Operation, Count]) -> None:
    """MatMul (QK) → scale/mask elementwise → Softmax → (casts) → MatMul (PV): one attention kernel."""
    for softmax in g.compute:
        if op_type(softmax) != "Softmax":
            continue
        pre: list[Operation] = []
        qk = _find_qk(g, softmax, pre, depth=0)
        if qk is None:
            continue
        post: list[Operation] = []
        current, pv = softmax, None
        while (user := g.single_consumer(current)) is not None:
            kind = op_type(user)
            if kind == "MatMul" and g.root(user.operands[0]) is g.root(current.results[0]):
                pv = user
                break
            if kind not in ATTENTION_ELEMENTWISE or len(post) > 3:
                break
            post.append(user)
            current = user
        if pv is None:
            continue
        for op in [qk, *pre, *post, pv, *_prescales(g, qk)]:
            groups.union(softmax, op)


def _find_qk(g: _Graph, op: Operation, path: list[Operation], depth: int) -> Operation | None:
    for operand in op.operands[:2]:
        producer = g.producer(operand)
        if producer is None or g.single_consumer(producer) is not op:
            continue
        kind = op_type(producer)
        if kind == "MatMul":
            return producer
        if kind in ATTENTION_ELEMENTWISE and depth < 4:
            found = _find_qk(g, producer, path, depth + 1)
            if found is not None:
                path.append(producer)
                return found
    return None


def _prescales(g: _Graph, qk: Operation) -> list[Operation]:
    """``q·s`` and ``k·s`` by a scalar before Q·Kᵀ (the exported SDPA scales both by √scale)."""
    found = []
    for operand in qk.operands:
        producer = g.producer(operand)
        if producer is None or op_type(producer) not in ("Mul", "Div") or g.single_consumer(producer) is not qk:
            continue
        if any(g.kind.get(g.root(v)) in (CONST, HOST) for v in producer.operands):
            found.append(producer)
    return found


def _conv_epilogue(g: _Graph, groups: _Groups, counts: dict[Operation, Count]) -> None:
    claimed: set[Operation] = set()  # a residual Add joins the first conv that reaches it, not both
    for conv in g.compute:
        if op_type(conv) not in ("Conv", "nn.conv", "com.microsoft.FusedConv"):
            continue
        current, stage = conv, 0  # stages: 0 conv, 1 after BatchNorm, 2 after the residual Add
        while (user := g.single_consumer(current)) is not None and user not in claimed:
            claimed.add(user)
            kind = op_type(user)
            if kind == "BatchNormalization" and stage == 0:
                stage = 1
            elif kind == "Add" and stage < 2 and all(g.kind.get(g.root(v)) == DATA for v in user.operands):
                stage = 2
            elif kind in ACTIVATIONS:
                groups.union(conv, user)
                break
            else:
                break
            groups.union(conv, user)
            current = user


def _skip_norm(g: _Graph, groups: _Groups, counts: dict[Operation, Count]) -> None:
    members = _members(g, groups)
    for add in g.compute:
        if op_type(add) != "Add" or not all(g.kind.get(g.root(v)) == DATA for v in add.operands):
            continue
        if len(members[groups.find(add)]) > 1:
            continue  # already part of something else
        for user, _ in g.compute_consumers(add.results[0]):
            kinds = {op_type(m) for m in members[groups.find(user)]}
            if kinds & NORM_KINDS or (kinds & STAT_KINDS and kinds & ROOT_KINDS):
                groups.union(user, add)
                break


RULE_FUNCTIONS = {
    "lowered": _lowered,
    "fx-node": _fx_node,
    "scope-chain": _scope_chain,
    "bias": _bias,
    "sdpa": _sdpa,
    "conv-epilogue": _conv_epilogue,
    "skip-norm": _skip_norm,
}


def _members(g: _Graph, groups: _Groups) -> dict[Operation, list[Operation]]:
    members: dict[Operation, list[Operation]] = defaultdict(list)
    for op in g.compute:
        members[groups.find(op)].append(op)
    return members


# --- building the kernels ----------------------------------------------------------------------


def main_graph(module: ModuleOp | ModelOp | GraphOp) -> tuple[GraphOp, ModelOp | None]:
    if isinstance(module, GraphOp):
        return module, None
    model = module if isinstance(module, ModelOp) else next((op for op in module.ops if isinstance(op, ModelOp)), None)
    if model is None:
        raise ForgeError("nothing to cost: the IR holds no onnx.model (was it lowered to cost already?)")
    return model.graph, model


def weight_input_names(model: ModelOp | None) -> set[str]:
    if model is None or model.metadata_props is None:
        return set()
    entry = model.metadata_props.data.get(WEIGHT_INPUTS_KEY)
    text = getattr(entry, "data", "")
    return {name for name in text.split(",") if name} if isinstance(text, str) else set()


@dataclass
class GraphPlan:
    """The kernels of a graph, and which value really holds each view's data."""

    kernels: list[KernelPlan]
    aliases: dict[SSAValue, SSAValue]

    def root(self, value: SSAValue) -> SSAValue:
        while value in self.aliases:
            value = self.aliases[value]
        return value


def plan(module: ModuleOp | ModelOp | GraphOp, sizes: Sizes, execution: ExecutionModel) -> GraphPlan:
    """The kernels of the main graph under an execution model, in graph order."""
    graph, model = main_graph(module)
    g = _Graph(graph, sizes, execution, weight_input_names(model))
    counts = {op: count(op, sizes) for op in g.compute}
    groups = _Groups(g.compute)
    for rule in execution.rules:
        RULE_FUNCTIONS[rule](g, groups, counts)
    plans = [_build(g, ops, [counts[op] for op in ops]) for ops in _members(g, groups).values()]
    plans.sort(key=lambda p: g.index[p.ops[0]])
    return GraphPlan(plans, g.alias)


def _build(g: _Graph, ops: list[Operation], op_counts: list[Count]) -> KernelPlan:
    plan = KernelPlan(ops, op_counts)
    members = set(ops)
    # Bytes read per root value, per view of it: distinct views (q, k and v of one packed
    # projection) add up, the same view read twice counts once, and never more than the root holds.
    reads: dict[SSAValue, dict[SSAValue, float]] = {}
    for op, c in zip(ops, op_counts):
        for position, operand in enumerate(op.operands):
            if _absent(operand):
                continue
            root = g.root(operand)
            kind = g.kind.get(root, DATA)
            if kind == HOST or root.owner in members:
                continue
            size = float(g.sizes.nbytes(operand) or g.sizes.nbytes(root) or 0)
            wanted = c.reads[position] if c.reads is not None and position < len(c.reads) else None
            if wanted is not None:
                size = min(size, wanted)
            if root not in reads:
                reads[root] = {}
                plan.inputs.append(root)
                plan.input_is_weight.append(kind == CONST)
            reads[root][operand] = max(reads[root].get(operand, 0.0), size)
    for root in plan.inputs:
        total = sum(reads[root].values())
        root_size = g.sizes.nbytes(root)
        plan.input_bytes.append(min(total, float(root_size)) if root_size is not None else total)
    for op in ops:
        for result in op.results:
            if g.kind.get(result) != DATA:
                continue
            escapes = result in g.returned or any(user not in members for user, _ in g.compute_consumers(result))
            if escapes:
                plan.outputs.append(result)
                plan.output_bytes.append(float(g.sizes.nbytes(result) or 0))
    plan.op_class = _group_class(ops, op_counts)
    anchors = [(op, c) for op, c in zip(ops, op_counts) if c.op_class == plan.op_class] or list(zip(ops, op_counts))
    plan.anchor = max(anchors, key=lambda pair: pair[1].flops)[0]
    plan.op = _group_name(ops)
    return plan


def _group_class(ops: list[Operation], op_counts: list[Count]) -> str:
    classes = {c.op_class for c in op_counts}
    kinds = {op_type(op) for op in ops}
    if "matmul" in classes and "Softmax" in kinds:
        return "attention"
    if not classes & {"attention", "conv", "matmul"} and kinds & STAT_KINDS and kinds & ROOT_KINDS:
        return "normalization"
    return next(c for c in CLASS_PRIORITY if c in classes)


def _group_name(ops: list[Operation]) -> str:
    kinds = list(dict.fromkeys(op_type(op) for op in ops))
    return "+".join(kinds) if len(kinds) <= 4 else "+".join(kinds[:4]) + "+…"


def group_module(plan: KernelPlan) -> str:
    return module_path(plan.anchor) if plan.anchor is not None else ""
