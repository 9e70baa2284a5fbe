"""``onnxforge.export``: a PyTorch module to ONNX, every node tagged with the module that made it.

No FX tracing and no hooks: both torch exporters already record the module of (almost) every node
(``../shared/research/hierarchy.md``), so the front end captures with them and normalises what they
record (``onnxio.hierarchy``):

1. ``torch.export`` (non-strict) captures the program; its ``nn_module_stack`` keys tell repeated calls
   of one module apart (``L__self__proj@1``). ``torch.onnx.export`` translates that program with its own
   optimisation *off*: the onnxscript optimiser merges nodes and weights across modules (CSE of shape
   chains, one Gemm for two tied heads), which would attribute one module's work to another.
2. When ``torch.export`` fails (a Python branch on a tensor's value), the TorchScript exporter traces the
   module instead; its scoped node names are resolved against the live module's ``named_modules()``.
3. Every node gets the schema's tags; untagged nodes inherit; the model gets the module table
   (class, parameters from the state dict, calls).
4. Our own pipeline (tag-aware: fused ops keep the common ancestor of what they absorbed) runs on it.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import onnx

from onnxforge.errors import ForgeError
from onnxforge.onnxio.exporter import ExportedModel
from onnxforge.onnxio.hierarchy import Coverage, ModuleInfo, ModuleTable, coverage, tag_model
from onnxforge.onnxio.loader import LoadedModel, from_bytes, from_proto, load
from onnxforge.onnxio.proto import initializer_value
from onnxforge.onnxio.writer import write_model

if TYPE_CHECKING:
    import torch

EXPORTERS = ("auto", "dynamo", "torchscript")
TORCHSCRIPT_OPSET = 18
PROTOBUF_LIMIT = (2 << 30) - (64 << 20)
"""Serialized size above which weights go to external data (protobuf refuses messages of 2 GiB)."""
_TENSOR_DATA = ("raw_data", "float_data", "int32_data", "string_data", "int64_data", "double_data", "uint64_data",
                "external_data")
"""The fields of a TensorProto that hold (or locate) its values."""


@dataclass
class ExportReport:
    """What ``export`` did: the file, the exporter that made it, the tags' coverage, the module table."""

    path: Path
    exporter: str
    coverage: Coverage
    """Of the exported graph, before our pipeline."""
    coverage_after: Coverage
    """Of the written model, after our pipeline."""
    table: ModuleTable
    nodes_exported: int
    nodes: int
    export_seconds: float
    seconds: float
    fallback_reason: str | None = None
    """Why ``torch.export`` could not capture the module (the TorchScript exporter was used instead)."""
    pipeline: str = "none"
    max_abs_diff: float | None = None
    """Largest output difference between PyTorch and onnxruntime on the example inputs (``verify=True``)."""
    notes: list[str] = field(default_factory=list)

    def summary(self) -> str:
        line = (f"{self.path}: {self.exporter} export, {self.nodes_exported} nodes -> {self.nodes} after "
                f"{self.pipeline}; tags: {self.coverage_after.summary()}; {self.export_seconds:.1f} s export, "
                f"{self.seconds:.1f} s in all")
        if self.fallback_reason:
            line += f"; torch.export failed ({self.fallback_reason}), TorchScript used"
        if self.max_abs_diff is not None:
            line += f"; max |Δ| vs PyTorch {self.max_abs_diff:.2e}"
        return line

    def as_json(self) -> dict[str, Any]:
        return {"path": str(self.path), "exporter": self.exporter, "fallback_reason": self.fallback_reason,
                "pipeline": self.pipeline, "nodes_exported": self.nodes_exported, "nodes": self.nodes,
                "export_seconds": round(self.export_seconds, 3), "seconds": round(self.seconds, 3),
                "coverage_exported": self.coverage.as_json(), "coverage": self.coverage_after.as_json(),
                "max_abs_diff": self.max_abs_diff, "modules": len(self.table.modules)}


def module_table(module: torch.nn.Module) -> ModuleTable:
    """``named_modules()`` with each module's qualified class and parameters: inclusive (``parameters()``,
    tied weights once) and owned (``parameters(recurse=False)``)."""
    table = ModuleTable()
    for path, sub in module.named_modules():
        cls = type(sub)
        table.modules[path] = ModuleInfo(
            path, f"{cls.__module__}.{cls.__qualname__}",
            params=sum(p.numel() for p in sub.parameters()),
            own_params=sum(p.numel() for p in sub.parameters(recurse=False)))
    return table


def _call_indices(program: Any, table: ModuleTable) -> dict[str, int]:
    """FX node name → call index of its innermost module, from ``nn_module_stack`` keys (``proj@1``); also
    counts each module's calls into the table."""
    calls: dict[str, int] = {}
    for node in program.graph.nodes:
        stack = node.meta.get("nn_module_stack")
        if not stack:
            continue
        for key, (path, _cls) in stack.items():
            index = int(key.rsplit("@", 1)[1]) if "@" in key and key.rsplit("@", 1)[1].isdigit() else 0
            info = table.modules.get(path)
            if info is not None:
                info.calls = max(info.calls, index + 1)
        key = next(reversed(stack))
        tail = key.rsplit("@", 1)
        calls[node.name] = int(tail[1]) if len(tail) == 2 and tail[1].isdigit() else 0
    return calls


def _dynamo(module: torch.nn.Module, args: tuple, kwargs: dict, dynamic_shapes: Any,  # type: ignore[type-arg]
            table: ModuleTable, opset: int | None) -> tuple[onnx.ModelProto, dict[str, int]]:
    import torch

    # torch.onnx drives torch.export itself (non-strict first, and it relaxes dynamic dims a guard bounds)
    onnx_program = torch.onnx.export(module, args, kwargs=kwargs, dynamic_shapes=dynamic_shapes, dynamo=True,
                                     optimize=False, verbose=False, opset_version=opset)
    calls = _call_indices(onnx_program.exported_program, table)
    return onnx_program.model_proto, calls


def dynamic_axes(dynamic_shapes: Any, names: list[str]) -> dict[str, dict[int, str]] | None:
    """torch.export's ``dynamic_shapes`` ({input: {axis: Dim}} or a tuple in argument order) as the
    TorchScript exporter's ``dynamic_axes``."""
    if not dynamic_shapes:
        return None
    items = dynamic_shapes.items() if isinstance(dynamic_shapes, dict) else zip(names, dynamic_shapes)
    axes: dict[str, dict[int, str]] = {}
    for name, spec in items:
        if isinstance(spec, dict):
            axes[name] = {int(axis): getattr(dim, "__name__", str(dim)) for axis, dim in spec.items() if dim is not None}
    return axes or None


def _torchscript(module: torch.nn.Module, args: tuple, kwargs: dict, dynamic_shapes: Any,  # type: ignore[type-arg]
                 folder: Path, opset: int | None) -> LoadedModel:
    """The TorchScript export, parsed as the loader parses a file: the weights stay in the exporter's buffer
    (or its external data file), only the skeleton goes through protobuf. Tags change node metadata only,
    so ``_write`` streams the weights back out: no parse and no serialisation of the weights in Python,
    which cost GPT-2 0.7× of a plain export on top of it."""
    import inspect

    import torch

    positional = [p for p in inspect.signature(module.forward).parameters][: len(args)]
    names = positional + list(kwargs)
    large = _large(module)
    target: io.BytesIO | str = str(folder / "ts.onnx") if large else io.BytesIO()  # under 2 GiB: no file round trip
    with torch.no_grad(), forward_taking(module, len(args), list(kwargs)):
        torch.onnx.export(module, (*args, *kwargs.values()), target, dynamo=False,
                          opset_version=opset or TORCHSCRIPT_OPSET, do_constant_folding=False, input_names=names,
                          dynamic_axes=dynamic_axes(dynamic_shapes, names))
    return load(target) if isinstance(target, str) else from_bytes(target.getbuffer(), "the TorchScript export")


def _large(module: torch.nn.Module) -> bool:
    """Whether the weights alone come near protobuf's 2 GiB (the exporter then writes external data)."""
    return sum(p.numel() * p.element_size() for p in module.parameters()) > PROTOBUF_LIMIT


@contextlib.contextmanager
def forward_taking(module: torch.nn.Module, positional: int, keywords: list[str]) -> Iterator[None]:
    """Give the instance, for the trace, a forward taking every input positionally: the TorchScript exporter
    passes keyword inputs positionally and fills other parameters with defaults, which Hugging Face's
    output-capturing decorators pass again by keyword. Patching the instance (not wrapping the module)
    keeps the scopes of its node names free of a wrapper's."""
    import inspect

    if not keywords:
        yield
        return
    inner = module.forward
    parameters = list(inspect.signature(inner).parameters.values())[:positional]

    def forward(*values):  # type: ignore[no-untyped-def]
        return inner(*values[:positional], **dict(zip(keywords, values[positional:])))

    forward.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [inspect.Parameter(p.name, inspect.Parameter.POSITIONAL_OR_KEYWORD) for p in parameters]
        + [inspect.Parameter(n, inspect.Parameter.POSITIONAL_OR_KEYWORD) for n in keywords])
    module.forward = forward  # type: ignore[method-assign]
    try:
        yield
    finally:
        del module.forward


def export(module: torch.nn.Module, args: tuple = (), path: str | os.PathLike[str] | None = None, *,  # type: ignore[type-arg]
           kwargs: dict[str, Any] | None = None, dynamic_shapes: Any = None, exporter: str = "auto",
           pipeline: str | None = "auto", target: str = "standard", opset: int | None = None,
           verify: bool = False) -> ExportReport:
    """Export ``module`` called with ``args``/``kwargs`` to ``path`` with every node tagged (module docstring).

    ``dynamic_shapes`` is torch.export's; ``exporter`` is ``auto`` (dynamo, TorchScript when torch.export
    fails), ``dynamo`` or ``torchscript``; ``pipeline`` (default ``auto``; None writes the tagged export as
    it is) and ``target`` are forgec's. ``verify`` runs PyTorch and onnxruntime on the example inputs and
    reports the largest difference. Returns an ``ExportReport``; raises ``ForgeError`` when no exporter can
    capture the module."""

    if exporter not in EXPORTERS:
        raise ValueError(f"exporter={exporter!r}: give one of {', '.join(EXPORTERS)}")
    if path is None:
        raise ValueError("path: give the .onnx file to write")
    start = time.perf_counter()
    path = Path(path)
    args = tuple(args) if isinstance(args, (tuple, list)) else (args,)
    kwargs = dict(kwargs or {})
    module.eval()
    table = module_table(module)
    used, reason, calls = exporter, None, {}
    with tempfile.TemporaryDirectory(prefix="onnxforge-export-") as folder:
        loaded = None
        if exporter in ("auto", "dynamo"):
            try:
                proto, calls = _dynamo(module, args, kwargs, dynamic_shapes, table, opset)
                loaded = from_proto(proto)
                used = "dynamo"
            except Exception as err:  # torch.export's failures have no common base class
                if exporter == "dynamo":
                    raise ForgeError(f"torch.export could not capture {type(module).__name__}: {_first_line(err)}") from err
                reason = _first_line(err)
        if loaded is None:
            try:
                loaded = _torchscript(module, args, kwargs, dynamic_shapes, Path(folder), opset)
            except Exception as err:
                raise ForgeError(f"the TorchScript exporter could not export {type(module).__name__}: "
                                 f"{_first_line(err)}") from err
            used = "torchscript"
        export_seconds = time.perf_counter() - start
        exported_coverage = tag_model(loaded.proto, table, calls)
        nodes_exported = len(loaded.proto.graph.node)
        if pipeline is None and used == "dynamo":  # the tagged export as it is: no IR round trip
            _save(loaded.proto, path)  # onnxscript built it with its weights inside: written as it is
            ran, after, nodes = "none", exported_coverage, nodes_exported
        elif pipeline is None:
            _write(loaded, path)
            ran, after, nodes = "none", exported_coverage, nodes_exported
        else:
            from onnxforge.compiler import compile as forge_compile

            compiled = forge_compile(loaded, pipeline=pipeline, target=target, report=True)
            compiled.save(path)
            ran = compiled.summary.pipeline
            written = onnx.load(str(path), load_external_data=False)
            after, nodes = coverage(written), len(written.graph.node)
    report = ExportReport(path, used, exported_coverage, after, table, nodes_exported, nodes, export_seconds,
                          time.perf_counter() - start, reason, ran)
    if verify:
        report.max_abs_diff = _verify(module, args, kwargs, path)
    return report


def _save(proto: onnx.ModelProto, path: Path) -> None:
    """Write a model whose proto holds its weights atomically (a temporary file in the destination folder,
    then one rename); the weights go to ``<name>.data`` beside it when the model would pass protobuf's 2 GiB."""
    big = sum(len(t.raw_data) for t in proto.graph.initializer) > PROTOBUF_LIMIT  # ByteSize() costs a serialisation
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        onnx.save_model(proto, str(temporary), save_as_external_data=big, all_tensors_to_one_file=True,
                        location=f"{path.name}.data")
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def _write(loaded: LoadedModel, path: Path) -> None:
    """Write a model parsed as a skeleton (weights in the exporter's buffer or data file) atomically with the
    writer forgec uses: the weights streamed from their views, to ``<name>.data`` beside it when the model
    would pass protobuf's 2 GiB."""
    tensors = [initializer_value(t, raw, loaded.resolve_external)
               for t, raw in zip(loaded.proto.graph.initializer, loaded.initializer_data)]
    for meta in loaded.proto.graph.initializer:  # metadata only: the bytes are written from ``tensors``
        for data in _TENSOR_DATA:
            meta.ClearField(data)
        meta.data_location = onnx.TensorProto.DEFAULT
    write_model(ExportedModel(loaded.proto, tensors), path, protected=loaded.source_files)


def _first_line(err: BaseException) -> str:
    """The first line of the innermost cause (torch.onnx wraps torch.export's error in its own), without
    terminal colour codes."""
    while err.__cause__ is not None:
        err = err.__cause__
    text = re.sub(r"\x1b\[[0-9;]*m", "", str(err)).strip()
    return (text.splitlines()[0] if text else type(err).__name__)[:300]


def _verify(module: torch.nn.Module, args: tuple, kwargs: dict, path: Path) -> float:  # type: ignore[type-arg]
    """Largest |PyTorch − onnxruntime| over the outputs, on the example inputs (inputs and outputs matched
    in order: the exporters flatten both as pytrees)."""
    import numpy as np
    import torch
    from torch.utils._pytree import tree_leaves

    from onnxforge.runtime import run

    with torch.no_grad():
        expected = [t for t in tree_leaves(module(*args, **kwargs)) if isinstance(t, torch.Tensor)]
    leaves = [t for t in tree_leaves((args, kwargs)) if isinstance(t, torch.Tensor)]
    graph = onnx.load(str(path), load_external_data=False).graph
    if len(graph.input) != len(leaves) or len(graph.output) != len(expected):
        raise ForgeError(f"{path}: cannot match the model's {len(graph.input)} inputs / {len(graph.output)} outputs "
                         f"with PyTorch's {len(leaves)} / {len(expected)} to verify")
    feeds = {i.name: t.detach().cpu().numpy() for i, t in zip(graph.input, leaves)}
    actual = run(path, feeds)
    worst = 0.0
    for out, ref in zip(graph.output, expected):
        got = np.asarray(actual[out.name], dtype=np.float64)
        worst = max(worst, float(np.max(np.abs(got - ref.detach().cpu().double().numpy()), initial=0.0)))
    return worst
