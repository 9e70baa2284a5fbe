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

from onnx import version_converter
from xdsl.dialects.builtin import ModuleOp

from onnxforge.dialects.onnx.builders import model_opset
from onnxforge.errors import ForgeError
from onnxforge.onnxio.exporter import export_model
from onnxforge.onnxio.importer import import_model
from onnxforge.onnxio.loader import LoadedModel


def raise_opset(module: ModuleOp, opset: int) -> ModuleOp:
    """The module converted to default-domain ``opset`` (unchanged when it is already there)."""
    current = model_opset(module)
    if opset == current:
        return module
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
    data = [by_name.get(init.name) if not init.raw_data else None for init in converted.graph.initializer]
    return import_model(LoadedModel(converted, data, None))
