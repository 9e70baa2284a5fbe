"""Test support shared by the fusion tests: clean a fixture, compile for a target, count ops, verify.

The fusions run after the ``cleanup`` pipeline, so fixtures are cleaned once per test session;
each test then runs ``onnx-infer-shapes,<fusion>,nn-lower`` (or a pipeline) for one target and
compares the result with the original model on onnxruntime (accuracy class 1: 1e-4). The
family-specific builders of synthetic exports live in ``llama_support``, ``norm_gelu_support``,
``conv_linear_support`` and ``attention_graphs``.
"""

from __future__ import annotations

import functools
from pathlib import Path

import onnx
from onnx import helper
from paths import FIXTURES

from onnxforge.compiler import load_model, optimize, to_ir
from onnxforge.onnxio.exporter import to_model_proto
from onnxforge.passmanager import RunState
from onnxforge.runtime import verify

CLASS_1 = 1e-4
"""Accuracy class 1: float rounding only."""


def clean(model: onnx.ModelProto | Path) -> bytes:
    """``model`` after the ``cleanup`` pipeline (serialised: tests must not share a ModelProto)."""
    module = to_ir(load_model(model))
    optimize(module, "cleanup")
    return to_model_proto(module).SerializeToString()


@functools.cache
def cleaned(name: str) -> bytes:
    """The fixture ``name`` after the ``cleanup`` pipeline (serialised, cached for the session)."""
    return clean(FIXTURES / f"{name}.onnx")


def model_opset(model: onnx.ModelProto) -> int:
    """The default-domain opset a model imports."""
    return next(o.version for o in model.opset_import if o.domain in ("", "ai.onnx"))


def compile_state(original: onnx.ModelProto, passes: str, kind: str = "standard", opset: int | None = None) -> tuple[onnx.ModelProto, RunState]:
    """Run ``passes`` with ``target=kind`` filled in (``opset``: convert the model first, like ``--target-opset``).

    Returns the compiled model and the whole run state (statistics and near misses).
    """
    module = to_ir(load_model(original))
    report = optimize(module, passes=passes, target=kind, target_opset=opset)
    return to_model_proto(module), report.state


def compile_for(model: onnx.ModelProto, passes: str, kind: str, opset: int | None = None) -> tuple[onnx.ModelProto, dict[str, int]]:
    """``compile_state``, returning the rewrite statistics (``pass/pattern`` → count) of the run."""
    compiled, state = compile_state(model, passes, kind, opset)
    return compiled, dict(state.statistics)


def near_misses(state: RunState, pass_name: str) -> list[str]:
    """The reasons of the near misses ``pass_name`` recorded in a run."""
    return [miss.reason for miss in state.near_misses if miss.pass_name == pass_name]


def assert_close(original: onnx.ModelProto, compiled: onnx.ModelProto, atol: float = CLASS_1) -> None:
    """Both models agree on onnxruntime within ``atol`` for two random feeds."""
    for seed in (0, 1):
        report = verify(original, compiled, seed=seed)
        assert report.within(atol), report.summary()


def op_types(model: onnx.ModelProto) -> dict[tuple[str, str], int]:
    """How many nodes of each ``(domain, op_type)`` the main graph holds."""
    counts: dict[tuple[str, str], int] = {}
    for node in model.graph.node:
        counts[(node.domain, node.op_type)] = counts.get((node.domain, node.op_type), 0) + 1
    return counts


def synthetic_model(graph: onnx.GraphProto, opset: int, ir_version: int = 8, check: bool = True) -> onnx.ModelProto:
    """A model of ``graph`` importing the default domain at ``opset`` (checked unless ``check`` is False)."""
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = ir_version
    if check:
        onnx.checker.check_model(model)
    return model
