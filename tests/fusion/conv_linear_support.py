"""Test support for the Conv+BN, Conv+activation, linear and QKV fusions: trained-looking fixtures and small graphs.

The fixtures are freshly initialised Hugging Face models: every bias is zero and
every BatchNorm is the identity (γ = 1, β = 0, mean = 0, var = 1), so cleanup
folds the bias Adds away and a wrong BN fold would go unnoticed. ``trained``
gives each 1-D ``*.weight`` / ``*.bias`` / ``*running_*`` initializer random
values first (a positive γ, since TorchScript exports share it with the running
variance), like a trained checkpoint. Compiling and comparing reuses the
helpers of ``llama_support``.
"""

from __future__ import annotations

import functools

import numpy as np
import onnx
from llama_support import FIXTURES, model_opset
from onnx import TensorProto, helper, numpy_helper

from onnxforge.backends.onnx_export import to_model_proto
from onnxforge.compiler import load_model, optimize, to_ir
from onnxforge.frontend.opset_conversion import raise_opset
from onnxforge.lowering import LoweringTarget
from onnxforge.passmanager import RunState
from onnxforge.passmanager.manager import Instrumentation


def _randomize(model: onnx.ModelProto, seed: int) -> onnx.ModelProto:
    rng = np.random.default_rng(seed)
    for tensor in model.graph.initializer:
        name = tensor.name
        if len(tensor.dims) != 1 or tensor.data_type != TensorProto.FLOAT:
            continue
        if name.endswith((".weight", "running_var")):
            values = rng.uniform(0.5, 1.5, tensor.dims[0])
        elif name.endswith((".bias", "running_mean")):
            values = rng.normal(0.0, 0.5, tensor.dims[0])
        else:
            continue
        tensor.CopyFrom(numpy_helper.from_array(values.astype(np.float32), name))
    return model


@functools.cache
def trained(name: str, seed: int = 0) -> bytes:
    """The fixture with random 1-D weights, biases and BN statistics, after ``cleanup`` (serialised)."""
    model = _randomize(onnx.load(str(FIXTURES / f"{name}.onnx")), seed)
    module = to_ir(load_model(model))
    optimize(module, "cleanup")
    return to_model_proto(module).SerializeToString()


def model(nodes: list[onnx.NodeProto], inputs: list[onnx.ValueInfoProto], outputs: list[str],
          initializers: dict[str, np.ndarray], opset: int = 17, elem: int = TensorProto.FLOAT) -> onnx.ModelProto:
    """A model whose outputs are declared without shapes (the compiler must not rely on them)."""
    graph = helper.make_graph(
        nodes, "synthetic", inputs,
        [helper.make_tensor_value_info(name, elem, None) for name in outputs],
        [numpy_helper.from_array(value, name) for name, value in initializers.items()],
    )
    built = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    built.ir_version = 8
    return built


def tensor(name: str, shape: list[int | str], elem: int = TensorProto.FLOAT) -> onnx.ValueInfoProto:
    return helper.make_tensor_value_info(name, elem, shape)


def random(*shape: int, seed: int = 0, dtype: type = np.float32) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


def compile_state(original: onnx.ModelProto, passes: str, kind: str = "standard", opset: int | None = None) -> tuple[onnx.ModelProto, RunState]:
    """``llama_support.compile_for``, returning the whole run state (statistics and near misses)."""
    module = to_ir(load_model(original))
    if opset is not None:
        module = raise_opset(module, opset)
    target = LoweringTarget(kind, opset or model_opset(original))  # type: ignore[arg-type]
    report = optimize(module, passes=passes, instrumentation=Instrumentation(target=target))
    return to_model_proto(module), report.state


def near_misses(state: RunState, pass_name: str) -> list[str]:
    return [miss.reason for miss in state.near_misses if miss.pass_name == pass_name]
