"""``forgec modules``: nodes, parameters, FLOPs, bytes and estimated time per ``nn.Module``.

    forgec modules MODEL.onnx                                        # indented tree, host target
    forgec modules MODEL.onnx --depth 3 --format md                  # Markdown, modules down to depth 3
    forgec modules MODEL.onnx --pipeline transformer --target ort    # as imported and after, side by side
    forgec modules MODEL.onnx --cost orin-agx-50w --dim sequence=256 --format json -o modules.json

Exclusive (own) and inclusive (subtree) numbers per module path of the hierarchy tags, and their
coverage; how each number is attributed is in ``onnxforge/cost/modules.py``. ``--cost`` names the
cost target (default ``host``); ``--dim`` binds symbolic dims (defaults as ``forgec --cost``: batch=1,
sequence=128, reported). Errors are one ``forgec: error:`` line on stderr and exit 1; the input is
never modified, and no partial output file is left.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from onnxforge.cli.command import run, subcommand_argv
from onnxforge.errors import ForgeError
from onnxforge.targets import TARGET_KINDS

FORMATS = ("tree", "md", "json")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="forgec modules",
        description="Per-module report: nodes, parameters, FLOPs, bytes moved and estimated time of every "
                    "nn.Module (exclusive and inclusive), with the coverage of the hierarchy tags.")
    parser.add_argument("model", type=Path, metavar="MODEL", help=".onnx file (never modified)")
    parser.add_argument("--depth", type=int, metavar="N", help="show modules down to depth N (default: all)")
    parser.add_argument("--format", choices=FORMATS, default="tree", help="indented tree (default), Markdown or JSON")
    parser.add_argument("--pipeline", default="none",
                        help="also report the model after this pipeline, side by side (default none)")
    parser.add_argument("--target", choices=list(TARGET_KINDS), default="standard",
                        help="what the pipeline's fused ops lower to (default standard)")
    parser.add_argument("--cost", default="host", metavar="TARGET",
                        help="cost target of the time estimates (orin-agx-15w/30w/50w/maxn, host, or a .json; default host)")
    parser.add_argument("--dim", action="append", default=[], metavar="NAME=VALUE", help="bind a symbolic dim")
    parser.add_argument("-o", "--output", type=Path, help="write to this file instead of stdout")
    parser.add_argument("--debug", action="store_true", help="show tracebacks of internal errors")
    return parser


def _dims(pairs: list[str]) -> dict[str, int]:
    from onnxforge.cost.cost_annotate import parse_dims

    dims: dict[str, int] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip() or not value.strip().isdigit() or int(value) < 1:
            raise ForgeError(f"--dim expects NAME=POSITIVE_INTEGER, got {pair!r}")
        dims.update(parse_dims(pair))
    return dims


def _check(args: argparse.Namespace) -> None:
    """Everything that can be refused before any work."""
    from onnxforge.compiler import pass_manager
    from onnxforge.onnxio.writer import destination, same_file

    source = args.model
    if not source.is_file():
        raise ForgeError(f"{source}: no such file" if not source.exists() else f"{source}: not a file")
    if args.depth is not None and args.depth < 0:
        raise ForgeError(f"--depth {args.depth}: give a depth of 0 or more")
    if args.output is not None:
        if same_file(source, args.output):
            raise ForgeError(f"{args.output}: refusing to overwrite the input model")
        if not args.output.parent.is_dir():
            raise ForgeError(f"{args.output}: directory {str(args.output.parent)!r} does not exist")
        destination(args.output)  # a link or a directory is refused before any work
    pass_manager(args.pipeline, None, target=args.target)  # an unknown pipeline, before any work


def build(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    """The report the arguments ask for (``ModuleReport``)."""
    from onnxforge.compiler import load_model, optimize, to_ir
    from onnxforge.cost.hardware import load_target
    from onnxforge.cost.modules import report

    target = load_target(args.cost)
    dims = _dims(args.dim)
    module = to_ir(load_model(args.model))
    after, pipeline = None, args.pipeline if args.pipeline not in (None, "", "none") else ""
    if pipeline == "auto":
        from onnxforge.transforms.pipelines import choose

        pipeline = choose(module)  # named in the report, as forgec's summary does
    if pipeline:
        after = module.clone()
        optimize(after, pipeline, None, None, args.target)
        pipeline = f"--pipeline={pipeline}" + (f" --target={args.target}" if args.target != "standard" else "")
    return report(module, target, dims, None, args.depth, after, args.model.name, pipeline)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(subcommand_argv(argv, "modules"))
    return run(lambda: _main(args), args.debug)


def _main(args: argparse.Namespace) -> int:
    _check(args)
    from onnxforge.cost.modules import RENDER

    text = RENDER[args.format](build(args))
    if args.output is None:
        sys.stdout.write(text)
    else:
        from onnxforge.onnxio.writer import write_text

        write_text(args.output, text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
