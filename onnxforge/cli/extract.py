"""``forgec extract``: one module of a model tagged with its PyTorch module hierarchy, as a model of its own.

    forgec extract MODEL.onnx --module encoder.layer.3 -o LAYER3.onnx [--verify] [--dim batch=2] [--seed S]
    forgec extract MODEL.onnx --module proj@1 -o PROJ1.onnx    # the second call of proj only
    forgec extract MODEL.onnx --list                           # the module paths, with their node counts

The module's inputs are the activations it reads (constants and shape arithmetic on what it holds are
cloned in: ``onnxio.extract``). ``--verify`` runs the full model with onnxruntime on random inputs, its
boundary values exposed as extra outputs, then the extracted model on the values at its inputs, and
compares its outputs with the full model's values there: each output's max |Δ| must be at most
``TOLERANCE`` · max(1, max |value|) (absolute below magnitude 1, relative to the output's largest
|value| above); the model is written only when it passes.

Errors are one ``forgec: error:`` line on stderr and exit 1; the input is never overwritten and the
output is written atomically (no partial file is left).
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from onnxforge.cli.command import run, subcommand_argv
from onnxforge.errors import ForgeError

if TYPE_CHECKING:
    import numpy as np

    from onnxforge.onnxio.extract import Extraction
    from onnxforge.onnxio.loader import LoadedModel

TOLERANCE = 1e-6
"""Largest max |Δ| of an extracted output, absolute up to magnitude 1 and relative to max |value| above."""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="forgec extract", formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Write one module of a model tagged with its PyTorch module hierarchy (onnxforge.module) "
                    "as a runnable model: its nodes, with the activations it reads as inputs and the values "
                    "used outside it as outputs.",
    )
    parser.add_argument("model", metavar="MODEL", help="the .onnx model (never modified)")
    parser.add_argument("--module", metavar="PATH[@CALL]",
                        help="dotted module path (encoder.layer.3; '' is the whole model); PATH@N takes call N only")
    parser.add_argument("-o", "--output", type=Path, help="the .onnx file to write (required unless --list)")
    parser.add_argument("--list", action="store_true", help="print the module paths with their node counts, then exit")
    parser.add_argument("--verify", action="store_true",
                        help=f"check the extracted model against the full model with onnxruntime (max |Δ| ≤ "
                             f"{TOLERANCE:g}·max(1, max |value|) per output); nothing is written when it fails")
    parser.add_argument("--seed", type=int, default=0, help="seed of the random inputs of --verify")
    parser.add_argument("--dim", action="append", default=[], metavar="NAME=VALUE",
                        help="bind a symbolic dim of the full model's inputs for --verify")
    parser.add_argument("-q", "--quiet", action="store_true", help="print nothing but errors")
    parser.add_argument("--debug", action="store_true", help="show tracebacks of internal errors")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(subcommand_argv(argv, "extract"))
    return run(lambda: _run(args), args.debug)


def _run(args: argparse.Namespace) -> int:
    from onnxforge.onnxio.extract import extract_module, module_counts, parse_module_spec
    from onnxforge.onnxio.loader import load

    source = Path(args.model)
    if args.list:
        return _list(module_counts(load(source).proto), args.model)
    if args.module is None:
        raise ForgeError("--module PATH is required (forgec extract MODEL --list shows the paths)")
    if args.output is None:
        raise ForgeError("-o OUT.onnx is required")
    path, call = parse_module_spec(args.module)
    dims = _dims(args.dim)
    _check_output(source, args.output)
    loaded = load(source)
    extraction = extract_module(loaded, path, call)
    check = _Check(loaded, extraction, args.seed, dims) if args.verify else None

    from onnxforge.onnxio.writer import write_model

    written = write_model(extraction.exported(), args.output, protected=loaded.source_files, check=check)
    if not args.quiet:
        verified = f"; {check.result}" if check is not None else ""
        print(f"forgec: extracted {extraction.label!r}: {extraction.nodes} nodes (+{extraction.cloned} cloned), "
              f"{_names(extraction.inputs)} in, {_names(extraction.outputs)} out{verified}; wrote "
              f"{', '.join(map(str, written))}", file=sys.stderr)
    return 0


def _names(names: list[str], shown: int = 4) -> str:
    listed = ", ".join(names[:shown]) + (f", … ({len(names)} in all)" if len(names) > shown else "")
    return f"{len(names)} ({listed})" if names else "0"


def _dims(pairs: list[str]) -> dict[str, int]:
    from onnxforge.cli.instruments import _dims as parse

    return parse(pairs)


def _check_output(source: Path, output: Path) -> None:
    """Refuse the output before any work: the input itself, a link, a missing directory."""
    from onnxforge.onnxio.writer import destination, same_file

    if same_file(source, output):
        raise ForgeError(f"{output}: refusing to overwrite the input model")
    destination(output)
    if not output.parent.is_dir():
        raise ForgeError(f"{output}: directory {str(output.parent)!r} does not exist")


def _list(counts, label: str) -> int:  # type: ignore[no-untyped-def]
    if not counts:
        raise ForgeError(f"{label}: the model has no onnxforge.module tags (no node says which module made it)")
    width = len(str(max(c.nodes for c in counts)))
    for count in counts:
        calls = f"  ({count.calls} calls: @0…@{count.calls - 1})" if count.calls > 1 else ""
        sys.stdout.write(f"{count.nodes:>{width}}  {count.path or '(root)'}{calls}\n")
    return 0


# --- verification --------------------------------------------------------------------------------


@dataclass
class _Check:
    """``--verify`` as the writer's check: the full model is run once, here, on random inputs; the
    extracted model as written (a temporary file) runs on the values at its inputs."""

    loaded: LoadedModel
    extraction: Extraction
    seed: int
    dims: dict[str, int]
    result: str = ""
    worst: dict[str, float] = field(default_factory=dict)
    """Output → max |Δ| of the last check."""

    def __post_init__(self) -> None:
        self.feeds, self.expected, self.bound = _boundary_values(self.loaded, self.extraction, self.seed, self.dims)

    def __call__(self, candidate: Path | bytes) -> None:
        from onnxforge.runtime import compare, run

        try:
            actual = run(candidate if isinstance(candidate, bytes) else str(candidate), self.feeds)
        except ForgeError as err:
            raise ForgeError(f"cannot verify (output not written): the extracted model: {err}") from None
        report = compare(self.expected, actual)
        shown = ", ".join(f"{k}={v}" for k, v in self.bound.items()) or "static shapes"
        if report.problems:
            raise ForgeError(f"verification failed ({shown}): {'; '.join(report.problems)}; output not written")
        self.worst = {o.name: 0.0 if o.identical else o.max_abs for o in report.outputs}
        bad = [o for o in report.outputs if not o.identical and not o.max_abs <= TOLERANCE * max(1.0, o.magnitude)]
        diffs = ", ".join(f"{o.name} {0.0 if o.identical else o.max_abs:.3g}" for o in report.outputs)
        if bad:
            raise ForgeError(f"verification failed ({shown}): max |Δ| {diffs}, over {TOLERANCE:g}·max(1, max |value|) "
                             "for " + ", ".join(o.name for o in bad) + "; output not written")
        self.result = f"verified with onnxruntime ({shown}): max |Δ| {diffs}"


def _boundary_values(loaded: LoadedModel, extraction: Extraction, seed: int, dims: dict[str, int]
                     ) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray], dict[str, int]]:
    """Random inputs of the full model, and its values at the extraction's inputs and outputs (the
    extraction's feeds, and what its outputs must be), with the dims the inputs were given. External
    weights are not read here: onnxruntime reads them from the model's folder, after the loader has
    checked each file (``LoadedModel.resolve_external``: inside the folder, no link, the right size)."""
    import onnx
    from onnx import TensorProto

    from onnxforge.runtime import make_inputs, run

    source = loaded.path
    assert source is not None

    try:  # the skeleton: external weights stay in their files, which onnxruntime reads itself
        full = onnx.load(str(source), load_external_data=False)
    except Exception as err:  # onnx raises its own types
        raise ForgeError(f"cannot verify: cannot load {source}: {err}") from None
    feeds, bound = make_inputs(full, seed, dims)
    wanted = [n for n in [*extraction.inputs, *extraction.outputs] if n not in feeds]
    present = {o.name for o in full.graph.output}
    types = {v.name: v for v in [*extraction.proto.graph.input, *extraction.proto.graph.output]}
    full.graph.output.extend(types[n] for n in wanted if n not in present)
    external = [t for t in loaded.proto.graph.initializer if t.data_location == TensorProto.EXTERNAL]
    for tensor in external:
        loaded.resolve_external(tensor)
    values = run(full, feeds, external_dir=source.parent if external else None)
    known = {**values, **feeds}
    return ({n: known[n] for n in extraction.inputs}, {n: known[n] for n in extraction.outputs}, bound)


if __name__ == "__main__":
    sys.exit(main())
