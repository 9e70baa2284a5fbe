"""The explicit opset-raising step (``--target-opset``): onnx's version converter over the IR's model.

Fused ops such as ``Attention`` (opset 23) can only be written into a model
whose default-domain opset has them, so a user who wants them asks for the
conversion. It runs onnx's own converter (the reference for what each
adapter must do) on the exported skeleton — initializers carry metadata only
and their bytes stay where they are — and imports the result again; the
weights are matched back by name and never copied. The compiled model is
then verified against the original like any other output.
"""

from __future__ import annotations

from onnx import GraphProto, ValueInfoProto, version_converter
from xdsl.dialects.builtin import ModuleOp

from onnxforge.dialects.onnx.builders import model_opset
from onnxforge.errors import ForgeError
from onnxforge.onnxio.exporter import export_model
from onnxforge.onnxio.importer import import_model
from onnxforge.onnxio.loader import LoadedModel


def raise_opset(module: ModuleOp, opset: int) -> ModuleOp:
    """The module converted to default-domain ``opset`` (unchanged when it is already there)."""
    current = model_opset(module)
    if opset == current or current == 0:
        return module  # 0: no default-domain opset, so no default-domain op to convert (ai.onnx.ml-only models)
    if opset < current:
        raise ForgeError(f"opset {opset} is below the model's opset {current}; lowering an opset is not supported")
    exported = export_model(module)
    by_name = {init.name: tensor.raw for init, tensor in zip(exported.proto.graph.initializer, exported.tensors, strict=True)}
    for init in exported.proto.graph.initializer:
        del init.external_data[:]
        init.data_location = 0
    try:
        converted = version_converter.convert_version(exported.proto, opset)
    except Exception as err:  # the converter raises RuntimeError/ValueError with multi-line text
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise ForgeError(f"cannot convert the model from opset {current} to {opset}: {first}") from None
    if (changed := _interface_change(exported.proto.graph, converted.graph)) is not None:
        raise ForgeError(f"cannot convert the model from opset {current} to {opset}: onnx's version converter "
                         f"changes the model's interface ({changed}); refusing")
    for kept, made in ((exported.proto.graph.input, converted.graph.input), (exported.proto.graph.output, converted.graph.output)):
        for original, value in zip(kept, made):
            value.CopyFrom(original)  # the declarations as given: no dim names the converter's inference made up
    data = [by_name.get(init.name) if not init.raw_data else None for init in converted.graph.initializer]
    return import_model(LoadedModel(converted, data, None))


def _interface_change(before: GraphProto, after: GraphProto) -> str | None:
    """The first graph input or output whose name, element type or declared shape the conversion changed.

    The model's interface is the contract forgec keeps; some adapters rewrite it (Scan-8's batch axis is
    dropped from the graph inputs on the way to Scan-9), which would be a silent miscompile downstream."""
    for kind, old, new in (("input", before.input, after.input), ("output", before.output, after.output)):
        if [v.name for v in old] != [v.name for v in new]:
            return f"{kind} names {[v.name for v in old]} → {[v.name for v in new]}"
        for a, b in zip(old, new):
            if not _same_interface(a, b, named_dims_may_resolve=kind == "output"):
                return f"{kind} {a.name!r}: {_type_text(a)} → {_type_text(b)}"
    return None


def _same_interface(before: ValueInfoProto, after: ValueInfoProto, named_dims_may_resolve: bool = False) -> bool:
    """The same element type and rank, and every dim the declaration knew kept (the converter's shape
    inference may fill in dims the original left unknown; the result is verified like any output).

    ``named_dims_may_resolve`` (outputs): a named dim may come back as a number or another name. Exporters
    name output dims that are in fact fixed (TorchScript's ``Addlast_hidden_state_dim_1`` is ViT's 197
    patches), and the converter's shape inference finds the number; an input's named dim is the caller's
    to choose, so there a change means the adapter rewrote the interface."""
    if before.type.WhichOneof("value") != "tensor_type" or after.type.WhichOneof("value") != "tensor_type":
        return before.type == after.type
    a, b = before.type.tensor_type, after.type.tensor_type
    if a.elem_type != b.elem_type or a.HasField("shape") and not b.HasField("shape"):
        return False
    if not a.HasField("shape"):
        return True
    if len(a.shape.dim) != len(b.shape.dim):
        return False
    for old, new in zip(a.shape.dim, b.shape.dim):
        kind = old.WhichOneof("value")
        if kind == "dim_param" and named_dims_may_resolve:
            continue
        if kind is not None and (kind != new.WhichOneof("value") or getattr(old, kind) != getattr(new, kind)):
            return False
    return True


def _type_text(value: ValueInfoProto) -> str:
    tensor = value.type.tensor_type
    dims = [d.dim_param or (str(d.dim_value) if d.HasField("dim_value") else "?") for d in tensor.shape.dim]
    return f"{tensor.elem_type}[{', '.join(dims)}]" if value.type.HasField("tensor_type") else "non-tensor"
