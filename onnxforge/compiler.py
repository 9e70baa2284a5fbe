"""The compile driver shared by ``forgec``, the Python API and the instruments: load → import → passes → export.

A run is a pipeline string: ``pass_manager`` turns a named pipeline (or an
explicit pass list) into passes, fills the user's ``--target`` into every pass
that has a ``target`` option and was not given one, and puts the explicit opset
conversion (``--target-opset``) first as ``onnx-convert-opset{opset=N}``. So the
pass manager's ``spec`` replays the whole configuration.
"""

from __future__ import annotations

import os
import time
from dataclasses import fields
from pathlib import Path
from typing import TYPE_CHECKING

from onnx import ModelProto
from xdsl.dialects.builtin import ModuleOp
from xdsl.utils.arg_spec import parse_pipeline
from xdsl.utils.exceptions import ArgSpecParseError, DiagnosticException, VerifyException

from onnxforge.errors import ForgeError, InvalidArgument
from onnxforge.onnxio.exporter import ExportedModel, export_model, to_model_proto
from onnxforge.onnxio.importer import import_model
from onnxforge.onnxio.loader import LoadedModel, from_proto, load
from onnxforge.passes import get_pass
from onnxforge.passmanager.base import ForgePass
from onnxforge.passmanager.manager import PassManager, RunOptions, RunReport, Stage
from onnxforge.targets import PRECISIONS, TARGET_KINDS
from onnxforge.transforms.pipelines import CLEANUP, PIPELINES, choose, choose_with_reasons, resolve

if TYPE_CHECKING:
    from onnxforge.cost.hardware import Target
    from onnxforge.cost.model import CostReport


def load_model(model: ModelProto | LoadedModel | str | os.PathLike[str]) -> LoadedModel:
    if isinstance(model, LoadedModel):  # parsed already (``onnxforge.export``'s, weights still in its buffer)
        return model
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
                 target: str | None = None, target_opset: int | None = None, skip: tuple[str, ...] = (),
                 fix_shapes: str = "", precision: str | None = None) -> PassManager:
    """The pass manager for a named pipeline, or for an explicit pass list (which wins).

    ``auto`` needs the module to choose; without one it is only checked for existence. ``target`` fills
    the passes' ``target`` options; ``target_opset`` converts the model first, as its own stage. ``skip``
    names passes to leave out of the pipeline (each must be one of its passes: a typo is an error, not
    a no-op). ``fix_shapes`` (an ``onnx-fix-shapes{...}`` spec, ``forgec --input-shape/--fix-dim``) runs
    first, once, so the pipeline folds with the fixed sizes; ``precision`` (fp16, bf16) converts the
    result last and cleans up after it.
    """
    if target == "tensorrt":
        _check_tensorrt_opset(module, target_opset)
    stages = [Stage(parse_passes(fix_shapes), False, "fix-shapes")] if fix_shapes else []
    if target_opset:
        stages.append(Stage(parse_passes(f"onnx-convert-opset{{opset={target_opset}}}"), False, "convert"))
    if precision not in (None, "fp32"):
        if precision not in PRECISIONS:
            raise ForgeError(f"unknown precision {precision!r} (known: {', '.join(PRECISIONS)})")
        last = [Stage(parse_passes(f"onnx-convert-precision{{precision={precision}}}"), False, precision),
                Stage(parse_passes(CLEANUP), True, precision)]
    else:
        last = []
    if passes is not None:
        if skip:
            raise ForgeError("--skip removes passes from a pipeline; with --passes, leave them out of the list")
        return PassManager([*stages, Stage(parse_passes(passes, target), False, "passes"), *last])
    name = pipeline or "none"
    resolve(name)
    if name == "auto":
        if module is None:
            _check_skip(skip, {spec for known in PIPELINES.values() for spec in _pass_names(known)}, "any pipeline")
            return PassManager([*stages, *last])
        name = choose(module)  # --skip was checked against every pipeline: auto may pick one without the pass
    else:
        _check_skip(skip, set(_pass_names(resolve(name))), f"the {name} pipeline")
    for spec, fixed in resolve(name).stages:
        kept = [item for item in _split_specs(spec) if item.name not in skip]
        if kept:
            stages.append(Stage(parse_passes(",".join(str(item) for item in kept), target), fixed, name))
    return PassManager([*stages, *last])


def _check_tensorrt_opset(module: ModuleOp | None, target_opset: int | None) -> None:
    """TensorRT's parser reads a range of opsets: a model or ``--target-opset`` outside it is refused before any work."""
    from onnxforge.dialects.onnx.builders import model_opset
    from onnxforge.transforms.lowering.tensorrt_support import require_opset

    if target_opset:
        require_opset(target_opset, f"--target=tensorrt --target-opset={target_opset}", requested=True)
    elif module is not None:
        require_opset(model_opset(module))


def _split_specs(spec: str) -> list:  # type: ignore[type-arg]
    return list(parse_pipeline(spec)) if spec.strip() else []


def _pass_names(pipeline) -> list[str]:  # type: ignore[no-untyped-def]
    return [item.name for spec, _ in pipeline.stages for item in _split_specs(spec)]


def _check_skip(skip: tuple[str, ...], names: set[str], where: str) -> None:
    for name in skip:
        get_pass(name)  # an unknown pass is named as such
        if name not in names:
            raise ForgeError(f"--skip={name}: not a pass of {where} (its passes: {', '.join(sorted(names))})")


def optimize(module: ModuleOp, pipeline: str | None = "none", passes: str | None = None,
             options: RunOptions | None = None, target: str | None = None, target_opset: int | None = None,
             skip: tuple[str, ...] = (), fix_shapes: str = "", precision: str | None = None) -> RunReport:
    """Run a named pipeline (or an explicit pass list) on the IR in place."""
    return pass_manager(pipeline, passes, module, target, target_opset, skip, fix_shapes, precision).run(module, options)


def compile(model: ModelProto | LoadedModel | str | os.PathLike[str], pipeline: str | None = None, passes: str | None = None,
            target: str = "standard", target_opset: int | None = None, skip: tuple[str, ...] | list[str] = (),
            input_shapes: dict[str, list[int | str]] | None = None, fix_dims: dict[str, int | str] | None = None,
            precision: str = "fp32", report: bool = False) -> ModelProto | Compiled:
    """Compile a model (a ModelProto, a path, or a ``LoadedModel`` already parsed) as ``forgec`` does; return the new ModelProto.

    ``pipeline`` defaults to ``auto`` (chosen from the graph's fingerprint), as in forgec; ``passes`` is an
    explicit pass list instead (giving both is an error); ``skip`` leaves passes out of the pipeline;
    ``target`` (standard, ort, portable, tensorrt) says what fused ops lower to; ``target_opset`` first
    converts the model to that default-domain opset. ``input_shapes`` (``{"input_ids": [1, 128]}``) and
    ``fix_dims`` (``{"batch": 1}``) fix shapes in the output (``forgec --input-shape/--fix-dim``);
    ``precision`` (fp32, fp16, bf16) converts weights and compute, keeping float32 inputs and outputs
    (``forgec --precision``). Every argument is checked first: a bad value is a ``ValueError``
    naming it. With ``report=True`` the result is a ``Compiled``: the model with the run's summary (fusions
    fired and declined with reasons, before/after statistics, pass timings), ``save`` through the streaming
    writer and ``verify`` with onnxruntime. The input is never modified; bad input raises ``ForgeError``.
    """
    fix_shapes = _check_arguments(pipeline, passes, target, target_opset, skip, input_shapes, fix_dims, precision)
    start = time.perf_counter()
    loaded = load_model(model)
    module = to_ir(loaded)
    name, why = pipeline or "auto", ()
    if passes is None and name == "auto":
        name, why = choose_with_reasons(module)
    before = export_model(module) if report else None
    run_report = optimize(module, name, passes, None, target, target_opset, tuple(skip), fix_shapes, precision)
    if not report:
        return to_model_proto(module)
    from onnxforge import summary

    after = export_model(module)
    label = "model" if isinstance(model, (ModelProto, LoadedModel)) else os.fspath(model)
    found = summary.build(label, "(in memory)", "--passes" if passes is not None else name, why,
                          summary.facts(before.proto, before.tensors, []), summary.facts(after.proto, after.tensors, []),
                          run_report, target, time.perf_counter() - start)
    source = (loaded.path or before) if isinstance(model, LoadedModel) else model  # what ``verify`` runs
    return Compiled(after, found, run_report, source, loaded.source_files)


def _check_arguments(pipeline: str | None, passes: str | None, target: str, target_opset: int | None,
                     skip: tuple[str, ...] | list[str], input_shapes: dict | None = None,  # type: ignore[type-arg]
                     fix_dims: dict | None = None, precision: str = "fp32") -> str:  # type: ignore[type-arg]
    """The API's arguments as forgec checks its flags: a ``ValueError`` naming the bad value, before any work.
    Returns the ``onnx-fix-shapes`` spec of ``input_shapes`` and ``fix_dims`` ("" for none)."""
    if pipeline is not None and pipeline not in PIPELINES:
        raise InvalidArgument(f"pipeline={pipeline!r}: unknown (known: {', '.join(PIPELINES)})")
    if pipeline is not None and passes is not None:
        raise InvalidArgument("pipeline and passes are alternatives: give one")
    if passes is not None and not isinstance(passes, str):
        raise InvalidArgument(f"passes={passes!r}: give a pass list string, e.g. 'onnx-cse,onnx-eliminate-dead'")
    if target not in TARGET_KINDS:
        raise InvalidArgument(f"target={target!r}: unknown (known: {', '.join(TARGET_KINDS)})")
    if target_opset is not None and (isinstance(target_opset, bool) or not isinstance(target_opset, int) or target_opset < 1):
        raise InvalidArgument(f"target_opset={target_opset!r}: give a positive opset number, e.g. 23")
    if isinstance(skip, str) or any(not isinstance(name, str) for name in skip):
        raise InvalidArgument(f"skip={skip!r}: give a list of pass names")
    if precision not in PRECISIONS:
        raise InvalidArgument(f"precision={precision!r}: unknown (known: {', '.join(PRECISIONS)})")
    for label, value in (("input_shapes", input_shapes), ("fix_dims", fix_dims)):
        if value is not None and not isinstance(value, dict):
            raise InvalidArgument(f"{label}={value!r}: give a dict, e.g. {{'input_ids': [1, 128]}} / {{'batch': 1}}")
    try:
        fix_shapes = ""
        if input_shapes or fix_dims:
            from onnxforge.transforms.onnx_fix_shapes import spec_from_flags

            fix_shapes = spec_from_flags([f"{k}={','.join(str(d) for d in v)}" for k, v in (input_shapes or {}).items()],
                                         [f"{k}={v}" for k, v in (fix_dims or {}).items()])
        pass_manager(pipeline or "auto", passes, target=target, target_opset=target_opset, skip=tuple(skip),
                     fix_shapes=fix_shapes, precision=precision)
    except ForgeError as err:
        raise InvalidArgument(str(err)) from None
    return fix_shapes


class Compiled:
    """``compile(..., report=True)``: the compiled model and what the run did.

    ``summary`` is the same record ``forgec --report=json`` writes (``summary.as_json()``); ``run`` is the
    pass manager's report (per-pass timings in ``run.records``, pattern statistics and declined fusions in
    ``run.state``). ``model`` builds a ModelProto (weights copied into it); ``save`` streams the weights from
    their source instead, as forgec does.
    """

    def __init__(self, exported, summary, run: RunReport, source, protected: list[Path]) -> None:  # type: ignore[no-untyped-def]
        self.exported, self.summary, self.run, self._source, self._protected = exported, summary, run, source, protected

    @property
    def model(self) -> ModelProto:
        return _complete(self.exported)

    def save(self, path: str | os.PathLike[str], external_data: bool | None = None) -> list[Path]:
        """Write the model atomically (and its ``.data`` file when it has external data); returns the files."""
        from onnxforge.onnxio.writer import write_model

        return write_model(self.exported, path, external_data=external_data, protected=self._protected)

    def verify(self, seed: int = 0, dims: dict[str, int] | None = None):  # type: ignore[no-untyped-def]
        """Run the original and the compiled model in onnxruntime on the same random inputs (``VerifyReport``);
        ``.meets(accuracy)`` / ``.summary()`` as ``forgec --verify`` uses them."""
        from onnxforge.runtime import verify

        source = _complete(self._source) if isinstance(self._source, ExportedModel) else self._source
        return verify(source, self.model, seed=seed, dims=dims or {})


def _complete(exported: ExportedModel) -> ModelProto:
    """A ModelProto with the weights copied into it."""
    model = ModelProto()
    model.CopyFrom(exported.proto)
    for init, tensor in zip(model.graph.initializer, exported.tensors, strict=True):
        if tensor.raw is not None and tensor.strings is None and not init.raw_data:
            init.raw_data = bytes(tensor.raw)
            del init.external_data[:]
            init.data_location = 0
    return model


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
