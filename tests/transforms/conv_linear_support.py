"""Test support for the Conv+BN, Conv+activation, linear and QKV fusions: trained-looking fixtures and small graphs.

The fixtures are freshly initialised Hugging Face models: every bias is zero and
every BatchNorm is the identity (γ = 1, β = 0, mean = 0, var = 1), so cleanup
folds the bias Adds away and a wrong BN fold would go unnoticed. ``trained``
gives each 1-D ``*.weight`` / ``*.bias`` / ``*running_*`` initializer random
values first (a positive γ, since TorchScript exports share it with the running
variance), like a trained checkpoint. Compiling and comparing is in ``support``.
"""

from __future__ import annotations

import functools

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper
from support import FIXTURES, clean, synthetic_model


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
    return clean(_randomize(onnx.load(str(FIXTURES / f"{name}.onnx")), seed))


def model(nodes: list[onnx.NodeProto], inputs: list[onnx.ValueInfoProto], outputs: list[str],
          initializers: dict[str, np.ndarray], opset: int = 17, elem: int = TensorProto.FLOAT) -> onnx.ModelProto:
    """A model whose outputs are declared without shapes (the compiler must not rely on them)."""
    graph = helper.make_graph(
        nodes, "synthetic", inputs,
        [helper.make_tensor_value_info(name, elem, None) for name in outputs],
        [numpy_helper.from_array(value, name) for name, value in initializers.items()],
    )
    return synthetic_model(graph, opset, check=False)


def tensor(name: str, shape: list[int | str], elem: int = TensorProto.FLOAT) -> onnx.ValueInfoProto:
    return helper.make_tensor_value_info(name, elem, shape)


def random(*shape: int, seed: int = 0, dtype: type = np.float32) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)

