"""Named pipelines are data: a name maps to a pass-pipeline string in xDSL's syntax."""

from __future__ import annotations

from xdsl.dialects.builtin import ModuleOp
from xdsl.passes import PassPipeline

from onnxforge.errors import ForgeError

PIPELINES: dict[str, str] = {
    "none": "",
}
"""Pipeline name → pass list (``name{opt=value},name2``); ``none`` imports and exports only."""

PASSES: dict[str, type] = {}
"""Registered passes by name (filled as passes are added)."""


def resolve(pipeline: str) -> str:
    """The pass list of a named pipeline (or of a pass list given directly)."""
    if pipeline in PIPELINES:
        return PIPELINES[pipeline]
    raise ForgeError(f"unknown pipeline {pipeline!r} (known: {', '.join(sorted(PIPELINES))})")


def run_pipeline(module: ModuleOp, pipeline: str) -> None:
    """Run a named pipeline on the module in place."""
    spec = resolve(pipeline)
    if not spec:
        return
    from onnxforge.ir.context import make_context

    try:
        pipeline_obj = PassPipeline.parse_spec({k: (lambda v=v: v) for k, v in PASSES.items()}, spec)
    except ValueError as err:
        raise ForgeError(str(err)) from None
    pipeline_obj.apply(make_context(), module)
