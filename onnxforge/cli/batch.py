"""``forgec batch``: compile, verify and compare a set of models; one table out.

    forgec batch models/                                   # every *.onnx below models/, a Markdown table on stdout
    forgec batch corpus.txt --format csv --table out.csv   # model paths one a line (# comments, relative to the list)
    forgec batch a.onnx b.onnx --peers onnxslim,onnxsim --latency -o compiled/
    forgec batch models/ --ray 10.0.0.5:6379 -o /shared/compiled   # tasks on a Ray cluster (pip install 'onnxforge[ray]')

Each model is compiled by its own ``forgec`` process (a crash or out-of-memory is that model's row),
``--jobs`` at a time; the table has nodes before and after, process seconds, peak RSS, verification,
the peers' nodes and seconds, and with ``--latency`` onnxruntime latency ratios (``onnxforge/batch.py``
says how each is measured). Compiled models go to ``-o OUTDIR`` (mirroring the inputs' layout), else to
a temporary directory removed at the end; never next to the inputs unless OUTDIR is theirs.

With ``--ray`` the workers read the models at the driver's absolute paths: they must be on a shared
filesystem, as must ``-o OUTDIR`` to keep the compiled models (``--latency`` needs it).

Exit 0 when every model compiled (and verified, unless ``--no-verify``), 1 otherwise; the table is
written either way, and a summary line goes to stderr. A bad request is one ``forgec: error:`` line
and exit 1 before any work.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from onnxforge.cli.command import run, subcommand_argv
from onnxforge.errors import ForgeError
from onnxforge.targets import TARGET_KINDS


def _parser() -> argparse.ArgumentParser:
    from onnxforge.batch import FORMATS, PEERS

    parser = argparse.ArgumentParser(
        prog="forgec batch", formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Compile, verify and compare a set of models (each in its own process) and write one table.")
    parser.add_argument("inputs", nargs="+", metavar="DIR_OR_LIST",
                        help="a directory (every *.onnx below it, *.forge.onnx left out), a text file of model paths "
                             "(one a line, # comments, relative to the file), or .onnx files")
    parser.add_argument("--pipeline", help="forgec's --pipeline for every model (default auto)")
    parser.add_argument("--target", choices=list(TARGET_KINDS), help="forgec's --target for every model")
    parser.add_argument("--dim", action="append", default=[], metavar="NAME=VALUE",
                        help="bind a symbolic dim for verification and latency inputs")
    parser.add_argument("--verify", action=argparse.BooleanOptionalAction, default=True,
                        help="verify every compiled model with onnxruntime (default on)")
    parser.add_argument("-o", "--output", type=Path, metavar="OUTDIR",
                        help="keep the compiled models here, as OUTDIR/RELPATH.forge.onnx (default: a temporary "
                             "directory, removed at the end)")
    parser.add_argument("--format", choices=FORMATS, default="md", help="table format (default md)")
    parser.add_argument("--table", type=Path, metavar="FILE", help="write the table to FILE (default stdout)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, metavar="N",
                        help="models compiled at once (default: the number of cores)")
    parser.add_argument("--ray", metavar="ADDRESS",
                        help="run the tasks on the Ray cluster at ADDRESS (host:port, or auto) instead; paths must "
                             "be shared with the workers")
    parser.add_argument("--peers", default="", metavar="TOOL,...",
                        help=f"also run these tools' defaults on every model: {', '.join(PEERS)} (default none)")
    parser.add_argument("--latency", action="store_true",
                        help="compare onnxruntime CPU latency (2 threads, interleaved medians) of the original, "
                             "forgec's output and the peers'")
    parser.add_argument("--repeats", type=int, default=20, metavar="R", help="timed rounds of --latency (default 20)")
    parser.add_argument("--warmup", type=int, default=3, metavar="W", help="untimed runs per variant first (default 3)")
    parser.add_argument("--timeout", type=float, metavar="SECONDS", help="stop a tool that runs longer (default: none)")
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress and no summary line on stderr")
    parser.add_argument("--debug", action="store_true", help="show tracebacks of internal errors")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(subcommand_argv(argv, "batch"))
    with _terminate_as_interrupt():
        return run(lambda: _run(args), args.debug)


@contextlib.contextmanager
def _terminate_as_interrupt() -> Iterator[None]:
    """SIGTERM (a scheduler's time limit) ends the batch as Ctrl-C does: the running tools are killed and
    the temporary directories removed, not left to run on as orphans (main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _run(args: argparse.Namespace) -> int:
    from onnxforge import batch

    settings = _check(args)
    started = time.perf_counter()
    work_models = batch.discover(args.inputs)
    if args.output is not None:
        args.output.mkdir(parents=True, exist_ok=True)
    progress = None if args.quiet or not sys.stderr.isatty() else _progress
    with tempfile.TemporaryDirectory(prefix="forgec-batch-") as scratch:
        # latency times the outputs after the compiles: they must outlive the tasks
        outdir = args.output or (Path(scratch) if args.latency and not args.ray else None)
        work = batch.tasks(work_models, outdir)
        if args.ray:
            rows = batch.run_ray(args.ray, work, settings, progress)
        else:
            rows = batch.run_local(work, settings, args.jobs, progress)
        if args.latency:
            batch.measure_latency(rows, settings, args.repeats, args.warmup)
        if args.output is None:  # the temporary outputs are gone with the directory
            for row in rows:
                for tool in (row.forgec, *row.peers.values()):
                    tool.output = None
        seconds = time.perf_counter() - started
        text = batch.render(rows, settings, seconds, args.format)
    if args.table is None:
        sys.stdout.write(text)
        sys.stdout.flush()
    else:
        from onnxforge.onnxio.writer import write_text

        write_text(args.table, text)
    ok = sum(row.ok for row in rows)
    if not args.quiet:
        where = f"; table in {args.table}" if args.table is not None else ""
        print(f"forgec batch: {len(rows)} models, {ok} ok, {len(rows) - ok} failed, {seconds:.1f} s{where}",
              file=sys.stderr)
    return 0 if ok == len(rows) else 1


def _check(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    """Every refusal before any work: a bad flag is one error, not a failed row per model."""
    from onnxforge.batch import PEERS, Settings, _dims, ray_available

    if args.ray and not ray_available():
        raise ForgeError("--ray needs the ray package, which is not installed (pip install 'onnxforge[ray]')")
    if args.ray and args.latency and args.output is None:
        raise ForgeError("--latency with --ray times the compiled models here: give -o OUTDIR on a filesystem "
                         "the workers share")
    if args.jobs < 1:
        raise ForgeError(f"--jobs must be at least 1, got {args.jobs}")
    if args.latency and (args.repeats < 1 or args.warmup < 0):
        raise ForgeError("--latency needs --repeats >= 1 and --warmup >= 0")
    if args.timeout is not None and args.timeout <= 0:
        raise ForgeError(f"--timeout must be positive, got {args.timeout:g}")
    peers = tuple(dict.fromkeys(p.strip() for p in args.peers.split(",") if p.strip()))
    if unknown := [p for p in peers if p not in PEERS]:
        raise ForgeError(f"unknown peer {unknown[0]!r}; known: {', '.join(PEERS)}")
    _dims(args.dim)
    if args.output is not None and args.output.exists() and not args.output.is_dir():
        raise ForgeError(f"{args.output}: -o names the output directory, and this is a file")
    if args.table is not None:
        from onnxforge.onnxio.writer import destination

        destination(args.table)
        if not args.table.parent.is_dir():
            raise ForgeError(f"{args.table}: directory {str(args.table.parent)!r} does not exist")
        if args.table.suffix == ".onnx":
            raise ForgeError(f"{args.table}: the table would be written over a model")
    if args.verify or args.latency:
        from onnxforge.ortload import onnxruntime

        onnxruntime()  # verification and latency need it: say so now, not once per model
    from onnxforge.compiler import pass_manager

    pass_manager(args.pipeline or "auto", None, target=args.target)  # an unknown pipeline: one error, before any work
    return Settings(args.pipeline, args.target, tuple(args.dim), args.verify, peers, args.timeout)


def _progress(row, done: int, count: int) -> None:  # type: ignore[no-untyped-def]
    state = "ok" if row.ok else f"failed: {row.notes[0] if row.notes else ''}"
    print(f"forgec batch: [{done}/{count}] {row.model}: {state}", file=sys.stderr, flush=True)
