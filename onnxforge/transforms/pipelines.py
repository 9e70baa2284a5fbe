"""Named pipelines are data: a name maps to a pass list in xDSL's syntax (``a,b{opt=v}``).

A fixed-point pipeline repeats its passes until none changes anything.
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.dialects.builtin import ModuleOp
from xdsl.utils.arg_spec import parse_pipeline
from xdsl.utils.exceptions import ArgSpecParseError

from onnxforge.errors import ForgeError
from onnxforge.passmanager.base import ForgePass
from onnxforge.passmanager.manager import PassManager, Stage
from onnxforge.passmanager.registry import get_pass


@dataclass(frozen=True)
class Pipeline:
    """A named list of stages; each stage is a pass list in xDSL's syntax, optionally run to a fixed point."""

    stages: tuple[tuple[str, bool], ...]
    summary: str

    @property
    def passes(self) -> str:
        """Every pass of the pipeline in order (what --verify uses to take the worst accuracy class)."""
        return ",".join(spec for spec, _ in self.stages if spec)

    @property
    def fixed_point(self) -> bool:
        return any(fixed for _, fixed in self.stages)


CLEANUP = (
    "onnx-infer-shapes,onnx-simplify-shape-chains,onnx-fold-constants,onnx-fold-neutral-elements,"
    "onnx-eliminate-identities,onnx-merge-constants,onnx-cse,onnx-compose-transposes,onnx-merge-reshapes,"
    "onnx-fold-casts,onnx-normalize-conv-padding,onnx-eliminate-dead"
)
TRANSFORMER_FUSIONS = (
    "onnx-infer-shapes,nn-fuse-layer-norm,nn-fuse-rms-norm,nn-fuse-gelu,nn-fuse-rotary-embedding,nn-fuse-attention,"
    "nn-fuse-qkv,nn-fuse-linear"
)
"""``nn-fuse-skip-layer-norm`` is not in the default pipelines: onnxruntime 1.31's CPU SkipLayerNormalization
measured 3.5–6 % slower end to end than Add + LayerNormalization (ViT-B and GPT-2 dynamo exports, 2 threads,
2026-11-22, with and without the bias absorbed); add it with ``--passes`` for execution providers where it pays."""
VISION_FUSIONS = "onnx-infer-shapes,nn-fuse-conv-batchnorm,nn-fuse-conv-activation,nn-fuse-linear"
HYBRID_FUSIONS = (
    "onnx-infer-shapes,nn-fuse-conv-batchnorm,nn-fuse-conv-activation,nn-fuse-layer-norm,nn-fuse-rms-norm,nn-fuse-gelu,"
    "nn-fuse-rotary-embedding,nn-fuse-attention,nn-fuse-qkv,nn-fuse-linear"
)


def _fusing(fusions: str) -> tuple[tuple[str, bool], ...]:
    """cleanup to a fixed point → the fusions once, in order → lowering by target → cleanup again."""
    return ((CLEANUP, True), (fusions, False), ("nn-lower", False), (CLEANUP, True))


PIPELINES: dict[str, Pipeline] = {
    "none": Pipeline((("", False),), "import and export only"),
    "cleanup": Pipeline(((CLEANUP, True),), "shape chains, constant and neutral-element folding (class 1), class-0 cleanup"),
    "transformer": Pipeline(_fusing(TRANSFORMER_FUSIONS),
                            "cleanup, then LayerNorm/RMSNorm/GELU/rotary/attention/QKV/linear fusions, lowered by --target"),
    "vision": Pipeline(_fusing(VISION_FUSIONS), "cleanup, then Conv+BN, Conv+activation and linear fusions, lowered by --target"),
    "hybrid": Pipeline(_fusing(HYBRID_FUSIONS), "vision and transformer fusions together (conv + attention models)"),
    "portable": Pipeline(((CLEANUP, True), ("onnx-infer-shapes,nn-fuse-layer-norm,nn-fuse-gelu", False), ("nn-lower", False), (CLEANUP, True)),
                         "cleanup, and LayerNorm/GELU decomposed into basic ops for converters without them (use --target=portable)"),
    "auto": Pipeline((), "fingerprint the graph and run vision, transformer, hybrid or cleanup (forgec's default)"),
}


def parse_passes(spec: str) -> list[ForgePass]:
    """Pass instances for a pass list such as ``onnx-eliminate-dead,onnx-fold-constants{max-bytes=1024}``."""
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
        try:
            passes.append(cls.from_pass_spec(item))
        except Exception as err:
            raise ForgeError(f"pass {item.name}: bad options: {err}") from None
    return passes


def resolve(pipeline: str) -> Pipeline:
    if pipeline in PIPELINES:
        return PIPELINES[pipeline]
    raise ForgeError(f"unknown pipeline {pipeline!r} (known: {', '.join(sorted(PIPELINES))})")


def choose(module: ModuleOp) -> str:
    """The pipeline ``auto`` runs on this module: from its architecture fingerprint."""
    from onnxforge.instruments.fingerprint import choose_pipelines, fingerprint

    picked = choose_pipelines(fingerprint(module))
    if set(picked) == {"vision", "transformer"}:
        return "hybrid"
    return picked[0] if picked else "cleanup"


def pass_manager(pipeline: str | None = "none", passes: str | None = None, module: ModuleOp | None = None) -> PassManager:
    """The pass manager for a named pipeline, or for an explicit pass list (which wins).

    ``auto`` needs the module to choose; without one it is only checked for existence.
    """
    if passes is not None:
        return PassManager([], spec=passes, stages=[Stage(parse_passes(passes), False, "passes")])
    name = pipeline or "none"
    resolve(name)
    if name == "auto":
        if module is None:
            return PassManager([], spec="auto")
        name = choose(module)
    named = resolve(name)
    stages = [Stage(parse_passes(spec), fixed, name) for spec, fixed in named.stages if spec.strip()]
    return PassManager([], spec=named.passes, stages=stages)
