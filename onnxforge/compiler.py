"""The compile driver shared by ``forgec`` and the Python API: load → import → passes → export."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from onnx import ModelProto
from xdsl.dialects.builtin import ModuleOp
from xdsl.utils.exceptions import DiagnosticException, VerifyException

from onnxforge.backends.onnx_export import ExportedModel, export_model, to_model_proto
from onnxforge.errors import ForgeError
from onnxforge.frontend.loader import LoadedModel, from_proto, load
from onnxforge.frontend.onnx_import import import_model
from onnxforge.transforms.pipelines import run_pipeline


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


@dataclass
class Compiled:
    module: ModuleOp
    exported: ExportedModel


def compile_loaded(loaded: LoadedModel, pipeline: str = "none") -> Compiled:
    module = to_ir(loaded)
    run_pipeline(module, pipeline)
    verify_ir(module, f"IR after pipeline {pipeline!r}")
    return Compiled(module, export_model(module))


def compile(model: ModelProto | str | os.PathLike[str], pipeline: str = "none") -> ModelProto:  # noqa: A001
    """Compile a model (a ModelProto or a path) with a named pipeline; return the new ModelProto.

    The input is never modified. Raises ``ForgeError`` with a one-line message on bad input.
    """
    module = to_ir(load_model(model))
    run_pipeline(module, pipeline)
    verify_ir(module, f"IR after pipeline {pipeline!r}")
    return to_model_proto(module)
