"""``forgec``: compile an ONNX model through the onnxforge IR, optionally verified with onnxruntime.

    forgec MODEL.onnx                       # auto pipeline; writes MODEL.forge.onnx beside it, never over a file
    forgec MODEL.onnx OUT.onnx [--pipeline=cleanup | --passes=a,b{opt=v}] [--verify]   (or -o OUT.onnx)
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
import os
import signal
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from onnxforge.errors import ForgeError
from onnxforge.targets import PRECISIONS, TARGET_KINDS

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
    parser.add_argument("output_file", nargs="?", metavar="output",
                        help="output file, as -o (default for a model: MODEL.forge.onnx beside the input, or "
                             "MODEL.forge.N.onnx when that exists: never over an existing file)")
    parser.add_argument("-o", "--output", help="output file (.onnx, or the IR text with --emit=ir; default stdout for IR)")
    parser.add_argument("-q", "--quiet", action="store_true", help="print nothing but errors (no summary, no 'wrote' line)")
    parser.add_argument("--pipeline", default=None,
                        help=f"named pipeline: {', '.join(PIPELINES)} (default auto: chosen from the graph's fingerprint)")
    parser.add_argument("--passes", help="explicit pass list instead of a pipeline, e.g. onnx-eliminate-dead,onnx-cse")
    parser.add_argument("--skip", default="", metavar="PASS,...", help="leave these passes out of the pipeline")
    parser.add_argument("--target", choices=list(TARGET_KINDS), default=None,
                        help="what fused ops lower to: standard ONNX ops (default), onnxruntime contrib ops, portable "
                             "decompositions, or what TensorRT's ONNX parser reads (tensorrt); sets the target option "
                             "of every pass that has one and was not given one")
    parser.add_argument("--input-shape", action="append", default=[], metavar="NAME=D0,D1,...",
                        help="fix a graph input's shape in the output model (a Di may be a dim name to keep it "
                             "symbolic); the pipeline then folds with the fixed sizes")
    parser.add_argument("--fix-dim", action="append", default=[], metavar="SYMBOL=VALUE",
                        help="fix a symbolic dim (e.g. batch=1) everywhere in the output model")
    parser.add_argument("--precision", choices=list(PRECISIONS), default="fp32",
                        help="convert weights and compute to half precision after the pipeline, keeping float32 "
                             "inputs and outputs and the ops that lose range in fp32 (verified at its own class)")
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
    parser.add_argument("--report-file", type=Path, metavar="FILE",
                        help="write the run summary to FILE (as --report FORMAT, default json; "
                             "'--report=json FILE' says the same)")
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
        progress=None if args.quiet or not sys.stderr.isatty() else _Progress(),
    )


class _Progress:
    """A line per stage on a terminal, once the run has taken two seconds: a 7B model's minutes are not
    silent, and a BERT's second stays one line."""

    AFTER = 2.0

    def __init__(self) -> None:
        self.start = time.perf_counter()

    def __call__(self, stage: str) -> None:
        elapsed = time.perf_counter() - self.start
        if elapsed >= self.AFTER:
            print(f"forgec: {elapsed:5.1f} s  {stage}", file=sys.stderr, flush=True)


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
    if args.output_file is not None:
        if args.output is not None:
            raise ForgeError(f"two outputs: {args.output_file!r} and -o {args.output!r}; give one")
        args.output = args.output_file
    if args.passes is not None and args.pipeline is not None:
        raise ForgeError("--pipeline and --passes are alternatives: give one")
    args.pipeline = args.pipeline or "auto"
    skip = tuple(name.strip() for name in args.skip.split(",") if name.strip())
    from onnxforge.cli import cost as cost_cli

    if args.output is None and args.emit == "onnx" and not cost_cli.wanted(args) and not args.split_input_file:
        args.output = str(_default_output(source))
    output = Path(args.output) if args.output else None
    fix_shapes = ""
    if args.input_shape or args.fix_dim:  # the pass module imports the shape analysis (sympy): only when asked
        from onnxforge.transforms.onnx_fix_shapes import spec_from_flags

        fix_shapes = spec_from_flags(args.input_shape, args.fix_dim)
    pass_manager(args.pipeline, args.passes, target=args.target, target_opset=args.target_opset, skip=skip,
                 fix_shapes=fix_shapes, precision=args.precision)  # bad flags or pass options: before any work
    if args.verify or args.verify_each:
        from onnxforge.ortload import onnxruntime

        onnxruntime()  # verification needs it: say so before any work, not after the compile
    if args.dim and not (args.verify or args.verify_each or args.cost is not None or args.emit == "cost"):
        print("forgec: warning: --dim binds dims for --verify (and --cost) only and leaves the model as it is; "
              "--fix-dim fixes them in the output", file=sys.stderr)
    if args.report_file is not None:  # refused before any work, not after the model is written
        if same_file(source, args.report_file) or (output is not None and same_file(output, args.report_file)):
            raise ForgeError(f"{args.report_file}: the report would replace the model")
        destination(args.report_file)
        if not args.report_file.parent.is_dir():
            raise ForgeError(f"{args.report_file}: directory {str(args.report_file.parent)!r} does not exist")
    if output is not None:
        if same_file(source, output):
            raise ForgeError(f"{output}: refusing to overwrite the input model")
        destination(output)  # a symbolic link, directory or block device is refused before any work
        if not output.parent.is_dir():
            raise ForgeError(f"{output}: directory {str(output.parent)!r} does not exist")
    cost_cli.check(args)

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
    pipeline, why = args.pipeline, ()
    if args.passes is None and pipeline == "auto":
        from onnxforge.transforms.pipelines import choose_with_reasons

        pipeline, why = choose_with_reasons(module)
    summarize = args.emit == "onnx" and (not args.quiet or args.report_file is not None) and args.cost is None
    before = _facts(module, protected) if summarize else None
    manager = pass_manager(pipeline, args.passes, module, args.target, args.target_opset, skip, fix_shapes, args.precision)
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
    check = _verifier(args, source, report, manager) if args.verify else None
    written = write_model(exported, output, external_data=args.external, protected=protected, check=check)  # type: ignore[arg-type]
    elapsed = time.perf_counter() - start
    if before is not None:
        from onnxforge import summary

        found = summary.build(str(source), str(output), args.passes and "--passes" or pipeline, why, before,
                              summary.facts(exported.proto, exported.tensors, written), report, args.target, elapsed)
        if args.report_file is not None:
            from onnxforge.onnxio.writer import write_text

            write_text(args.report_file, summary.RENDER[args.report or "json"](found))
        elif args.report is not None:
            sys.stdout.write(summary.RENDER[args.report](found))  # data on stdout, as --cost --report does
        if not args.quiet and (args.report is None or args.report_file is not None):
            sys.stderr.write(summary.text(found))
    elif not args.quiet:
        print(f"forgec: wrote {', '.join(map(str, written))} ({len(exported.proto.graph.node)} nodes, {elapsed:.2f} s)",
              file=sys.stderr)
    return 0


def _facts(module, files: list[Path]):  # type: ignore[no-untyped-def]
    """The summary's facts of the model as given (its export: metadata only, the weights are not copied)."""
    from onnxforge import summary
    from onnxforge.onnxio.exporter import export_model

    exported = export_model(module)
    return summary.facts(exported.proto, exported.tensors, files)


def _default_output(source: Path) -> Path:
    """``MODEL.forge.onnx`` beside the input, or ``MODEL.forge.N.onnx``: the first name that neither a file
    nor its external data file has, so the headline command never replaces anything."""
    stem = source.name[: -len(source.suffix)] if source.suffix else source.name
    for n in range(10_000):
        candidate = source.with_name(f"{stem}.forge{'' if n == 0 else f'.{n}'}.onnx")
        if not os.path.lexists(candidate) and not os.path.lexists(candidate.with_name(candidate.name + ".data")):
            return candidate
    raise ForgeError(f"{source.parent}: no free MODEL.forge.N.onnx name; give the output file")


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


def _verifier(args: argparse.Namespace, source: Path, report, manager):  # type: ignore[no-untyped-def]
    """``--verify`` as the writer's check: it runs on the complete new model before that replaces
    anything, so a model that fails (or cannot be checked) is never written."""
    from onnxforge.passmanager import Accuracy
    from onnxforge.runtime import verify

    accuracy = Accuracy(max((p.accuracy for p in manager.passes if report.records[p.name].runs), default=0))  # an
    # instance's class: onnx-convert-precision's follows its precision option
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
        if not args.quiet:
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
    "export": "onnxforge.cli.export",
    "extract": "onnxforge.cli.extract",
    "modules": "onnxforge.cli.modules",
    "batch": "onnxforge.cli.batch",
}
"""``forgec SUBCOMMAND ...``: the instruments, the cost-model tools, the PyTorch front end (export, modules,
extract) and the corpus runner (batch), each with its own ``--help``."""


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


def _report_file_argument(argv: list[str]) -> list[str]:
    """``--report=json FILE`` (or ``--report json FILE``) names the summary's file: FILE is taken as
    ``--report-file`` when it is a .json/.md/.txt name, so it can never be mistaken for the output model."""
    out, i = [], 0
    while i < len(argv):
        arg = argv[i]
        out.append(arg)
        value_next = arg == "--report"
        if (arg.startswith("--report=") or value_next) and i + 1 + value_next < len(argv):
            candidate = argv[i + 1 + value_next]
            if Path(candidate).suffix.lower() in (".json", ".md", ".txt") and not candidate.startswith("-"):
                if value_next:
                    out.append(argv[i + 1])
                out += ["--report-file", candidate]
                i += 2 + value_next
                continue
        i += 1
    return out


_ASCII = {"≥": ">=", "≤": "<=", "→": "->", "×": "x", "Δ": "d", "−": "-", "…": "...", "·": "*", "—": "-", "–": "-",
          "±": "+/-", "‖": "||"}


def _ascii_fallback(err: UnicodeEncodeError) -> tuple[str, int]:
    """Codec error handler: what the terminal cannot show of our messages, in ASCII (``≥`` as ``>=``)."""
    text = err.object[err.start:err.end]  # type: ignore[index]
    return "".join(_ASCII.get(ch, "?") for ch in text), err.end


def _plain_terminal_text() -> None:
    """On a terminal whose encoding lacks ``×``, ``≥`` or ``→`` (latin-1, cp1252, ASCII), write them as ASCII
    instead of garbling them or escaping them as ``\u2265``."""
    import codecs

    codecs.register_error("forgec-ascii", _ascii_fallback)
    for stream in (sys.stdout, sys.stderr):
        encoding = getattr(stream, "encoding", None)
        try:
            "×≥→Δ".encode(encoding or "utf-8")
        except (UnicodeEncodeError, LookupError):
            with contextlib.suppress(AttributeError, ValueError):
                stream.reconfigure(errors="forgec-ascii")  # type: ignore[union-attr]


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    _plain_terminal_text()
    if argv and argv[0] in SUBCOMMANDS:
        import importlib

        return int(importlib.import_module(SUBCOMMANDS[argv[0]]).main(argv))
    args = _parser().parse_intermixed_args(_report_file_argument(argv))  # positionals between options: forgec IN -q OUT
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
