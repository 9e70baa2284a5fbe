"""What the run-based instruments share: models under study, pass plans, compiling, writing, checking.

A *plan* is the pipeline taken apart into its stages of pass instances, read
from the pipeline registry (never a hard-coded list); ``auto`` becomes the
pipeline the registry chooses for each model from its fingerprint, and an
explicit ``--passes`` list is one stage. Compiled models are
written to a scratch directory with the project's writer (external data
when needed, so multi-GiB models work) and run by onnxruntime from there.
"""

from __future__ import annotations

import io
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from xdsl.dialects.builtin import ModuleOp

from onnxforge.compiler import pass_manager, to_ir
from onnxforge.errors import ForgeError
from onnxforge.onnxio.convert import raise_opset
from onnxforge.onnxio.exporter import export_model
from onnxforge.onnxio.loader import LoadedModel, load
from onnxforge.onnxio.writer import write_model
from onnxforge.passmanager.base import Accuracy, ForgePass
from onnxforge.passmanager.manager import PassManager, RunOptions, RunReport, Stage
from onnxforge.runtime import Reference, VerifyReport

ANALYSES = frozenset({"onnx-infer-shapes"})
"""Passes that only compute facts other passes read: they run before a pass measured alone."""
LOWERING_SUFFIX = "-lower"
"""Passes named ``*-lower`` write fused ops back as ONNX: they run after a pass measured alone, so the
result is a valid model, and stay in place when pass orders are shuffled."""


def is_analysis(pass_: ForgePass) -> bool:
    return pass_.name in ANALYSES


def is_lowering(pass_: ForgePass) -> bool:
    return pass_.name.endswith(LOWERING_SUFFIX)


def pass_label(pass_: ForgePass) -> str:
    """The pass as written in a pass list (name and options)."""
    return str(pass_.spec())


@dataclass(frozen=True)
class Settings:
    """How the instruments compile and check: pipeline (or pass list), lowering target, inputs."""

    pipeline: str = "cleanup"
    passes: str | None = None
    """An explicit pass list instead of the pipeline."""
    target: str = "standard"
    target_opset: int | None = None
    seed: int = 0
    dims: dict[str, int] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return f"--passes={self.passes}" if self.passes is not None else self.pipeline

    def plan(self, module: ModuleOp) -> list[Stage]:
        """The stages this module runs through, as the pipeline registry defines them (``auto``: the
        pipeline the registry's ``choose`` picks from the module's fingerprint), the target filled in."""
        return pass_manager(self.pipeline, self.passes, module, self.target).stages


@dataclass
class Subject:
    """A model under study: its file, loaded once (weights stay mapped), imported afresh on demand."""

    path: Path
    loaded: LoadedModel

    @property
    def name(self) -> str:
        return self.path.name.removesuffix(".onnx")

    def module(self, settings: Settings) -> ModuleOp:
        """Fresh IR of the model, converted to ``--target-opset`` when one is given."""
        module = to_ir(self.loaded)
        return raise_opset(module, settings.target_opset) if settings.target_opset else module

    def reference(self, settings: Settings, seed: int | None = None) -> Reference:
        return Reference(self.path, settings.seed if seed is None else seed, settings.dims)


def subject(path: str | Path) -> Subject:
    return Subject(Path(path), load(path))


def _quiet() -> RunOptions:
    """Warnings are kept in the report's state, not printed."""
    return RunOptions(stream=io.StringIO())


def run_passes(module: ModuleOp, passes: Sequence[ForgePass], fixed_point: bool = False) -> RunReport:
    """Run passes in place, as one stage (their options, the target included, are theirs)."""
    return PassManager([Stage(list(passes), fixed_point)]).run(module, _quiet())


def run_plan(module: ModuleOp, stages: Sequence[Stage]) -> RunReport:
    """Run every stage in place, as the pipeline would (one pass manager, fixed-point stages repeated)."""
    return PassManager(list(stages)).run(module, _quiet())


def accuracy_of(passes: Sequence[ForgePass]) -> Accuracy:
    return max((p.accuracy for p in passes), default=Accuracy.LOSSLESS)


def max_abs(report: VerifyReport) -> float:
    """The largest absolute output difference (inf when an output is missing or misshapen)."""
    if report.problems:
        return float("inf")
    return max((0.0 if o.identical else o.max_abs for o in report.outputs), default=0.0)


class Scratch:
    """A temporary directory for compiled models; each write gets a fresh file name."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.count = 0

    def write(self, module: ModuleOp, subject: Subject) -> Path:
        self.count += 1
        path = self.root / f"{subject.name}.{self.count}.onnx"
        write_model(export_model(module), path, protected=subject.loaded.source_files)
        return path

    def discard(self, path: Path) -> None:
        for leftover in (path, path.with_name(path.name + ".data")):
            leftover.unlink(missing_ok=True)


@contextmanager
def scratch() -> Iterator[Scratch]:
    with tempfile.TemporaryDirectory(prefix="onnxforge-instruments-") as root:
        yield Scratch(Path(root))


def check(reference: Reference, module: ModuleOp, subject: Subject, work: Scratch) -> VerifyReport:
    """Write the module and compare it with the reference outputs (the file is removed afterwards)."""
    path = work.write(module, subject)
    try:
        return reference.check(path)
    finally:
        work.discard(path)


def error_text(err: Exception) -> str:
    text = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
    return text if isinstance(err, ForgeError) else f"{type(err).__name__}: {text}"
