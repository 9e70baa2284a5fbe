"""Writing inferred facts into result types, never losing precision a type already had.

Per dim: an inferred dim (int, or a symbolic expression printed as text) wins;
where inference knows nothing the type's own dim stays. A declared shape of a
different rank than the inferred one contradicts it and is replaced (the
inferred shape is derived from the inputs; TorchScript declarations are
known to be wrong at times). Graph inputs (block arguments) are never
touched, so their dim names are never renamed.
"""

from __future__ import annotations

from xdsl.ir import Operation

from onnxforge.analysis.shapes.dims import print_dim
from onnxforge.analysis.shapes.facts import ShapeFacts
from onnxforge.ir.types import AnyType, TensorType, tensor_type
from onnxforge.ir.values import set_type


def merged_type(old: object, facts_shape, facts_elem) -> TensorType | None:  # type: ignore[no-untyped-def]
    """The more precise of a value's type and its facts, or None when the type cannot take them."""
    if isinstance(old, AnyType):
        old_elem, old_dims = 0, None
    elif isinstance(old, TensorType):
        old_elem, old_dims = old.elem, old.dims
    else:
        return None
    elem = facts_elem or old_elem
    if facts_shape is None:
        new_dims = old_dims
    else:
        printed = tuple(print_dim(d) for d in facts_shape)
        if old_dims is None or len(old_dims) != len(printed):
            new_dims = printed
        else:
            new_dims = tuple(p if p is not None else o for p, o in zip(printed, old_dims))
    if isinstance(old, AnyType) and not elem and new_dims is None:
        return None
    return tensor_type(elem, new_dims)


def apply_types(root: Operation, facts: ShapeFacts) -> int:
    """Write inferred shapes and element types into op result types; return how many changed."""
    changed = 0
    for op in root.walk():
        for result in op.results:
            old = result.type
            info = facts.info(result)
            if info.shape is None and info.elem is None:
                continue
            new = merged_type(old, info.shape, info.elem)
            if new is not None and new != old:
                set_type(result, new)
                changed += 1
    return changed


def infer_and_apply(root: Operation) -> int:
    """``onnx-infer-shapes``: infer, then write the types; returns how many types changed."""
    from onnxforge.analysis.shapes.engine import infer

    return apply_types(root, infer(root))
