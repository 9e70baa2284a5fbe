"""The research instruments from the command line (``forgec inspect|attribution|tolerance|order|latency``).

    python -m onnxforge.cli.instruments inspect MODEL... [--format=text|markdown|csv|json] [-o FILE]
    python -m onnxforge.cli.instruments attribution MODEL... [--pipeline=P | --passes=a,b] [--baseline=cleanup]
    python -m onnxforge.cli.instruments tolerance MODEL... [--pipeline=P] [--seeds=N]
    python -m onnxforge.cli.instruments order MODEL... [--pipeline=P] [--orders=K] [--order-seed=S]
    python -m onnxforge.cli.instruments latency MODEL... [--pipeline=P] [--repeats=R] [--warmup=W] [--threads=T]

Errors are one line on stderr and exit 1; no partial output file is left.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from onnxforge.errors import ForgeError
from onnxforge.targets import TARGET_KINDS

EXIT_ERROR, EXIT_INTERNAL = 1, 70

COMMANDS: dict[str, str] = {
    "inspect": "op inventory, size, opsets, forensics audit of optimisation opportunities, architecture fingerprint",
    "attribution": "per pass × model: nodes removed alone and cumulatively, and max |Δ| against the pass class",
    "tolerance": "max / mean / p99 output difference of a pipeline over N random input seeds",
    "order": "pass-order sensitivity: the canonical order vs K shuffled orders (final nodes, max |Δ|)",
    "latency": "onnxruntime latency before/after a pipeline (interleaved, median, IQR) and node-vs-latency correlation",
}


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="forgec", description="onnxforge research instruments.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, summary in COMMANDS.items():
        sub = commands.add_parser(name, help=summary, description=summary)
        sub.add_argument("models", nargs="+", metavar="MODEL", help=".onnx files (never modified)")
        sub.add_argument("--format", choices=["text", "markdown", "csv", "json"], default="text")
        sub.add_argument("-o", "--output", type=Path, help="write to this file instead of stdout")
        sub.add_argument("--debug", action="store_true", help="show tracebacks of internal errors")
        if name == "inspect":
            continue
        sub.add_argument("--pipeline", default="cleanup", help="named pipeline (default cleanup; auto: by fingerprint)")
        sub.add_argument("--passes", help="explicit pass list instead of a pipeline")
        sub.add_argument("--target", choices=list(TARGET_KINDS), default="standard")
        sub.add_argument("--target-opset", type=int, metavar="N", help="convert the model to opset N first")
        sub.add_argument("--seed", type=int, default=0, help="seed of the random inputs (first seed of a sweep)")
        sub.add_argument("--dim", action="append", default=[], metavar="NAME=VALUE", help="bind a symbolic dim")
    sub = commands.choices
    sub["attribution"].add_argument("--baseline", metavar="PIPELINE",
                                    help="measure from the model after this pipeline (e.g. cleanup)")
    sub["attribution"].add_argument("--no-verify", action="store_true", help="count nodes only (no onnxruntime runs)")
    sub["tolerance"].add_argument("--seeds", type=int, default=10, help="number of input seeds (default 10)")
    sub["order"].add_argument("--orders", type=int, default=5, help="shuffled orders besides the canonical (default 5)")
    sub["order"].add_argument("--order-seed", type=int, default=0, help="seed of the shuffles")
    sub["latency"].add_argument("--repeats", type=int, default=20, help="timed runs per side (default 20)")
    sub["latency"].add_argument("--warmup", type=int, default=3, help="untimed runs per side first (default 3)")
    sub["latency"].add_argument("--threads", type=int, default=2, help="onnxruntime intra-op threads (default 2)")
    return parser


def _settings(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    from onnxforge.compiler import pass_manager
    from onnxforge.instruments.models import Settings

    pass_manager(args.pipeline, args.passes)  # reject a bad pipeline or pass list before any work
    return Settings(args.pipeline, args.passes, args.target, args.target_opset, args.seed, _dims(args.dim))


def _dims(pairs: list[str]) -> dict[str, int]:
    dims = {}
    for pair in pairs:
        name, _, value = pair.partition("=")
        if not name or not value.isdigit() or int(value) < 1:
            raise ForgeError(f"--dim expects NAME=POSITIVE_INTEGER, got {pair!r}")
        dims[name] = int(value)
    return dims


def _study(args: argparse.Namespace) -> object:
    """Run the chosen instrument; its result has ``tables()`` and ``to_json()``."""
    if args.command == "inspect":
        from onnxforge.instruments.inspect import inspect_model

        return _Many([inspect_model(path) for path in args.models])
    settings = _settings(args)
    if args.command == "attribution":
        from onnxforge.instruments.attribution import attribute

        if args.baseline is not None:
            from onnxforge.transforms.pipelines import resolve

            resolve(args.baseline)
        return attribute(args.models, settings, args.baseline, verify=not args.no_verify)
    if args.command == "tolerance":
        from onnxforge.instruments.tolerance import sweep

        return sweep(args.models, settings, args.seeds)
    if args.command == "order":
        from onnxforge.instruments.order import sensitivity

        return sensitivity(args.models, settings, args.orders, args.order_seed)
    from onnxforge.instruments.latency import measure

    return measure(args.models, settings, args.repeats, args.warmup, args.threads)


class _Many:
    """Several per-model results (``inspect``) shown one after another."""

    def __init__(self, items: list) -> None:  # type: ignore[type-arg]
        self.items = items

    def tables(self):  # type: ignore[no-untyped-def]
        return [t for item in self.items for t in item.tables()]

    def to_json(self) -> object:
        return self.items[0] if len(self.items) == 1 else self.items


def _render(result, fmt: str) -> str:  # type: ignore[no-untyped-def]
    from onnxforge.instruments.tables import dumps, render

    return dumps(result.to_json()) if fmt == "json" else render(result.tables(), fmt)


def _check_inputs(args: argparse.Namespace) -> None:
    for model in args.models:
        path = Path(model)
        if not path.is_file():
            raise ForgeError(f"{model}: no such file" if not path.exists() else f"{model}: not a file")
        if args.output is not None and path.resolve() == args.output.resolve():
            raise ForgeError(f"{args.output}: refusing to overwrite an input model")
    if args.output is not None and not args.output.parent.is_dir():
        raise ForgeError(f"{args.output}: directory {str(args.output.parent)!r} does not exist")


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        _check_inputs(args)
        text = _render(_study(args), args.format)
        if args.output is None:
            sys.stdout.write(text)
        else:
            from onnxforge.onnxio.writer import write_text

            write_text(args.output, text)
        return 0
    except ForgeError as err:
        print(f"forgec {args.command}: error: {err}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print(f"forgec {args.command}: interrupted", file=sys.stderr)
        return 130
    except Exception as err:
        if args.debug:
            raise
        print(f"forgec {args.command}: internal error: {type(err).__name__}: {err} (rerun with --debug for a traceback)",
              file=sys.stderr)
        return EXIT_INTERNAL


if __name__ == "__main__":
    sys.exit(main())
