"""Named pipelines are data: a name maps to stages, each a pass list in xDSL's syntax (``a,b{opt=v}``).

A fixed-point stage repeats its passes until none changes anything. ``auto``
(forgec's default) is not a list of its own: ``choose`` reads the graph's
architecture fingerprint (``onnxforge.analysis.fingerprint``) and names the
pipeline to run. Passes are written without a ``target``: the driver fills in
the one the user asked for (``forgec --target``), unless a stage fixes it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from onnxforge.errors import ForgeError

if TYPE_CHECKING:
    from xdsl.dialects.builtin import ModuleOp


@dataclass(frozen=True)
class Pipeline:
    """A named list of stages; each stage is a pass list in xDSL's syntax, optionally run to a fixed point."""

    stages: tuple[tuple[str, bool], ...]
    summary: str

    @property
    def passes(self) -> str:
        """Every pass of the pipeline in order."""
        return ",".join(spec for spec, _ in self.stages if spec)

    @property
    def fixed_point(self) -> bool:
        return any(fixed for _, fixed in self.stages)


CLEANUP = (
    "onnx-upgrade-ir-version,onnx-infer-shapes,onnx-simplify-shape-chains,onnx-fold-constants,onnx-fold-neutral-elements,onnx-canonicalize,onnx-simplify-index-grids,"
    "onnx-cancel-reshape-pairs,onnx-merge-constants,onnx-cse,onnx-eliminate-dead"
)
TRANSFORMER_FUSIONS = (
    "onnx-infer-shapes,nn-fuse-layer-norm,nn-fuse-rms-norm,nn-fuse-gelu,nn-fuse-rotary-embedding,nn-fuse-attention,"
    "nn-fuse-qkv,nn-fuse-linear"
)
"""``nn-fuse-skip-layer-norm`` is not in the default pipelines: onnxruntime 1.31's CPU SkipLayerNormalization
measured 3.5–6 % slower end to end than Add + LayerNormalization (ViT-B and GPT-2 dynamo exports, 2 threads,
2026-11-22, with and without the bias absorbed); add it with ``--passes`` for execution providers where it pays."""
VISION_FUSIONS = "onnx-infer-shapes,nn-fuse-conv-batchnorm,nn-fuse-conv-affine,nn-fuse-conv-activation,nn-fuse-linear"
HYBRID_FUSIONS = (
    "onnx-infer-shapes,nn-fuse-conv-batchnorm,nn-fuse-conv-affine,nn-fuse-conv-activation,nn-fuse-layer-norm,nn-fuse-rms-norm,nn-fuse-gelu,"
    "nn-fuse-rotary-embedding,nn-fuse-attention,nn-fuse-qkv,nn-fuse-linear"
)
PORTABLE_FUSIONS = "onnx-infer-shapes,nn-fuse-layer-norm{target=portable},nn-fuse-gelu{target=portable}"


def _fusing(fusions: str, lower: str = "nn-lower") -> tuple[tuple[str, bool], ...]:
    """cleanup to a fixed point → the fusions once, in order → lowering by target → cleanup again."""
    return ((CLEANUP, True), (fusions, False), (lower, False), (CLEANUP, True))


PIPELINES: dict[str, Pipeline] = {
    "none": Pipeline((("", False),), "import and export only"),
    "cleanup": Pipeline(((CLEANUP, True),), "shape chains, constant and neutral-element folding (class 1), class-0 cleanup"),
    "transformer": Pipeline(_fusing(TRANSFORMER_FUSIONS),
                            "cleanup, then LayerNorm/RMSNorm/GELU/rotary/attention/QKV/linear fusions, lowered by --target"),
    "vision": Pipeline(_fusing(VISION_FUSIONS), "cleanup, then Conv+BN, Conv+activation and linear fusions, lowered by --target"),
    "hybrid": Pipeline(_fusing(HYBRID_FUSIONS), "vision and transformer fusions together (conv + attention models)"),
    "portable": Pipeline(_fusing(PORTABLE_FUSIONS, "nn-lower{target=portable}"),
                         "cleanup, and LayerNorm/GELU decomposed into basic ops for converters without them"),
    "auto": Pipeline((), "fingerprint the graph and run vision, transformer, hybrid or cleanup (forgec's default)"),
}


def resolve(pipeline: str) -> Pipeline:
    if pipeline in PIPELINES:
        return PIPELINES[pipeline]
    raise ForgeError(f"unknown pipeline {pipeline!r} (known: {', '.join(sorted(PIPELINES))})")


def choose(module: ModuleOp) -> str:
    """The pipeline ``auto`` runs on this module: from its architecture fingerprint."""
    return choose_with_reasons(module)[0]


def choose_with_reasons(module: ModuleOp) -> tuple[str, tuple[str, ...]]:
    """The pipeline ``auto`` runs on this module and the fingerprint's reasons for it (for the run summary)."""
    from onnxforge.analysis.fingerprint import choose_pipelines, fingerprint  # heavy: not needed by ``forgec --help``

    found = fingerprint(module)
    picked = choose_pipelines(found)
    if set(picked) == {"vision", "transformer"}:
        return "hybrid", found.reasons
    return (picked[0] if picked else "cleanup"), found.reasons
