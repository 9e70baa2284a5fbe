"""``onnx-convert-precision{precision=fp16|bf16 keep-io=true}``: float32 weights and compute to half precision.

Every float32 op of the main graph is put in one of four kinds, by its op type:

* **compute** (MatMul, Gemm, Conv, Einsum, Attention, RotaryEmbedding,
  onnxruntime's contrib Attention/MultiHeadAttention/FusedConv…): runs in half precision with its
  weights stored in half — the bytes and the FLOPs the conversion is for —
  float32 operands cast down; except where it computes the argument of a Sin or
  Cos (the rotary ``inv_freq @ positions`` product, below).
* **follow** (element-wise and data-movement ops): runs in the precision of its
  operands, promoted to float32 when any of them is float32 (PyTorch autocast's
  "promote" rule). Constants take whatever precision their consumer runs in.
  So a chain fed by a float32 op stays float32 until a compute op casts it down:
  the residual stream (Add of a half branch and a float32 normalization chain),
  the decomposed variance ``ReduceMean → Sub → Pow → ReduceMean → Add(ε) →
  Sqrt → Div → Mul(γ) → Add(β)`` (ε = 1e-12 is 0 in float16), the attention mask
  built from ``Cast(int → float)``. In a pre-norm transformer the residual
  stream is the sum of half branches and stays half; in a post-norm one (BERT)
  it is the normalization's float32 output and stays float32. A float16 op that
  would read a constant beyond ±65504 (a ``finfo(float32).min`` mask) stays
  float32: the mask plus a score would overflow to -inf, and a fully masked row
  to NaN.
* **float32** (range, accumulation and position arithmetic), never half:
  normalizations (LayerNormalization, RMSNormalization, Group/Instance
  normalization, contrib SkipLayerNormalization, (Skip)SimplifiedLayerNormalization:
  mean and variance of d values sum d squares, 65504 is float16's largest
  number); reductions that accumulate (ReduceSum, ReduceMean, ReduceSumSquare,
  ReduceL1, ReduceL2, ReduceLogSum, ReduceLogSumExp, ReduceProd, GlobalAveragePool,
  CumSum); Softmax and LogSoftmax (a sum of exponentials; a float16 mask of
  -65504 plus a score is no longer -inf-like); Exp and Pow (overflow past
  exp(11) or 256²); Log (its argument is usually a sum or a small probability);
  Sin and Cos (their argument is position × frequency: float16 has a spacing of 2
  at 4096, so the angle is lost — and the producers of their argument are kept
  float32 too); Range (counts), and ``Cast(int → float32)`` (integers above
  2048 are not exact in float16; positions and masks start there). Their
  constant operands stay float32.
  Erf is *not* on the list: its result is bounded by 1 and saturates for
  |x| > 4, so GELU's ``x·½·(1 + erf(x/√2))`` loses nothing float16 does not
  lose anyway (measured on the BERT/ViT/Whisper TorchScript exports).
* **untouched**: every other op — unknown ops, ops of other domains
  (``onnx.custom`` of any domain but the contrib ops listed), ``nn`` ops,
  ops with subgraphs, ops with integer semantics. They are never changed: their
  float operands are given float32 (a Cast up where the value is half) and their
  results stay float32. ``Shape`` and ``Size`` read either precision, and a Cast
  from float to another type reads the value in the precision it has.

An op runs in half only where onnxruntime's CPU execution provider (1.31.1,
measured 2026-12-07 by building a one-node model per op type and running it)
accepts and runs it at that precision, so the result runs where it is verified. For float16 that is every
op of the tables except Resize, Celu, Range and float Mod. For bfloat16 the CPU
provider has kernels for data movement only (Transpose, Reshape, Gather,
Concat, Slice…), none for arithmetic: a bfloat16 model then holds its weights
in bfloat16 (half the bytes) and casts them to float32 in front of the compute
op that reads them (``ORT_BF16_KERNELS``; for a target with bfloat16 units this
is the table to widen). Such a weight-only cast is made for constants of at
least ``WEIGHT_ONLY_MIN`` elements; smaller ones stay float32.

Casts appear only where a value crosses precision, one per value and
direction, placed after its producer (graph inputs and constants: at the top of
the graph), so they dominate every use. No Cast reads a Cast: a half copy of
``Cast(x: f16 → f32)`` is x itself, a float32 copy of ``Cast(x: f32 → f16)`` is
x, and a half copy of ``Cast(i: int → f32)`` is ``Cast(i → f16)``. Weights are
converted with NumPy; an op reading a constant beyond ±65504 (or ±inf) stays float32
(a -3.4e38 mask, a weight the fuzzer filled with inf), so no weight is ever clipped
(the clip left only for safety); a weight read only by half ops is converted in place
and keeps its name.

With ``keep-io=true`` (the default) float32 graph inputs and outputs stay
float32, converted at the boundary; ``keep-io=false`` makes them half too (the
model is then fed half inputs). Only the main graph is converted; subgraphs and
functions read float32 values. A second run changes nothing. Element types are
inferred first (as ``onnx-infer-shapes`` does): an op with a value of unknown
type is left untouched.

Accuracy: class 3 (``REDUCED_PRECISION``) for float16, class 4
(``REDUCED_PRECISION_BF16``) for bfloat16, on the instance; the class attribute
(read where only the pass name is known) is the looser one.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import ml_dtypes
import numpy as np
from onnx import TensorProto
from xdsl.dialects.builtin import ArrayAttr, IntegerAttr, ModuleOp, StringAttr
from xdsl.ir import Block, BlockArgument, Operation, SSAValue

from onnxforge.analysis.shapes import apply_types
from onnxforge.dialects.onnx.base import OnnxOp
from onnxforge.dialects.onnx.builders import ConstantBuilder, detached_initializer, model_opset, standard_op
from onnxforge.dialects.onnx.generated import CastFamily
from onnxforge.dialects.onnx.queries import constant_of, int_prop, is_constant_op, op_type
from onnxforge.dialects.onnx.structure import CustomOp, GraphOp, InitializerOp, ModelOp, NoValueOp, ReturnOp
from onnxforge.errors import ForgeError
from onnxforge.ir.tensor import DenseAttr, TensorValue
from onnxforge.ir.types import NoneType, TensorType, static_tensor_type, tensor_type
from onnxforge.ir.values import set_type
from onnxforge.passmanager import Accuracy, ForgePass, RunState
from onnxforge.passmanager.analyses import shape_facts

F32 = TensorProto.FLOAT
HALF = {"fp16": TensorProto.FLOAT16, "bf16": TensorProto.BFLOAT16}
"""The ``precision`` option → the element type values are converted to."""
FP16_MAX = float(np.finfo(np.float16).max)
WEIGHT_ONLY_MIN = 1024
"""A float32 op without a half kernel reads a constant of at least this many elements from a half copy."""

_CONTRIB = "com.microsoft."
COMPUTE = frozenset({  # the compute op types (every other kind follows its operands)
    "MatMul", "Gemm", "Conv", "ConvTranspose", "Einsum", "Attention", "RotaryEmbedding",
    *(_CONTRIB + t for t in ("Attention", "MultiHeadAttention", "FusedMatMul", "FusedConv", "RotaryEmbedding")),
})
"""Half precision, float32 operands cast down (unless they compute a Sin/Cos argument)."""
FOLLOW = frozenset({
    # element-wise
    "Add", "Sub", "Mul", "Div", "Neg", "Abs", "Reciprocal", "Sqrt", "Max", "Min", "Mean", "Sum", "Where", "Clip",
    "Relu", "LeakyRelu", "PRelu", "Elu", "Selu", "Sigmoid", "HardSigmoid", "HardSwish", "Tanh", "Erf", "Gelu",
    "Softplus", "Softsign", "Mish", "ThresholdedRelu", "Floor", "Ceil", "Round", "Sign",
    "Equal", "Less", "LessOrEqual", "Greater", "GreaterOrEqual", "IsNaN",
    "BatchNormalization", "MaxPool", "AveragePool", "GlobalMaxPool", "ReduceMax", "ReduceMin", "Dropout", "Identity",
    *(_CONTRIB + t for t in ("Gelu", "FastGelu", "BiasGelu", "QuickGelu")),
    # data movement
    "Transpose", "Reshape", "Flatten", "Concat", "Split", "Gather", "GatherElements", "GatherND", "Expand", "Slice",
    "Unsqueeze", "Squeeze", "Pad", "Tile", "DepthToSpace", "SpaceToDepth", "ScatterND", "ScatterElements",
})
"""The precision of the operands, float32 when any operand is a float32 activation."""
KEEP_FP32 = frozenset({
    "LayerNormalization", "RMSNormalization", "GroupNormalization", "InstanceNormalization",
    "SimplifiedLayerNormalization",
    *(_CONTRIB + t for t in ("SkipLayerNormalization", "SimplifiedLayerNormalization",
                             "SkipSimplifiedLayerNormalization")),
    "ReduceSum", "ReduceMean", "ReduceSumSquare", "ReduceL1", "ReduceL2", "ReduceLogSum", "ReduceLogSumExp",
    "ReduceProd", "GlobalAveragePool", "CumSum",
    "Softmax", "LogSoftmax", "Exp", "Pow", "Log", "Sin", "Cos", "Range",
})
"""Always float32 (range, accumulation, position arithmetic): see the module docstring."""
ACCUMULATING_SCATTER = frozenset({"ScatterND", "ScatterElements"})
"""With a ``reduction`` (add, mul, max, min) these accumulate into their data: float32, like the reductions
(and onnxruntime 1.31's CPU provider has no float16 or bfloat16 kernel for them; the node suite's
``test_scatternd_add`` failed to run after conversion)."""
ARGUMENT_FP32 = frozenset({"Sin", "Cos"})
"""Ops whose operand must also be *computed* in float32, not only read in it."""
ANY_PRECISION = frozenset({"Shape", "Size"})
"""Read a value in whatever precision it has (the result does not depend on it)."""

ORT_FP16_MISSING = frozenset({"Resize", "Celu", "Range", "Mod"})
"""Op types onnxruntime 1.31.1's CPU provider does not run in float16 (Range is float32 for range anyway; the others
are in no table, hence untouched: listed so that adding one to a table keeps it float32)."""
ORT_BF16_KERNELS = frozenset({
    "Transpose", "Reshape", "Flatten", "Concat", "Split", "Gather", "GatherElements", "GatherND", "Slice",
    "Unsqueeze", "Squeeze", "Identity", "ScatterND",
})
"""Op types of the tables onnxruntime 1.31.1's CPU provider runs in bfloat16."""


def _reduction(op: Operation) -> str:
    value = op.properties.get("reduction")
    return value.data if isinstance(value, StringAttr) else ""


def has_kernel(kind: str, precision: str) -> bool:
    """Whether onnxruntime's CPU provider runs this (domain-qualified) op type at ``precision``."""
    if precision == "bf16":
        return kind in ORT_BF16_KERNELS
    return kind not in ORT_FP16_MISSING


class _Mode:
    HALF = "half"
    FP32 = "fp32"
    """Float32 for range: constants stay float32."""
    FP32_WEIGHTS = "fp32-weights"
    """Float32 for want of a half kernel: big constants are stored half and cast up."""
    ANY = "any"
    UNTOUCHED = "untouched"


def _elem(value: SSAValue) -> int:
    return value.type.elem if isinstance(value.type, TensorType) else 0


class _PrecisionAccuracy:
    """``accuracy`` that depends on the instance's ``precision``; on the class, the loosest of the two."""

    def __get__(self, instance: ConvertPrecisionPass | None, owner: type) -> Accuracy:
        if instance is None or instance.precision == "bf16":
            return Accuracy.REDUCED_PRECISION_BF16
        return Accuracy.REDUCED_PRECISION


@dataclass(frozen=True)
class ConvertPrecisionPass(ForgePass):
    name = "onnx-convert-precision"
    summary = "float32 weights and compute to fp16/bf16; norms, reductions, softmax, exp/pow/log/sin/cos stay float32"
    accuracy = _PrecisionAccuracy()  # type: ignore[assignment]

    precision: str = "fp16"
    """``fp16`` or ``bf16``."""
    keep_io: bool = True
    """Keep float32 graph inputs and outputs (Cast at the boundary); false: they become half too."""

    def __post_init__(self) -> None:
        if self.precision not in HALF:
            raise ForgeError(f"precision must be one of {', '.join(HALF)}, not {self.precision!r}")

    def run(self, module: ModuleOp, state: RunState) -> None:
        apply_types(module, shape_facts(module, state))  # the element types decide everything: know them all
        for model in module.ops:
            if isinstance(model, ModelOp):
                _Converter(self, module, model, state).run()


@dataclass
class _Converter:
    """One run over one model's main graph: decide every op's mode in order, then rewrite."""

    pass_: ConvertPrecisionPass
    module: ModuleOp
    model: ModelOp
    state: RunState
    half: int = 0
    modes: dict[Operation, str] = field(default_factory=dict)
    half_of: dict[SSAValue, SSAValue] = field(default_factory=dict)
    full_of: dict[SSAValue, SSAValue] = field(default_factory=dict)
    made: set[Operation] = field(default_factory=set)
    """The Casts this run made."""
    orphans: set[Operation] = field(default_factory=set)
    """Constants and Casts some of whose uses now read another value (erased if none is left)."""

    def __post_init__(self) -> None:
        self.half = HALF[self.pass_.precision]
        self.graph: GraphOp = self.model.graph
        self.block: Block = self.graph.block
        self.opset = model_opset(self.model)
        self.builder = ConstantBuilder(self.module)

    def run(self) -> None:
        inputs = [a for a in self.block.args if _elem(a) == F32]
        if not self.pass_.keep_io:
            for arg in inputs:
                set_type(arg, tensor_type(self.half, arg.type.dims))  # type: ignore[attr-defined]
                self._count("io")
        converted = self._decide()
        for op in list(self.block.ops):
            mode = self.modes.get(op)
            if mode == _Mode.HALF:
                self._to_half(op)
            elif mode == _Mode.FP32_WEIGHTS:
                self._weights(op)
        self._fix_uses(converted + ([] if self.pass_.keep_io else inputs))
        if not self.pass_.keep_io:
            self._outputs()
        self._erase_dead()

    # --- deciding -------------------------------------------------------------------------------

    def _decide(self) -> list[SSAValue]:
        """Every op's mode; returns the float32 results that become half."""
        self._argument_chains()
        converted: list[SSAValue] = []
        for op in self.block.ops:
            if is_constant_op(op) or isinstance(op, (NoValueOp, ReturnOp)) or op in self.modes:
                continue
            mode = self._mode(op)
            if mode == _Mode.HALF and not self.state.take(f"{self.pass_.name}/{op_type(op)}", op):
                mode = _Mode.FP32
            self.modes[op] = mode
            if mode == _Mode.HALF:
                converted += [r for r in op.results if _elem(r) == F32]
        return converted

    def _argument_chains(self) -> None:
        """Sin/Cos operands are computed in float32 back to their constants and inputs."""
        stack = [op for op in self.block.ops if op_type(op) in ARGUMENT_FP32]
        while stack:
            for operand in stack.pop().operands:
                producer = operand.owner
                if (isinstance(producer, Operation) and producer.parent_block() is self.block and producer not in self.modes
                        and op_type(producer) in COMPUTE | FOLLOW and self._floats(producer)):
                    self.modes[producer] = _Mode.FP32
                    stack.append(producer)

    def _floats(self, op: Operation) -> bool:
        """Whether the op reads or makes float32 tensors, with every type known."""
        values = [*op.operands, *op.results]
        if any(isinstance(v.type, TensorType) and v.type.elem == 0 or not isinstance(v.type, TensorType)
               and not _is_absent(v) for v in values):
            return False
        return any(_elem(v) == F32 for v in values)

    def _mode(self, op: Operation) -> str:
        kind = op_type(op)
        if isinstance(op, CastFamily):
            if int_prop(op, "to") == F32:
                return _Mode.FP32 if _elem(op.operands[0]) not in (0, F32) else _Mode.UNTOUCHED
            return _Mode.ANY
        if kind in ANY_PRECISION:
            return _Mode.ANY
        if op.regions or not self._floats(op) or not isinstance(op, (OnnxOp, CustomOp)):
            return _Mode.UNTOUCHED
        if kind in KEEP_FP32 or kind in ACCUMULATING_SCATTER and _reduction(op) not in ("", "none"):
            return _Mode.FP32
        if kind not in COMPUTE | FOLLOW:
            return _Mode.UNTOUCHED
        floats = [v for v in op.operands if _elem(v) == F32]
        if kind in FOLLOW and any(self._precision(v) == _Mode.FP32 for v in floats if constant_of(v) is None):
            return _Mode.FP32
        if any(self._out_of_range(v) for v in floats):  # compute ops too: a weight beyond ±65504 (or ±inf)
            return _Mode.FP32  # would be clipped, changing what the model computes
        return _Mode.HALF if has_kernel(kind, self.pass_.precision) else _Mode.FP32_WEIGHTS

    def _out_of_range(self, value: SSAValue) -> bool:
        """A float16 run reading a constant beyond ±65504 (a float32-min attention mask): the op stays
        float32, so that the mask plus a score does not overflow to -inf (a fully masked row would give NaN)."""
        tensor = constant_of(value)
        if self.half != TensorProto.FLOAT16 or tensor is None or tensor.size == 0:
            return False
        array = tensor.numpy()  # max and min, not abs: no temporary copy of a large weight
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # an all-NaN constant: nanmax is NaN, not out of range
            return bool(np.nanmax(array) > FP16_MAX or np.nanmin(array) < -FP16_MAX)

    def _precision(self, value: SSAValue) -> str:
        """The precision a float32 activation will have: graph inputs count as half (cast at the boundary)."""
        if isinstance(value, BlockArgument):
            return _Mode.HALF if value.block is self.block else _Mode.FP32
        return _Mode.HALF if self.modes.get(value.owner) == _Mode.HALF else _Mode.FP32  # type: ignore[arg-type]

    # --- rewriting ------------------------------------------------------------------------------

    def _to_half(self, op: Operation) -> None:
        for index, operand in enumerate(op.operands):
            if _elem(operand) == F32:
                op.operands[index] = self._half(operand)
        for result in op.results:
            if _elem(result) == F32:
                set_type(result, tensor_type(self.half, result.type.dims))  # type: ignore[attr-defined]
                self.half_of[result] = result

    def _weights(self, op: Operation) -> None:
        """A float32 op without a half kernel: its big constants are stored half, cast up in front of it."""
        for index, operand in enumerate(op.operands):
            tensor = constant_of(operand)
            if _elem(operand) == F32 and tensor is not None and tensor.size >= WEIGHT_ONLY_MIN:
                op.operands[index] = self._full(self._half(operand))

    def _fix_uses(self, converted: list[SSAValue]) -> None:
        """Every use of a value that became half by an op that does not take half reads a float32 copy."""
        for value in converted:
            for use in list(value.uses):
                user = use.operation
                if user in self.made or self.modes.get(user) in (_Mode.HALF, _Mode.ANY):
                    continue
                if isinstance(user, ReturnOp) and user is self.graph.return_op and not self.pass_.keep_io:
                    continue
                user.operands[use.index] = self._full(value)

    def _outputs(self) -> None:
        """keep-io=false: float32 outputs are returned (and declared) half."""
        ret = self.graph.return_op
        types = list(self.graph.output_types.data)
        for index, value in enumerate(ret.operands):
            if _elem(value) == F32:
                ret.operands[index] = self._half(value)
            declared = types[index]
            if isinstance(declared, TensorType) and declared.elem == F32:
                types[index] = tensor_type(self.half, declared.dims)
                self._count("io")
        self.graph.output_types = ArrayAttr(types)

    def _half(self, value: SSAValue) -> SSAValue:
        """``value`` (float32, or half already) in half precision."""
        if _elem(value) == self.half:
            return value
        if value in self.half_of:
            return self.half_of[value]
        tensor = constant_of(value)
        producer = value.owner
        if tensor is not None:
            made = self._half_constant(value, tensor)
        elif isinstance(producer, CastFamily) and _elem(producer.operands[0]) == self.half:
            made = producer.operands[0]
            self.orphans.add(producer)
        elif isinstance(producer, CastFamily) and _elem(producer.operands[0]) not in (0, F32, TensorProto.DOUBLE):
            made = self._cast(producer.operands[0], self.half, value)  # int → half directly, not through float32
            self.orphans.add(producer)
        else:
            made = self._cast(value, self.half, value)
        self.half_of[value] = made
        if made is not value:  # a weight converted in place has no float32 copy left
            self.full_of.setdefault(made, value)
        return made

    def _full(self, value: SSAValue) -> SSAValue:
        """A half value in float32."""
        if value in self.full_of:
            return self.full_of[value]
        producer = value.owner
        if isinstance(producer, CastFamily) and _elem(producer.operands[0]) == F32:
            made = producer.operands[0]
            self.orphans.add(producer)
        else:
            made = self._cast(value, F32, value)
        self.full_of[value] = made
        return made

    def _half_constant(self, value: SSAValue, tensor: TensorValue) -> SSAValue:
        array = tensor.numpy()
        if self.half == TensorProto.FLOAT16:
            converted = np.clip(array, -FP16_MAX, FP16_MAX).astype(np.float16)
        else:
            converted = array.astype(ml_dtypes.bfloat16)
        half = TensorValue.from_numpy(converted, self.half)
        owner = value.owner
        self._count("weights")
        if isinstance(owner, InitializerOp) and all(self.modes.get(u.operation) in (_Mode.HALF, _Mode.FP32_WEIGHTS)
                                                    for u in value.uses):
            owner.value = DenseAttr(TensorValue(half.elem, half.dims, half.raw, doc_string=tensor.doc_string,
                                                external_location=tensor.external_location))
            set_type(value, static_tensor_type(half.elem, half.dims))
            return value
        self.orphans.add(owner)  # type: ignore[arg-type]
        hint = owner.tensor_name.data if isinstance(owner, InitializerOp) else _name(value) or "weight"
        return self.builder.place(detached_initializer(half, f"{hint}_{self.pass_.precision}"), self.block)

    def _cast(self, value: SSAValue, to: int, like: SSAValue) -> SSAValue:
        dims = like.type.dims if isinstance(like.type, TensorType) else None
        cast = standard_op("Cast", self.opset, [value], [tensor_type(to, dims)], {"to": IntegerAttr(to, 64)})
        producer = value.owner
        if isinstance(producer, Operation) and producer.parent_block() is self.block and not is_constant_op(producer):
            self.block.insert_op_after(cast, producer)
        else:  # a graph input or a constant: at the top, after the initializers
            anchor = next(o for o in self.block.ops if not isinstance(o, (InitializerOp, NoValueOp)))
            self.block.insert_op_before(cast, anchor)
        self.made.add(cast)
        self._count("casts")
        return cast.results[0]

    def _count(self, what: str) -> None:
        self.state.statistics[f"{self.pass_.name}/{what}"] += 1
        self.state.changed = True

    def _erase_dead(self) -> None:
        """Constants and Casts the conversion left without a use (a weight replaced by its half copy)."""
        for op in sorted(self.orphans, key=is_constant_op):  # Casts first: they may hold the last use of a constant
            if not any(r.uses for r in op.results) and not (isinstance(op, InitializerOp) and op.is_input_default()):
                op.detach()
                op.erase()


def _is_absent(value: SSAValue) -> bool:
    """An omitted optional input or output."""
    return isinstance(value.owner, NoValueOp) or isinstance(value.type, NoneType)


def _name(value: SSAValue) -> str:
    names = value.owner.attributes.get("onnx.names") if isinstance(value.owner, Operation) else None
    if isinstance(names, ArrayAttr) and names.data:
        return names.data[0].data  # type: ignore[attr-defined]
    return ""
