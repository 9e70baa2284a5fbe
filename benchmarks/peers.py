"""Peer graph-cleanup tools, one adapter each: ``(in_path, out_path) -> None``.

Each adapter applies the tool's *default* cleanup the way its documentation
shows it, for a model with dynamic axes: no input shapes are fixed, no
tool-specific tuning. Results over 2 GiB are written with external data
(``OUT.onnx.data``). Needs the ``bench`` extra (``pip install -e ".[bench]"``).

    python benchmarks/peers.py onnxslim IN.onnx OUT.onnx     # run one adapter by hand

``onnxforge`` is the ``forgec`` command line run as a subprocess, with the
pipeline given by ``--pipeline`` (default ``cleanup``); the benchmark
(``cleanup_peers.py``) uses :func:`onnxforge_main` instead, the same entry
point called inside its own fresh measuring process, so that start-up is not
counted for any tool.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

TWO_GIB = 2**31
"""Protobuf's limit on one serialized message; above it weights must go to external data."""


def _data_location(out_path: str | os.PathLike) -> str:
    return os.path.basename(os.fspath(out_path)) + ".data"


def _save_proto(model, out_path: str | os.PathLike) -> None:  # type: ignore[no-untyped-def]
    """``onnx.save``, with all weights in one ``OUT.onnx.data`` when the model passes 2 GiB."""
    import onnx

    out_path = os.fspath(out_path)
    data = os.path.join(os.path.dirname(os.path.abspath(out_path)), _data_location(out_path))
    if os.path.exists(data):  # onnx appends to an existing data file
        os.remove(data)
    if model.ByteSize() < TWO_GIB:
        onnx.save(model, out_path)
    else:
        onnx.save(model, out_path, save_as_external_data=True, all_tensors_to_one_file=True,
                  location=_data_location(out_path))


def onnxslim(in_path: str | os.PathLike, out_path: str | os.PathLike) -> None:
    """``onnxslim.slim(model_path, output_path)``: its default pass set iterated to convergence
    (no input shapes). onnxslim writes external data itself when the weights pass 2 GiB."""
    import onnxslim as slim_mod

    result = slim_mod.slim(os.fspath(in_path), os.fspath(out_path))
    if result is None and not os.path.exists(out_path):
        raise RuntimeError("onnxslim returned no model")


def onnxsim(in_path: str | os.PathLike, out_path: str | os.PathLike) -> None:
    """``onnxsim.simplify(path, output_path=...)`` with default arguments: no
    ``overwrite_input_shapes``/``test_input_shapes`` (dynamic axes stay dynamic), no check
    runs (``check_n=0``). ``external_data_threshold="2GB"``: external data only past 2 GiB,
    like the other tools (onnxsim's own default externalizes from 100 MB)."""
    import onnxsim as sim_mod

    _, ok = sim_mod.simplify(os.fspath(in_path), output_path=os.fspath(out_path), external_data_threshold="2GB")
    if not ok:
        raise RuntimeError("onnxsim reported the simplified model as not valid")


def onnxoptimizer(in_path: str | os.PathLike, out_path: str | os.PathLike) -> None:
    """``onnxoptimizer.optimize(model, fixed_point=True)``: the default pass list
    (``get_fuse_and_elimination_passes()``), repeated to a fixed point as its command line
    offers (``python -m onnxoptimizer IN OUT --fixed_point``)."""
    import onnx
    import onnxoptimizer as opt_mod

    model = onnx.load(os.fspath(in_path))
    model = opt_mod.optimize(model, fixed_point=True)
    _save_proto(model, out_path)


def onnxscript(in_path: str | os.PathLike, out_path: str | os.PathLike) -> None:
    """``onnxscript.optimizer.optimize(model)`` with default arguments on an ``onnx_ir`` model
    (loaded with ``onnx_ir.load``, saved with ``onnx_ir.save``; the optimizer works on the IR
    in place and returns it)."""
    import onnx_ir as ir
    import onnxscript.optimizer

    model = ir.load(os.fspath(in_path))
    weights = sum(v.const_value.nbytes for v in model.graph.initializers.values() if v.const_value is not None)
    external = weights >= TWO_GIB
    model = onnxscript.optimizer.optimize(model)
    data = os.path.join(os.path.dirname(os.path.abspath(out_path)), _data_location(out_path))
    if os.path.exists(data):
        os.remove(data)
    ir.save(model, os.fspath(out_path), external_data=_data_location(out_path) if external else None)


ORT_MODEL_TYPES = {"bert": "bert", "distilbert": "bert", "roberta": "bert", "gpt2": "gpt2", "vit": "vit",
                   "whisper_encoder": "bert", "llama": "gpt2"}
"""onnxruntime transformers optimizer ``model_type`` per corpus architecture (CNNs: ``bert``, its generic default)."""


def architecture(path: str | os.PathLike) -> str:
    """The corpus architecture of a model file named like ``bert_full_ts.onnx``."""
    stem = Path(path).name.split(".")[0]
    return stem.split("_full_")[0].split("_ts")[0].split("_dynamo")[0]


def ort_transformers(in_path: str | os.PathLike, out_path: str | os.PathLike) -> None:
    """onnxruntime's transformers optimizer, ``optimize_model(path, model_type=T)`` with num_heads and
    hidden_size auto-detected (0) and its default opt_level, CPU; ``model_type`` from the architecture."""
    from onnxruntime.transformers.optimizer import optimize_model

    model = optimize_model(os.fspath(in_path), model_type=ORT_MODEL_TYPES.get(architecture(in_path), "bert"),
                           num_heads=0, hidden_size=0)
    large = model.model.ByteSize() >= TWO_GIB
    model.save_model_to_file(os.fspath(out_path), use_external_data_format=large, all_tensors_to_one_file=True)


def onnxscript_ort(in_path: str | os.PathLike, out_path: str | os.PathLike) -> None:
    """``onnxscript.rewriter.ort_fusions.optimize_for_ort(model)`` on an ``onnx_ir`` model: onnxscript's
    transformer fusions into onnxruntime contrib ops, after its default optimizer."""
    import onnx_ir as ir
    import onnxscript.optimizer
    from onnxscript.rewriter.ort_fusions import optimize_for_ort

    model = ir.load(os.fspath(in_path))
    weights = sum(v.const_value.nbytes for v in model.graph.initializers.values() if v.const_value is not None)
    model = onnxscript.optimizer.optimize(model)
    model, _ = optimize_for_ort(model)
    data = os.path.join(os.path.dirname(os.path.abspath(out_path)), _data_location(out_path))
    if os.path.exists(data):
        os.remove(data)
    ir.save(model, os.fspath(out_path), external_data=_data_location(out_path) if weights >= TWO_GIB else None)


def _forgec_args(pipeline: str) -> list[str]:
    """``"transformer --target=ort"`` → ``["--pipeline=transformer", "--target=ort"]``."""
    name, *flags = pipeline.split()
    return [f"--pipeline={name}", *flags]


def onnxforge(in_path: str | os.PathLike, out_path: str | os.PathLike, pipeline: str = "cleanup") -> None:
    """``forgec IN -o OUT --pipeline=PIPELINE [flags]`` as a subprocess (external data past 2 GiB or
    when the input had it: forgec's own default); ``pipeline`` may carry flags: ``"auto --target=ort"``."""
    forgec = Path(sys.executable).with_name("forgec")
    command = [str(forgec)] if forgec.exists() else [sys.executable, "-m", "onnxforge.cli.forgec"]
    result = subprocess.run([*command, os.fspath(in_path), "-o", os.fspath(out_path), *_forgec_args(pipeline)],
                            capture_output=True, text=True, check=False)
    if result.returncode != 0:
        lines = result.stderr.strip().splitlines()
        raise RuntimeError(lines[-1] if lines else f"forgec exited {result.returncode}")


def onnxforge_main(in_path: str | os.PathLike, out_path: str | os.PathLike, pipeline: str = "cleanup") -> None:
    """The same as :func:`onnxforge`, calling forgec's entry point in this process."""
    import contextlib
    import io

    from onnxforge.cli.forgec import main

    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        code = main([os.fspath(in_path), "-o", os.fspath(out_path), *_forgec_args(pipeline)])
    if code != 0:
        lines = err.getvalue().strip().splitlines()
        raise RuntimeError(lines[-1] if lines else f"forgec exited {code}")


TOOLS: dict[str, Callable[..., None]] = {
    "onnxforge": onnxforge,
    "onnxslim": onnxslim,
    "onnxsim": onnxsim,
    "onnxoptimizer": onnxoptimizer,
    "onnxscript": onnxscript,
    "ort-transformers": ort_transformers,
    "onnxscript-ort": onnxscript_ort,
}

PACKAGES = {"onnxslim": "onnxslim", "onnxsim": "onnxsim", "onnxoptimizer": "onnxoptimizer",
            "onnxscript": "onnxscript", "onnxforge": "onnxforge", "ort-transformers": "onnxruntime",
            "onnxscript-ort": "onnxscript"}


def version(tool: str) -> str:
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as dist_version

    try:
        return dist_version(PACKAGES[tool])
    except PackageNotFoundError:
        return "not installed"


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("tool", choices=list(TOOLS))
    parser.add_argument("model")
    parser.add_argument("output")
    parser.add_argument("--pipeline", default="cleanup", help="forgec pipeline (onnxforge only)")
    args = parser.parse_args(argv)
    if args.tool == "onnxforge":
        onnxforge(args.model, args.output, args.pipeline)
    else:
        TOOLS[args.tool](args.model, args.output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
