"""The compile driver shared by ``forgec`` and the Python API: load → import → passes → export."""

from __future__ import annotations

import os
from pathlib import Path

from onnx import ModelProto
from xdsl.dialects.builtin import ModuleOp
from xdsl.utils.exceptions import DiagnosticException, VerifyException

from onnxforge.backends.onnx_export import to_model_proto
from onnxforge.errors import ForgeError
from onnxforge.frontend.loader import LoadedModel, from_proto, load
from onnxforge.frontend.onnx_import import import_model
from onnxforge.lowering import LoweringTarget
from onnxforge.passmanager.manager import Instrumentation, RunReport
from onnxforge.transforms.pipelines import pass_manager


def load_model(model: ModelProto | str | os.PathLike[str]) -> LoadedModel:
    if isinstance(model, ModelProto):
        return from_proto(model)
    return load(Path(model))


def to_ir(loaded: LoadedModel) -> ModuleOp:
    """Import and verify: a model that yields invalid IR is reported, never compiled."""
    module = import_model(loaded)
    verify_ir(module, f"{loaded.path or 'model'}: imported IR")
    return module


def verify_ir(module: ModuleOp, what: str) -> None:
    try:
        module.verify()
    except (VerifyException, DiagnosticException) as err:
        raise ForgeError(f"{what} does not verify: {str(err).strip().splitlines()[0]}") from None


def optimize(module: ModuleOp, pipeline: str | None = "none", passes: str | None = None,
             instrumentation: Instrumentation | None = None) -> RunReport:
    """Run a named pipeline (or an explicit pass list) on the IR in place."""
    return pass_manager(pipeline, passes, module).run(module, instrumentation)


def compile(model: ModelProto | str | os.PathLike[str], pipeline: str = "none", passes: str | None = None,  # noqa: A001
            target: str = "standard", target_opset: int | None = None) -> ModelProto:
    """Compile a model (a ModelProto or a path) with a named pipeline or a pass list; return the new ModelProto.

    ``target`` (standard, ort, portable) says what fused ops lower to; ``target_opset`` first converts the
    model to that default-domain opset. The input is never modified. Raises ``ForgeError`` with a
    one-line message on bad input.
    """
    module, lowering = retarget(to_ir(load_model(model)), target, target_opset)
    optimize(module, pipeline, passes, Instrumentation(target=lowering))
    return to_model_proto(module)


def retarget(module: ModuleOp, target: str = "standard", target_opset: int | None = None) -> tuple[ModuleOp, LoweringTarget]:
    """The module converted to ``target_opset`` when one is asked (an explicit, verified step), and the
    lowering target at the opset it then has."""
    from onnxforge.frontend.opset_conversion import raise_opset
    from onnxforge.ir.builders import default_opset

    if target_opset:
        module = raise_opset(module, target_opset)
    return module, LoweringTarget(target, default_opset(module))  # type: ignore[arg-type]
