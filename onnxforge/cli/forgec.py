"""``forgec``: compile an ONNX model through the onnxforge IR, optionally verified with onnxruntime.

    forgec MODEL.onnx -o OUT.onnx [--pipeline=cleanup | --passes=a,b{opt=v}] [--verify]
    forgec MODEL.onnx --emit=ir [--print-weights] [-o OUT.mlir]
    forgec --list-passes

Errors are one line on stderr and a non-zero exit (1: bad input or request,
3: verification failed, 70: internal error, 128+N: stopped by signal N, i.e.
SIGINT, SIGTERM or SIGHUP); no output file or temporary file is left behind.
``-o`` never writes through a symbolic link; a device or FIFO (``-o /dev/null``)
is written in place, never replaced.
"""

from __future__ import annotations

import argparse
import contextlib
import signal
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from onnxforge.errors import ForgeError

EXIT_ERROR, EXIT_VERIFY, EXIT_INTERNAL = 1, 3, 70


def _parser() -> argparse.ArgumentParser:
    from onnxforge import __version__
    from onnxforge.transforms.pipelines import PIPELINES

    subcommands = "\n".join(f"  forgec {name} ..." for name in SUBCOMMANDS)
    parser = argparse.ArgumentParser(
        prog="forgec", description="Compile an ONNX model through the onnxforge IR.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=f"subcommands (each with its own --help):\n{subcommands}",
    )
    parser.add_argument("--version", action="version", version=f"forgec (onnxforge) {__version__}")
    parser.add_argument("model", nargs="?", help="input .onnx file (never modified), or .mlir textual IR")
    parser.add_argument("-o", "--output", help="output file (.onnx, or the IR text with --emit=ir; default stdout for IR)")
    parser.add_argument("--pipeline", default="auto",
                        help=f"named pipeline: {', '.join(PIPELINES)} (default auto: chosen from the graph's fingerprint)")
    parser.add_argument("--passes", help="explicit pass list instead of a pipeline, e.g. onnx-eliminate-dead,onnx-cse")
    parser.add_argument("--target", choices=["standard", "ort", "portable"], default=None,
                        help="what fused ops lower to: standard ONNX ops (default), onnxruntime contrib ops, or portable "
                             "decompositions; sets the target option of every pass that has one and was not given one")
    parser.add_argument("--target-opset", type=int, metavar="N",
                        help="first convert the model to default-domain opset N (e.g. 23 for Attention, RMSNormalization): "
                             "runs onnx-convert-opset{opset=N} before the pipeline")
    parser.add_argument("--explain-fusions", action="store_true",
                        help="list fusion candidates that did not fuse, with the reason, on stderr")
    parser.add_argument("--list-passes", action="store_true", help="list every pass with its summary and class, then exit")
    parser.add_argument("--load-pass-plugin", action="append", default=[], metavar="FILE.py", help="load passes from a Python file")
    parser.add_argument("--emit", choices=["onnx", "ir", "cost"], default="onnx",
                        help="write the ONNX model (default), the IR, or the IR lowered to the cost dialect")
    parser.add_argument("--print-weights", action="store_true", help="print weight bytes in IR instead of 'elided'")
    parser.add_argument("--split-input-file", action="store_true",
                        help="(.mlir input) compile each '// -----' separated chunk on its own; outputs joined the same way")
    parser.add_argument("--verify", action="store_true", help="check the result against the input with onnxruntime")
    parser.add_argument("--seed", type=int, default=0, help="seed of the random verification inputs")
    parser.add_argument("--dim", action="append", default=[], metavar="NAME=VALUE", help="bind a symbolic dim for verification")
    observe = parser.add_argument_group("observability (MLIR-style; IR goes to stderr)")
    observe.add_argument("--print-ir-after-all", action="store_true")
    observe.add_argument("--print-ir-before", default="", metavar="PASS,...", help="print the IR before these passes")
    observe.add_argument("--print-ir-after", default="", metavar="PASS,...", help="print the IR after these passes")
    observe.add_argument("--print-ir-after-change", action="store_true", help="print the IR after each pass that changed it")
    observe.add_argument("--ir-dump-dir", type=Path, help="write the IR of every stage to DIR/NN-<pass>.mlir")
    observe.add_argument("--time-passes", action="store_true")
    observe.add_argument("--pass-statistics", action="store_true", help="rewrites per pattern, ops before/after each pass")
    observe.add_argument("--verify-each", action="store_true", help="onnxruntime check after every pass at its accuracy class")
    observe.add_argument("--verify-ir-each", action="store_true", help="verify the IR after every pass (default: after the pipeline)")
    observe.add_argument("--bisect-limit", type=int, metavar="N", help="perform only the first N rewrites (opt-bisect)")
    observe.add_argument("--reproducer", type=Path, metavar="FILE",
                         help="where a failing pass writes its reproducer (default OUT.reproducer.mlir beside -o OUT; "
                              "none without -o); weights elided unless --print-weights")
    external = parser.add_mutually_exclusive_group()
    external.add_argument("--external-data", dest="external", action="store_true", default=None,
                          help="write weights to OUT.onnx.data (default: when the input had external data or > 2 GiB)")
    external.add_argument("--no-external-data", dest="external", action="store_false")
    parser.add_argument("--debug", action="store_true", help="show tracebacks of internal errors")
    from onnxforge.cli import cost as cost_cli

    cost_cli.add_arguments(parser)
    return parser


def _dims(pairs: list[str]) -> dict[str, int]:
    dims = {}
    for pair in pairs:
        name, _, value = pair.partition("=")
        if not name or not value.lstrip("-").isdigit():
            raise ForgeError(f"--dim expects NAME=INTEGER, got {pair!r}")
        dims[name] = int(value)
    return dims


def _list_passes() -> int:
    from onnxforge.passes import all_passes
    from onnxforge.transforms.pipelines import PIPELINES

    print("passes:")
    for name, cls in all_passes().items():
        print(f"  {name:36s} class {int(cls.accuracy)}  {cls.summary}")
    print("pipelines:")
    for name, pipeline in PIPELINES.items():
        suffix = " (to a fixed point)" if len(pipeline.stages) == 1 and pipeline.fixed_point else ""
        print(f"  {name:36s} {pipeline.summary}{suffix}")
    return 0


def _options(args: argparse.Namespace, reference: Path | None, output: Path | None,  # type: ignore[no-untyped-def]
             reread=None):
    from onnxforge.passmanager.manager import RunOptions

    verify_each = None
    if args.verify_each:
        if reference is None:
            raise ForgeError("--verify-each needs an .onnx input to compare against")
        from onnxforge.onnxio.exporter import to_model_proto
        from onnxforge.runtime import verify

        dims = _dims(args.dim)

        def verify_each(module, pass_):  # type: ignore[no-untyped-def]
            report = verify(reference, to_model_proto(module), seed=args.seed, dims=dims)
            return None if report.meets(pass_.accuracy) else report.summary()

    split = lambda text: frozenset(t for t in text.split(",") if t)  # noqa: E731
    return RunOptions(
        print_ir_before=split(args.print_ir_before),
        print_ir_after=split(args.print_ir_after),
        print_ir_after_all=args.print_ir_after_all,
        print_ir_after_change=args.print_ir_after_change,
        print_weights=args.print_weights,
        ir_dump_dir=args.ir_dump_dir,
        time_passes=args.time_passes,
        pass_statistics=args.pass_statistics,
        bisect_limit=args.bisect_limit,
        verify_ir_each=args.verify_ir_each,
        verify_each=verify_each,
        reproducer=args.reproducer or _reproducer_beside(output),
        reproducer_input=reread,
    )


def _reproducer_beside(output: Path | None) -> Path | None:
    """``OUT.reproducer.mlir`` next to a file output (not next to /dev/null or a FIFO): where the user
    already asked us to write, never the working directory."""
    from onnxforge.onnxio.writer import destination

    if output is None or destination(output).stream:
        return None
    return output.with_name(output.name + ".reproducer.mlir")


def run(args: argparse.Namespace) -> int:
    from onnxforge.passmanager import load_plugin

    for plugin in args.load_pass_plugin:
        load_plugin(plugin)
    if args.list_passes:
        return _list_passes()
    if args.model is None:
        raise ForgeError("no input model given")

    from onnxforge.compiler import pass_manager, to_ir
    from onnxforge.dialects.context import read_ir_text
    from onnxforge.ir.text import print_ir
    from onnxforge.onnxio.exporter import export_model
    from onnxforge.onnxio.loader import load
    from onnxforge.onnxio.writer import destination, same_file, write_model

    source = Path(args.model)
    output = Path(args.output) if args.output else None
    pass_manager(args.pipeline, args.passes, target=args.target)  # reject a bad pipeline or pass option before any work
    if output is not None:
        if same_file(source, output):
            raise ForgeError(f"{output}: refusing to overwrite the input model")
        destination(output)  # a symbolic link, directory or block device is refused before any work
        if not output.parent.is_dir():
            raise ForgeError(f"{output}: directory {str(output.parent)!r} does not exist")
    from onnxforge.cli import cost as cost_cli

    cost_cli.check(args)
    if args.emit == "onnx" and output is None and not cost_cli.wanted(args):
        raise ForgeError("no output file: give -o OUT.onnx (or --emit=ir to print the IR)")

    if args.split_input_file:
        return _run_split(args, source, output)
    start = time.perf_counter()
    if source.suffix == ".mlir":
        text = read_ir_text(source)
        module = _ir_module(text, str(source))
        loaded, protected = None, [source]
        reread = lambda: _ir_module(text, str(source))  # noqa: E731
    else:
        loaded = load(source)
        module = to_ir(loaded)
        protected = loaded.source_files
        reread = lambda: to_ir(load(source))  # noqa: E731  (the input is never modified: no clone kept per run)
    cost_before = cost_cli.before(args, module, source)  # the model as given, when the pipeline changes it
    manager = pass_manager(args.pipeline, args.passes, module, args.target, args.target_opset)
    report = manager.run(module, _options(args, source if loaded is not None else None, output, reread))
    if args.explain_fusions:
        _explain(report)
    if cost_cli.wanted(args):
        cost_cli.run(args, module, cost_before, source, output if args.emit == "cost" else None)
        if args.emit == "cost" or output is None:
            return 0
    if args.emit == "ir":
        _emit_text(print_ir(module, weights=args.print_weights), output)
        return 0

    if args.verify and loaded is None:
        raise ForgeError("--verify needs an .onnx input to compare against")
    exported = export_model(module)
    check = _verifier(args, source, report) if args.verify else None
    written = write_model(exported, output, external_data=args.external, protected=protected, check=check)  # type: ignore[arg-type]
    elapsed = time.perf_counter() - start
    print(f"forgec: wrote {', '.join(map(str, written))} ({len(exported.proto.graph.node)} nodes, {elapsed:.2f} s)", file=sys.stderr)
    return 0


SPLIT_MARKER = "// -----"


def _run_split(args: argparse.Namespace, source: Path, output: Path | None) -> int:
    """MLIR's -split-input-file: one module per chunk, each run through the passes (for IR tests)."""
    from onnxforge.compiler import optimize
    from onnxforge.dialects.context import read_ir_text
    from onnxforge.ir.text import print_ir

    if source.suffix != ".mlir" or args.emit != "ir":
        raise ForgeError("--split-input-file takes an .mlir input and --emit=ir")
    outputs = []
    for index, chunk in enumerate(read_ir_text(source).split(SPLIT_MARKER)):
        if not chunk.strip() or all(not line.strip() or line.lstrip().startswith("//") for line in chunk.splitlines()):
            continue
        module = _ir_module(chunk, f"{source} (chunk {index})")
        report = optimize(module, args.pipeline, args.passes, _options(args, None, output), args.target, args.target_opset)
        if args.explain_fusions:
            _explain(report)
        outputs.append(print_ir(module, weights=args.print_weights))
    _emit_text(f"{SPLIT_MARKER}\n".join(outputs), output)
    return 0


def _ir_module(text: str, label: str):  # type: ignore[no-untyped-def]
    """Textual IR as a module we can compile: it parses, verifies (tensor sizes included), and names
    an IR version and opsets the importer would accept from an .onnx file. A verifier that recurses
    past Python's limit on deeply nested regions is bad input too, not a crash."""
    from onnxforge.compiler import verify_ir
    from onnxforge.dialects.context import parse_ir
    from onnxforge.onnxio.importer import check_module_versions

    module = parse_ir(text, label)
    try:
        verify_ir(module, label)
    except RecursionError:
        raise ForgeError(f"{label}: the IR is nested too deeply") from None
    check_module_versions(module, label)
    return module


def _explain(report) -> None:  # type: ignore[no-untyped-def]
    """``--explain-fusions``: every candidate that did not fuse, grouped by pass and reason."""
    from collections import Counter

    misses = report.state.near_misses
    fused = {k: v for k, v in report.state.statistics.items() if k.startswith("nn-fuse")}
    print(f"forgec: fusions applied: {', '.join(f'{k} ×{v}' for k, v in sorted(fused.items())) or 'none'}", file=sys.stderr)
    if not misses:
        print("forgec: no fusion near misses", file=sys.stderr)
        return
    counts = Counter((m.pass_name, m.pattern, m.reason) for m in misses)
    print(f"forgec: {len(misses)} fusion near misses:", file=sys.stderr)
    for (pass_name, pattern, reason), n in counts.most_common():
        example = next(m.node for m in misses if (m.pass_name, m.pattern, m.reason) == (pass_name, pattern, reason))
        print(f"  {pass_name}/{pattern}: {reason} (×{n}, e.g. at {example!r})", file=sys.stderr)


def _emit_text(text: str, output: Path | None) -> None:
    """Printed IR to stdout, or atomically to the output file."""
    from onnxforge.onnxio.writer import write_text

    if output is None:
        sys.stdout.write(text)
    else:
        write_text(output, text)


class VerificationFailed(ForgeError):
    """The compiled model runs but its outputs differ beyond the passes' accuracy class (exit 3)."""


def _verifier(args: argparse.Namespace, source: Path, report):  # type: ignore[no-untyped-def]
    """``--verify`` as the writer's check: it runs on the complete new model before that replaces
    anything, so a model that fails (or cannot be checked) is never written."""
    from onnxforge.passes import get_pass
    from onnxforge.passmanager import Accuracy
    from onnxforge.runtime import verify

    accuracy = Accuracy(max((get_pass(name).accuracy for name, record in report.records.items() if record.runs), default=0))
    dims = _dims(args.dim)

    def check(candidate: Path | bytes) -> None:
        try:
            result = verify(source, candidate, seed=args.seed, dims=dims)
        except ForgeError as err:
            raise ForgeError(f"cannot verify (output not written): {err}") from None
        except Exception as err:  # onnxruntime and the input generator raise their own types
            message = str(err).strip().splitlines()[0] if str(err).strip() else ""
            raise ForgeError(f"cannot verify (output not written): {type(err).__name__}: {message}") from None
        shown = ", ".join(f"{k}={v}" for k, v in result.dims.items())
        if not result.meets(accuracy):
            raise VerificationFailed(f"verification failed ({shown}): {result.summary()}; output not written")
        print(f"forgec: verified with onnxruntime ({shown or 'static shapes'}): {result.summary()}", file=sys.stderr)

    return check


SUBCOMMANDS = {
    "inspect": "onnxforge.cli.instruments",
    "attribution": "onnxforge.cli.instruments",
    "tolerance": "onnxforge.cli.instruments",
    "order": "onnxforge.cli.instruments",
    "latency": "onnxforge.cli.instruments",
    "calibrate": "onnxforge.cli.calibrate",
    "cost-validate": "onnxforge.cli.calibrate",
}
"""``forgec SUBCOMMAND ...``: the instruments and the cost-model tools, each with its own ``--help``."""


class _Terminated(BaseException):
    """SIGTERM or SIGHUP arrived: unwinds like KeyboardInterrupt, so every ``finally`` that removes a
    temporary file runs (the default action would kill the process and leave them behind)."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


@contextlib.contextmanager
def _signals_interrupt() -> Iterator[None]:
    """Turn SIGTERM and SIGHUP into ``_Terminated`` while forgec runs (main thread only; the
    previous handlers come back afterwards, for callers of ``main`` in-process)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum: int, frame: object) -> None:
        raise _Terminated(signum)

    previous = {signum: signal.signal(signum, interrupt) for signum in (signal.SIGTERM, signal.SIGHUP)}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] in SUBCOMMANDS:
        import importlib

        return int(importlib.import_module(SUBCOMMANDS[argv[0]]).main(argv))
    args = _parser().parse_args(argv)
    try:
        with _signals_interrupt():
            return run(args)
    except _Terminated as signalled:
        print(f"forgec: terminated by {signal.Signals(signalled.signum).name}", file=sys.stderr)
        return 128 + signalled.signum
    except ForgeError as err:
        print(f"forgec: error: {err}", file=sys.stderr)
        return EXIT_VERIFY if isinstance(err, VerificationFailed) else EXIT_ERROR
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
