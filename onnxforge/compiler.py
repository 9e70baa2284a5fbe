"""The compile driver shared by ``forgec``, the Python API and the instruments: load → import → passes → export.

A run is a pipeline string: ``pass_manager`` turns a named pipeline (or an
explicit pass list) into passes, fills the user's ``--target`` into every pass
that has a ``target`` option and was not given one, and puts the explicit opset
conversion (``--target-opset``) first as ``onnx-convert-opset{opset=N}``. So the
pass manager's ``spec`` replays the whole configuration.
"""

from __future__ import annotations

import os
from dataclasses import fields
from pathlib import Path
from typing import TYPE_CHECKING

from onnx import ModelProto
from xdsl.dialects.builtin import ModuleOp
from xdsl.utils.arg_spec import parse_pipeline
from xdsl.utils.exceptions import ArgSpecParseError, DiagnosticException, VerifyException

from onnxforge.errors import ForgeError
from onnxforge.onnxio.exporter import to_model_proto
from onnxforge.onnxio.importer import import_model
from onnxforge.onnxio.loader import LoadedModel, from_proto, load
from onnxforge.passes import get_pass
from onnxforge.passmanager.base import ForgePass
from onnxforge.passmanager.manager import PassManager, RunOptions, RunReport, Stage
from onnxforge.transforms.pipelines import choose, resolve

if TYPE_CHECKING:
    from onnxforge.cost.hardware import Target
    from onnxforge.cost.model import CostReport


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


def parse_passes(spec: str, target: str | None = None) -> list[ForgePass]:
    """Pass instances for a pass list such as ``onnx-eliminate-dead,onnx-fold-constants{max-bytes=1024}``.

    ``target`` (forgec's ``--target``) is given to every pass with a ``target`` option that the list does not set.
    """
    if not spec.strip():
        return []
    try:
        specs = list(parse_pipeline(spec))
    except (ValueError, ArgSpecParseError) as err:  # ArgSpecParseError is a BaseException in xDSL 0.74
        detail = " ".join(line.strip() for line in str(err).splitlines()[-1:])
        raise ForgeError(f"cannot parse pass list {spec!r}: {detail}") from None
    passes = []
    for item in specs:
        cls = get_pass(item.name)
        if target is not None and "target" in {f.name for f in fields(cls)} and "target" not in item.parameters:
            item.parameters["target"] = (target,)
        try:
            passes.append(cls.from_pass_spec(item))
        except Exception as err:
            raise ForgeError(f"pass {item.name}: bad options: {err}") from None
    return passes


def pass_manager(pipeline: str | None = "none", passes: str | None = None, module: ModuleOp | None = None,
                 target: str | None = None, target_opset: int | None = None) -> PassManager:
    """The pass manager for a named pipeline, or for an explicit pass list (which wins).

    ``auto`` needs the module to choose; without one it is only checked for existence. ``target`` fills
    the passes' ``target`` options; ``target_opset`` converts the model first, as its own stage.
    """
    stages = [Stage(parse_passes(f"onnx-convert-opset{{opset={target_opset}}}"), False, "convert")] if target_opset else []
    if passes is not None:
        return PassManager([*stages, Stage(parse_passes(passes, target), False, "passes")])
    name = pipeline or "none"
    resolve(name)
    if name == "auto":
        if module is None:
            return PassManager(stages)
        name = choose(module)
    stages += [Stage(parse_passes(spec, target), fixed, name) for spec, fixed in resolve(name).stages if spec.strip()]
    return PassManager(stages)


def optimize(module: ModuleOp, pipeline: str | None = "none", passes: str | None = None,
             options: RunOptions | None = None, target: str | None = None, target_opset: int | None = None) -> RunReport:
    """Run a named pipeline (or an explicit pass list) on the IR in place."""
    return pass_manager(pipeline, passes, module, target, target_opset).run(module, options)


def compile(model: ModelProto | str | os.PathLike[str], pipeline: str = "none", passes: str | None = None,
            target: str = "standard", target_opset: int | None = None) -> ModelProto:
    """Compile a model (a ModelProto or a path) with a named pipeline or a pass list; return the new ModelProto.

    ``target`` (standard, ort, portable) says what fused ops lower to; ``target_opset`` first converts the
    model to that default-domain opset. The input is never modified. Raises ``ForgeError`` with a
    one-line message on bad input.
    """
    module = to_ir(load_model(model))
    optimize(module, pipeline, passes, target=target, target_opset=target_opset)
    return to_model_proto(module)


def load_ir(model: ModelProto | str | os.PathLike[str], pipeline: str | None = None, passes: str | None = None) -> ModuleOp:
    """A model's IR, after an optional pipeline or pass list."""
    module = to_ir(load_model(model))
    if pipeline or passes:
        optimize(module, pipeline, passes)
    return module


def estimate_cost(model: str | os.PathLike[str] | ModuleOp, target: Target | str, dims: dict[str, int] | None = None,
                  pipeline: str | None = None, execution: str | None = None, passes: str | None = None) -> CostReport:
    """The estimated latency of a model (an .onnx path or IR) on a target, after an optional pipeline.

    A ModuleOp given with a pipeline is copied first: the caller's IR is never changed.
    """
    from onnxforge.cost.model import report_for

    if isinstance(model, ModuleOp):
        module, label = (model.clone() if pipeline or passes else model), "IR"
        if pipeline or passes:
            optimize(module, pipeline, passes)
    else:
        module, label = load_ir(model, pipeline, passes), os.fspath(model)
    if pipeline or passes:
        label += f" after {'--passes=' + passes if passes else '--pipeline=' + str(pipeline)}"
    return report_for(module, target, dims, execution, label)
