"""``forgec``: compile an ONNX model with a named pipeline, optionally verified with onnxruntime.

    forgec MODEL.onnx -o OUT.onnx [--pipeline=none] [--verify]
    forgec MODEL.onnx --emit=ir [--print-weights] [-o OUT.mlir]

Errors are one line on stderr and a non-zero exit (1: bad input or request,
3: verification failed, 70: internal error); no output file is left behind.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from onnxforge.errors import ForgeError

EXIT_ERROR, EXIT_VERIFY, EXIT_INTERNAL = 1, 3, 70


def _parser() -> argparse.ArgumentParser:
    from onnxforge.transforms.pipelines import PIPELINES

    parser = argparse.ArgumentParser(prog="forgec", description="Compile an ONNX model through the onnxforge IR.")
    parser.add_argument("model", help="input .onnx file (never modified); or .mlir textual IR")
    parser.add_argument("-o", "--output", help="output file (.onnx, or the IR text with --emit=ir; default stdout for IR)")
    parser.add_argument("--pipeline", default="none", help=f"named pipeline ({', '.join(PIPELINES)}); default none")
    parser.add_argument("--emit", choices=["onnx", "ir"], default="onnx", help="write the ONNX model (default) or the IR")
    parser.add_argument("--print-weights", action="store_true", help="print weight bytes in IR instead of 'elided'")
    parser.add_argument("--verify", action="store_true", help="check the result against the input with onnxruntime")
    parser.add_argument("--seed", type=int, default=0, help="seed of the random verification inputs")
    parser.add_argument("--dim", action="append", default=[], metavar="NAME=VALUE", help="bind a symbolic dim for --verify")
    external = parser.add_mutually_exclusive_group()
    external.add_argument("--external-data", dest="external", action="store_true", default=None,
                          help="write weights to OUT.onnx.data (default: when the input had external data or > 2 GiB)")
    external.add_argument("--no-external-data", dest="external", action="store_false")
    parser.add_argument("--debug", action="store_true", help="show tracebacks of internal errors")
    return parser


def _dims(pairs: list[str]) -> dict[str, int]:
    dims = {}
    for pair in pairs:
        name, _, value = pair.partition("=")
        if not name or not value.lstrip("-").isdigit():
            raise ForgeError(f"--dim expects NAME=INTEGER, got {pair!r}")
        dims[name] = int(value)
    return dims


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.exists() and b.exists() and os.path.samefile(a, b)
    except OSError:
        return False


def run(args: argparse.Namespace) -> int:
    from onnxforge.compiler import compile_loaded, to_ir, verify_ir
    from onnxforge.frontend.loader import load
    from onnxforge.ir.text import parse_ir, print_ir
    from onnxforge.transforms.pipelines import resolve, run_pipeline

    source = Path(args.model)
    output = Path(args.output) if args.output else None
    resolve(args.pipeline)
    if output is not None:
        if _same_file(source, output) or output.resolve() == source.resolve():
            raise ForgeError(f"{output}: refusing to overwrite the input model")
        if output.is_dir():
            raise ForgeError(f"{output}: is a directory")
        if not output.parent.is_dir():
            raise ForgeError(f"{output}: directory {str(output.parent)!r} does not exist")
    if args.emit == "onnx" and output is None:
        raise ForgeError("no output file: give -o OUT.onnx (or --emit=ir to print the IR)")

    if source.suffix == ".mlir":
        if not source.is_file():
            raise ForgeError(f"{source}: no such file")
        module = parse_ir(source.read_text(), str(source))
        verify_ir(module, f"{source}")
        run_pipeline(module, args.pipeline)
        loaded = None
    else:
        loaded = load(source)
    if args.emit == "ir":
        if loaded is not None:
            module = to_ir(loaded)
            run_pipeline(module, args.pipeline)
        text = print_ir(module, weights=args.print_weights)
        if output is None:
            sys.stdout.write(text)
        else:
            _write_text_atomically(output, text)
        return 0

    from onnxforge.backends.onnx_export import export_model
    from onnxforge.backends.writer import write_model

    start = time.perf_counter()
    exported = compile_loaded(loaded).exported if loaded is not None else export_model(module)
    protected = loaded.source_files if loaded is not None else [source]
    written = write_model(exported, output, external_data=args.external, protected=protected)  # type: ignore[arg-type]
    elapsed = time.perf_counter() - start
    print(f"forgec: wrote {', '.join(map(str, written))} ({len(exported.proto.graph.node)} nodes, {elapsed:.2f} s)", file=sys.stderr)
    if args.verify:
        if loaded is None:
            raise ForgeError("--verify needs an .onnx input to compare against")
        from onnxforge.backends.ort import verify

        try:
            report = verify(source, output, seed=args.seed, dims=_dims(args.dim))  # type: ignore[arg-type]
        except ForgeError as err:
            _remove(written)
            raise ForgeError(f"cannot verify (output removed): {err}") from None
        dims = ", ".join(f"{k}={v}" for k, v in report.dims.items())
        if not report.identical:
            _remove(written)
            print(f"forgec: error: verification failed ({dims}): {report.summary()}; output removed", file=sys.stderr)
            return EXIT_VERIFY
        print(f"forgec: verified with onnxruntime ({dims or 'static shapes'}): {report.summary()}", file=sys.stderr)
    return 0


def _remove(paths: list[Path]) -> None:
    for path in paths:
        path.unlink(missing_ok=True)


def _write_text_atomically(path: Path, text: str) -> None:
    temp = path.with_name(f".{path.name}.tmp")
    try:
        temp.write_text(text)
        os.replace(temp, path)
    except OSError as err:
        temp.unlink(missing_ok=True)
        raise ForgeError(f"{path}: cannot write: {err.strerror}") from None


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return run(args)
    except ForgeError as err:
        print(f"forgec: error: {err}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("forgec: interrupted", file=sys.stderr)
        return 130
    except Exception as err:  # a bug of ours: say so in one line, keep the traceback for --debug
        if args.debug:
            raise
        print(f"forgec: internal error: {type(err).__name__}: {err} (rerun with --debug for a traceback)", file=sys.stderr)
        return EXIT_INTERNAL


if __name__ == "__main__":
    sys.exit(main())
