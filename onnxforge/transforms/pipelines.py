"""Named pipelines are data: a name maps to a pass list in xDSL's syntax (``a,b{opt=v}``).

A fixed-point pipeline repeats its passes until none changes anything.
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.utils.arg_spec import parse_pipeline
from xdsl.utils.exceptions import ArgSpecParseError

from onnxforge.errors import ForgeError
from onnxforge.passmanager.base import ForgePass
from onnxforge.passmanager.manager import PassManager
from onnxforge.passmanager.registry import get_pass


@dataclass(frozen=True)
class Pipeline:
    passes: str
    summary: str
    fixed_point: bool = False


PIPELINES: dict[str, Pipeline] = {
    "none": Pipeline("", "import and export only"),
    "cleanup": Pipeline(
        "onnx-infer-shapes,onnx-simplify-shape-chains,onnx-fold-constants,onnx-fold-neutral-elements,"
        "onnx-eliminate-identities,onnx-merge-constants,onnx-cse,onnx-compose-transposes,onnx-merge-reshapes,"
        "onnx-fold-casts,onnx-eliminate-dead",
        "shape chains, constant and neutral-element folding (class 1), class-0 cleanup",
        fixed_point=True,
    ),
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


def pass_manager(pipeline: str | None = "none", passes: str | None = None) -> PassManager:
    """The pass manager for a named pipeline, or for an explicit pass list (which wins)."""
    if passes is not None:
        return PassManager(parse_passes(passes), fixed_point=False, spec=passes)
    named = resolve(pipeline or "none")
    return PassManager(parse_passes(named.passes), fixed_point=named.fixed_point, spec=named.passes)
