"""Lowering ``nn`` ops back to ONNX, by target, and the question fusions ask first: can it be lowered?

A target is the op set the output may use: ``standard`` (the default domain at
the output opset), ``ort`` (standard plus onnxruntime's ``com.microsoft``
contrib ops) or ``portable`` (standard ops only, with fused ops such as
LayerNormalization decomposed for converters that lack them). Each ``nn`` op
has one ``Lowering`` (one module per op family in this package) that says
whether a target can express a given op (``unsupported`` returns the reason
when not) and rewrites it. Fusion passes ask before they fire, so a fusion
whose op the target cannot express never happens.
"""

from __future__ import annotations

import importlib
import pkgutil
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
    NameLoc,
    NoneAttr,
    StringAttr,
    f32,
    i64,
)
from xdsl.ir import Attribute, Operation, SSAValue
from xdsl.pattern_rewriter import PatternRewriter

from onnxforge.dialects.onnx.base import OnnxOp
from onnxforge.dialects.onnx.structure import METADATA_ATTR, CustomOp, ModelOp, NoValueOp
from onnxforge.ir.builders import standard_op
from onnxforge.ir.tensor import dense
from onnxforge.ir.types import static_tensor_type

TargetKind = Literal["standard", "ort", "portable"]
TARGET_KINDS: tuple[str, ...] = ("standard", "ort", "portable")
CONTRIB_DOMAIN = "com.microsoft"


@dataclass(frozen=True)
class LoweringTarget:
    """What the output model may contain: the kind of op set and the default-domain opset."""

    kind: TargetKind
    opset: int

    def allows_contrib(self) -> bool:
        return self.kind == "ort"

    def describe(self) -> str:
        return f"--target={self.kind} at opset {self.opset}"


class Lowering:
    """How one ``nn`` op class is written back as ONNX. Subclasses set ``op`` and implement both methods."""

    op: ClassVar[type[Operation]]

    def unsupported(self, op: Operation, target: LoweringTarget) -> str | None:
        """Why ``target`` cannot express ``op`` (None when it can)."""
        raise NotImplementedError

    def lower(self, op: Operation, target: LoweringTarget, rewriter: PatternRewriter) -> None:
        """Replace ``op`` by ONNX ops (insert before it, replace its results, erase it)."""
        raise NotImplementedError


LOWERINGS: dict[type[Operation], Lowering] = {}
_loaded = False


def lowering(cls: type[Lowering]) -> type[Lowering]:
    """Class decorator: register the lowering of ``cls.op``."""
    LOWERINGS[cls.op] = cls()
    return cls


def _load_all() -> None:
    global _loaded
    _loaded = True
    for info in pkgutil.iter_modules(__path__):
        if not info.name.startswith("_"):
            importlib.import_module(f"{__name__}.{info.name}")


def lowering_for(op: Operation) -> Lowering | None:
    if not _loaded:
        _load_all()
    return LOWERINGS.get(type(op))


def unsupported(op: Operation, target: LoweringTarget) -> str | None:
    """Why ``target`` cannot express ``op``; what a fusion asks before it fires."""
    found = lowering_for(op)
    if found is None:
        return f"{op.name} has no lowering"
    return found.unsupported(op, target)


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


def int_value(attr: Attribute) -> int:
    """The value of an ``nn`` op's integer property (the op's verifier made it an ``IntegerAttr``)."""
    assert isinstance(attr, IntegerAttr)
    return attr.value.data


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
    from onnxforge.ir.types import NONE

    op = NoValueOp.create(result_types=[NONE])
    rewriter.insert(op, _before(before))
    return op.results[0]


def _before(op: Operation):  # type: ignore[no-untyped-def]
    from xdsl.rewriter import InsertPoint

    return InsertPoint.before(op)


def insert_lowered(rewriter: PatternRewriter, fused: Operation, ops: list[Operation], results: list[SSAValue]) -> None:
    """Insert ``ops`` before ``fused``, give them its provenance, and replace its results by ``results``.

    The first op keeps the fused op's node name (its anchor); the others get
    ``<name>/<OpType>_<i>`` (unique, and saying which op of the lowering each node
    is). Every op records the replaced node names in its node metadata
    (``onnxforge.fused_from``).
    """
    from onnxforge.dialects.nn import SOURCES_ATTR

    sources = fused.attributes.get(SOURCES_ATTR)
    metadata = dict(fused.attributes[METADATA_ATTR].data) if isinstance(fused.attributes.get(METADATA_ATTR), DictionaryAttr) else {}  # type: ignore[union-attr]
    if isinstance(sources, ArrayAttr) and sources.data:
        metadata["onnxforge.fused_from"] = StringAttr(",".join(s.data for s in sources.data))  # type: ignore[attr-defined]
    base = fused.location
    for index, new in enumerate(ops):
        new.location = base
        if index and isinstance(base, NameLoc):
            op_type = new.SIGNATURE.op_type if isinstance(new, OnnxOp) else new.name
            new.location = NameLoc(StringAttr(f"{base.desc.data}/{op_type}_{index}"), NoneAttr())
        if metadata:
            new.attributes[METADATA_ATTR] = DictionaryAttr(metadata)
        rewriter.insert(new, _before(fused))
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
