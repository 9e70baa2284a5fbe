"""What a lowering is: the target it writes for, the ``Lowering`` interface, and the builders lowerings share.

A target is the op set the output may use: ``standard`` (the default domain at
the model's opset), ``ort`` (standard plus onnxruntime's ``com.microsoft``
contrib ops), ``portable`` (standard ops only, with fused ops such as
LayerNormalization decomposed for converters that lack them) or ``tensorrt``
(the ops and opsets TensorRT's ONNX parser reads: ``tensorrt_support``). It is an
option of the passes that fuse and lower (``nn-lower{target=ort}``), never ambient state.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Literal

import numpy as np
from xdsl.dialects.builtin import (
    ArrayAttr,
    DenseArrayBase,
    DictionaryAttr,
    FloatAttr,
    IntegerAttr,
    ModuleOp,
    StringAttr,
    f32,
    i64,
)
from xdsl.ir import Attribute, Operation, SSAValue
from xdsl.pattern_rewriter import PatternRewriter
from xdsl.rewriter import InsertPoint

from onnxforge.dialects.onnx.builders import standard_op
from onnxforge.dialects.onnx.queries import is_constant_op
from onnxforge.dialects.onnx.structure import CustomOp, ModelOp, NoValueOp
from onnxforge.errors import ForgeError
from onnxforge.ir import provenance
from onnxforge.ir.tensor import dense
from onnxforge.ir.types import static_tensor_type
from onnxforge.targets import TARGET_KINDS
from onnxforge.transforms.lowering import tensorrt_support

TargetKind = Literal["standard", "ort", "portable", "tensorrt"]
CONTRIB_DOMAIN = "com.microsoft"


@dataclass(frozen=True)
class LoweringTarget:
    """What the output model may contain: the kind of op set and the default-domain opset."""

    kind: TargetKind
    opset: int

    def allows_contrib(self) -> bool:
        return self.kind == "ort"

    def writes_standard_fused_ops(self) -> bool:
        """Fused ops become the default-domain op of the same name where the opset has one (LayerNormalization,
        Gelu, …): ``standard``, and ``tensorrt`` for the ops its parser reads (``tensorrt_support.writes``)."""
        return self.kind in ("standard", "tensorrt")

    def describe(self) -> str:
        return f"--target={self.kind} at opset {self.opset}"


def lowering_target(kind: str, opset: int, model_opset: int, pass_name: str) -> LoweringTarget:
    """The target of a pass's ``{target=… opset=…}`` options on a model at ``model_opset`` (``opset`` 0: the model's)."""
    if kind not in TARGET_KINDS:
        raise ForgeError(f"{pass_name}: unknown target {kind!r} (known: {', '.join(TARGET_KINDS)})")
    if opset and opset != model_opset:
        raise ForgeError(f"{pass_name}{{opset={opset}}}: the model is at opset {model_opset}; convert it first "
                         f"(onnx-convert-opset{{opset={opset}}}, forgec --target-opset={opset})")
    if kind == "tensorrt":
        tensorrt_support.require_opset(model_opset, f"{pass_name}{{target=tensorrt}}")
    return LoweringTarget(kind, model_opset)  # type: ignore[arg-type]


class Lowering:
    """How one ``nn`` op class is written back as ONNX. Subclasses set ``op`` and implement both methods.

    ``check`` receives the op, or a ``Build`` of one (a fusion asks before it builds anything): it reads
    operands, results and properties by field name, and fails with the reason the target cannot express it.
    """

    op: ClassVar[type[Operation]]

    def check(self, op: Operation, target: LoweringTarget) -> None:
        """Fail (``passmanager.fail``) with the reason ``target`` cannot express ``op``; return when it can."""
        raise NotImplementedError

    def lower(self, op: Operation, target: LoweringTarget, rewriter: PatternRewriter) -> None:
        """Replace ``op`` by ONNX ops (insert before it, replace its results, erase it)."""
        raise NotImplementedError


# --- building the lowered ops ---------------------------------------------------


def attribute(value: int | float | str | list[int] | list[float] | Attribute) -> Attribute:
    """The IR property for a Python attribute value, as the importer would have made it."""
    if isinstance(value, Attribute):
        return value
    if isinstance(value, bool):
        return IntegerAttr(int(value), i64)
    if isinstance(value, int):
        return IntegerAttr(value, i64)
    if isinstance(value, float):
        return FloatAttr(value, f32)
    if isinstance(value, str):
        return StringAttr(value)
    if all(isinstance(v, int) for v in value):
        return DenseArrayBase.from_list(i64, [int(v) for v in value])
    return DenseArrayBase.from_list(f32, [float(v) for v in value])


def onnx_op(op_type: str, target: LoweringTarget, operands: list[SSAValue], result_types: list[Attribute], **attrs: object) -> Operation:
    """A default-domain op in the signature of the target opset."""
    return standard_op(op_type, target.opset, operands, result_types, {k: attribute(v) for k, v in attrs.items()})  # type: ignore[arg-type]


def constant(target: LoweringTarget, array: np.ndarray, elem: int | None = None) -> Operation:
    """An ``onnx.Constant`` holding ``array`` (element type ``elem``, else NumPy's), for a lowering's own constants."""
    value = dense(array, elem)
    return onnx_op("Constant", target, [], [static_tensor_type(value.value.elem, array.shape)], value=value)


def contrib_op(op_type: str, operands: list[SSAValue], result_types: list[Attribute], domain: str = CONTRIB_DOMAIN,
               **attrs: object) -> CustomOp:
    """An onnxruntime contrib op, ``com.microsoft`` unless ``domain`` says otherwise (onnxruntime registers a few,
    e.g. SimplifiedLayerNormalization, in the default domain); absent optional inputs are ``onnx.novalue`` operands."""
    return CustomOp.create(
        operands=operands,
        result_types=result_types,
        properties={
            "domain": StringAttr(domain),
            "op_type": StringAttr(op_type),
            "attrs": DictionaryAttr({k: attribute(v) for k, v in attrs.items()}),  # type: ignore[arg-type]
            "graph_attrs": ArrayAttr([]),
        },
    )


def no_value(rewriter: PatternRewriter, before: Operation) -> SSAValue:
    """An ``onnx.novalue`` for an absent optional input."""
    op = NoValueOp()
    rewriter.insert(op, InsertPoint.before(before))
    return op.results[0]


def insert_lowered(rewriter: PatternRewriter, fused: Operation, ops: list[Operation], results: list[SSAValue],
                   main: Operation | None = None) -> None:
    """Insert ``ops`` before ``fused``, give them its provenance, and replace its results by ``results``.

    ``main`` (default: the first op that is not a constant — the Conv of Conv + Relu, the first
    reduction of a decomposed norm) is named ``<module path>/<OpType>`` (or keeps the fused op's node
    name where no module was recorded); the others are named ``<name>/<OpType>_<i>``; all of them
    record the exported nodes the fused op replaced.
    """
    for new in ops:
        rewriter.insert(new, InsertPoint.before(fused))
    if main is None:
        main = next((op for op in ops if not is_constant_op(op)), None)
    name = provenance.fused_node_name(fused, main) if main is not None else None
    provenance.record_replacement(ops, [fused], fused, main=main, names={main: name} if name else None)
    rewriter.replace(fused, [], results)


def ensure_opset(module: ModuleOp, domain: str, version: int) -> None:
    """Declare ``domain`` at ``version`` (at least) in the model's opset imports."""
    for op in module.ops:
        if isinstance(op, ModelOp):
            opsets = dict(op.opset_import.data)
            current = opsets.get(domain)
            if not isinstance(current, IntegerAttr) or current.value.data < version:
                opsets[domain] = IntegerAttr(version, i64)
                op.opset_import = DictionaryAttr(opsets)
