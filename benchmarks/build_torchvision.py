#!/usr/bin/env python3
"""Export the torchvision models of the Orin calibration data into benchmarks/models/tv/ (not committed).

The models are the eleven of ``shared/data/orin_agx_50w_measured.csv``, built the way that harness
built them: ``torchvision.models.<name>(weights=None)`` in eval mode, segmentation models without the
aux head and without backbone weights, one static 1x3x224x224 input. The export uses the TorchScript
exporter (``dynamo=False``) at opset 17.

BatchNormalization is kept as its own node (``training=PRESERVE`` on an eval-mode model skips the
exporter's Conv+BN folding): PyTorch eager, which produced the reference latencies, launches one
kernel per BatchNorm module, and on Orin a kernel costs ≈92 µs of host time whatever it does, so a
graph with BN folded away would miss a third of ResNet's kernels. Runtimes that fold BN themselves
(onnxruntime does) see the same graph as before.

Needs torch 2.13 (CPU) and torchvision 0.28 installed ``--no-deps`` (plus pillow, which
``import torchvision`` needs). torchvision's compiled ops are not loaded without its C++ extension,
so the schemas of ``torchvision::nms`` / ``qnms`` (referenced at import) are defined here first.

    python benchmarks/build_torchvision.py               # all eleven, skipping files that exist
    python benchmarks/build_torchvision.py resnet18 vit_b_16 --force
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "benchmarks" / "models" / "tv"
OPSET = 17
IMAGE = 224

# model name -> family, as in the Orin CSV (the order of the CSV).
MODELS: dict[str, str] = {
    "resnet18": "resnet", "resnet50": "resnet", "resnet101": "resnet",
    "mobilenet_v2": "mobilenet", "mobilenet_v3_small": "mobilenet",
    "efficientnet_b0": "efficientnet",
    "vgg11": "vgg", "vgg19": "vgg",
    "vit_b_16": "vit", "vit_l_16": "vit",
    "deeplabv3_resnet50": "segmentation",
}


def model_path(name: str) -> Path:
    return OUT / f"{name}.onnx"


def _import_torchvision():  # type: ignore[no-untyped-def]
    """Import torchvision without its C++ extension: define the op schemas its Python code refers to."""
    import torch

    try:
        torch.ops.torchvision.nms  # noqa: B018  (defined already: the extension or an earlier call)
    except (AttributeError, RuntimeError):
        lib = torch.library.Library("torchvision", "DEF")
        lib.define("nms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor")
        lib.define("qnms(Tensor qdets, Tensor scores, float iou_threshold) -> Tensor")
        _LIBS.append(lib)  # a Library drops its definitions when garbage-collected
    import torchvision

    return torchvision


_LIBS: list[object] = []


def build(name: str):  # type: ignore[no-untyped-def]
    """The eval-mode torch module for ``name``, with random (seeded) weights."""
    import torch

    torchvision = _import_torchvision()
    torch.manual_seed(0)
    torch.backends.mha.set_fastpath_enabled(False)  # ViT: export the plain attention path
    if name.startswith("deeplabv3"):
        model = getattr(torchvision.models.segmentation, name)(weights=None, weights_backbone=None, aux_loss=False)
    else:
        model = getattr(torchvision.models, name)(weights=None)
    return model.eval()


def export(name: str, path: Path) -> None:
    import torch

    model = build(name)
    example = torch.randn(1, 3, IMAGE, IMAGE)
    with torch.no_grad(), warnings.catch_warnings():
        # the legacy-exporter notice, a tracer warning in ViT's shape assert, and the PRESERVE+folding
        # advice (which concerns models in training mode; ours is in eval mode)
        warnings.simplefilter("ignore")
        torch.onnx.export(model, (example,), str(path), dynamo=False, opset_version=OPSET,
                          training=torch.onnx.TrainingMode.PRESERVE, do_constant_folding=True,
                          input_names=["input"], output_names=["output"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("models", nargs="*", default=list(MODELS), help=f"default: all of {', '.join(MODELS)}")
    parser.add_argument("--force", action="store_true", help="re-export files that exist")
    args = parser.parse_args(argv)
    unknown = [m for m in args.models if m not in MODELS]
    if unknown:
        parser.error(f"unknown model(s) {', '.join(unknown)}; choose from {', '.join(MODELS)}")
    OUT.mkdir(parents=True, exist_ok=True)
    for name in args.models:
        path = model_path(name)
        if path.exists() and not args.force:
            print(f"{path.name}: exists")
            continue
        start = time.perf_counter()
        export(name, path)
        gc.collect()
        print(f"{path.name}: exported in {time.perf_counter() - start:.0f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
