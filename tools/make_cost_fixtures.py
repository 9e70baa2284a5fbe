"""Export torchvision models as weightless ONNX fixtures for the cost model's FLOP tests.

Why: the cost model's FLOP and byte counts are checked against published figures
(torchvision's own "GFLOPS" column, which counts multiply-accumulates of
convolutions, linear layers and attention matmuls: ResNet-50 4.09 G at 224²).
That needs the real architectures, but not their weights: every float
initializer with more than ``KEEP_ELEMENTS`` elements becomes a graph input of
the same name, type and shape, so a fixture is a few KB to a few hundred KB.
Small and integer initializers (reshape targets, axes, scalars) stay: shape
inference needs their values. The replaced names are listed in the model's
``metadata_props`` under ``onnxforge.weight_inputs`` so the cost model still
counts them as weights.

Export protocol: ``torchvision.models.<name>(weights=None)``, ``eval()``, input
``[1, 3, 224, 224]`` (static), TorchScript exporter (``dynamo=False``), opset 17,
``do_constant_folding=False`` — so BatchNormalization stays a node, as it is a
kernel in PyTorch eager (constant folding would fold it into the conv).

Usage: ``python tools/make_cost_fixtures.py [--only NAME ...] [--out DIR]``
(needs torch and torchvision; torchvision 0.28 is installed ``--no-deps`` here
and needs the ``torchvision::nms``-family op schemas defined before import).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import sys
import warnings
from pathlib import Path

import numpy as np
import onnx
from onnx import helper

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "tests" / "fixtures" / "cost"
KEEP_ELEMENTS = 64
"""Float initializers up to this many elements stay (LayerNorm epsilons, tiny constants)."""
WEIGHT_INPUTS_KEY = "onnxforge.weight_inputs"

MODELS = {
    # name: (constructor kwargs, input size); the published MACs are asserted in tests/cost/.
    "resnet18": ({}, 224),
    "resnet50": ({}, 224),
    "mobilenet_v2": ({}, 224),
    "vgg16": ({}, 224),
    "vit_b_16": ({}, 224),
}


def _define_torchvision_ops() -> None:
    """torchvision's C++ ops are missing from a ``--no-deps`` install: declare their schemas so
    ``import torchvision`` succeeds (the models used here never call them)."""
    import torch

    if getattr(_define_torchvision_ops, "library", None) is not None:
        return
    schemas = {  # name: schema (torchvision/csrc/ops/*.cpp)
        "nms": "nms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor",
        "qnms": "qnms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor",
        "roi_align": "roi_align(Tensor input, Tensor rois, float spatial_scale, SymInt pooled_height, "
        "SymInt pooled_width, int sampling_ratio, bool aligned) -> Tensor",
        "roi_pool": "roi_pool(Tensor input, Tensor rois, float spatial_scale, SymInt pooled_height, "
        "SymInt pooled_width) -> (Tensor, Tensor)",
        "ps_roi_align": "ps_roi_align(Tensor input, Tensor rois, float spatial_scale, SymInt pooled_height, "
        "SymInt pooled_width, int sampling_ratio) -> (Tensor, Tensor)",
        "ps_roi_pool": "ps_roi_pool(Tensor input, Tensor rois, float spatial_scale, SymInt pooled_height, "
        "SymInt pooled_width) -> (Tensor, Tensor)",
        "deform_conv2d": "deform_conv2d(Tensor input, Tensor weight, Tensor offset, Tensor mask, Tensor bias, "
        "SymInt stride_h, SymInt stride_w, SymInt pad_h, SymInt pad_w, SymInt dilation_h, SymInt dilation_w, "
        "SymInt groups, SymInt offset_groups, bool use_mask) -> Tensor",
    }
    library = torch.library.Library("torchvision", "FRAGMENT")
    for schema in schemas.values():
        try:
            library.define(schema)
        except RuntimeError:
            pass  # already defined (a real torchvision build, or a second call)
    _define_torchvision_ops.library = library  # type: ignore[attr-defined]  # keep the registration alive


def strip_weights(model: onnx.ModelProto) -> onnx.ModelProto:
    """Turn every float initializer with more than KEEP_ELEMENTS elements into a graph input."""
    graph = model.graph
    kept, moved = [], []
    for init in graph.initializer:
        size = int(np.prod(init.dims)) if init.dims else 1
        is_float = init.data_type in (onnx.TensorProto.FLOAT, onnx.TensorProto.FLOAT16, onnx.TensorProto.BFLOAT16)
        (moved if is_float and size > KEEP_ELEMENTS else kept).append(init)
    existing = {i.name for i in graph.input}
    for init in moved:
        if init.name not in existing:
            graph.input.append(helper.make_tensor_value_info(init.name, init.data_type, list(init.dims)))
    del graph.initializer[:]
    graph.initializer.extend(kept)
    entry = model.metadata_props.add()
    entry.key, entry.value = WEIGHT_INPUTS_KEY, ",".join(i.name for i in moved)
    return model


def export(name: str, out_dir: Path) -> Path:
    import torch

    _define_torchvision_ops()
    import torchvision

    kwargs, size = MODELS[name]
    torch.manual_seed(0)
    if name.startswith("vit"):
        torch.backends.mha.set_fastpath_enabled(False)
    model = getattr(torchvision.models, name)(weights=None, **kwargs).eval()
    example = torch.randn(1, 3, size, size)
    buffer = io.BytesIO()
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()), torch.no_grad():
        warnings.simplefilter("ignore")
        torch.onnx.export(model, (example,), buffer, dynamo=False, opset_version=17, do_constant_folding=False,
                          input_names=["input"], output_names=["output"])
    proto = strip_weights(onnx.load_from_string(buffer.getvalue()))
    onnx.checker.check_model(proto)
    path = out_dir / f"{name}.onnx"
    onnx.save(proto, path)
    return path


def _fill_weights_run(path: Path) -> None:
    """Smoke check: onnxruntime runs the fixture with random weights fed as inputs."""
    import onnxruntime as ort

    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    rng = np.random.default_rng(0)
    feeds = {i.name: rng.standard_normal([d if isinstance(d, int) else 1 for d in i.shape]).astype(np.float32)
             for i in session.get_inputs()}
    session.run(None, feeds)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", nargs="*", choices=sorted(MODELS), help="models to export (default all)")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    for name in args.only or MODELS:
        path = export(name, args.out)
        _fill_weights_run(path)
        model = onnx.load(path)
        print(f"{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}: "
              f"{os.path.getsize(path) / 1024:.0f} KB, {len(model.graph.node)} nodes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
