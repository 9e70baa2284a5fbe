"""``forgec batch``: compile, verify and compare a corpus of models, one table out.

Every model is compiled by its own ``forgec`` process (``python -m onnxforge.cli.forgec MODEL -o OUT
--report=json FILE``), so one model's crash, hang or memory cannot take the batch down; the parent
reads the child's peak RSS from ``os.wait4`` (that child only, not the cumulative RUSAGE_CHILDREN)
and the compile seconds from its report. Node counts of the input, of forgec's output and of each
peer's output are all ``len(graph.node)`` of the file as written, read weight-free (``onnxio.load``).

Peers (``onnxslim``, ``onnxsim``) run their command line's default on the same input, as processes too;
a peer that is not installed or fails is a note in its row, never a failed model. ``--latency`` then
times the original, forgec's output and the peers' outputs with onnxruntime (CPU, 2 intra-op threads,
every graph optimisation on): after the compiles, one model at a time in a fresh process, ``warmup``
untimed runs each, then ``repeats`` rounds that run every variant once in a rotating order; the table
gives each variant's median over the original's median.

Tasks run on a local thread pool (``jobs`` at a time; each thread only waits for its processes) or as
Ray tasks (``run_ray``). Ray workers read the models at the paths the driver gives (absolute): the
paths must be on a filesystem the workers share, and so must ``-o OUTDIR`` for the compiled models
to outlive the task (without it each task compiles into its own temporary directory). Nothing is
shipped through the object store: a corpus of multi-GiB models would pass through the driver's
memory, which is what the per-model processes are there to avoid.

The final row sums nodes and seconds over the models that forgec and every peer handled (so the sums
compare like with like), gives the largest peak RSS and the geometric mean of each latency ratio.
"""

from __future__ import annotations

import math
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

from onnxforge.errors import ForgeError
from onnxforge.runtime import load_structure

PEERS = {"onnxslim": "onnxslim", "onnxsim": "onnxsim"}
"""Peer name → its command (run as ``COMMAND IN OUT``, the tool's defaults)."""
FORMATS = ("md", "json", "csv")
_FORGEC_OUTPUT = re.compile(r"\.forge(\.\d+)?\.onnx$")
"""forgec's own default outputs (``MODEL.forge.onnx``, ``MODEL.forge.N.onnx``): never inputs of a batch."""
ERROR_CHARS = 300


@dataclass(frozen=True)
class Settings:
    """What every model's task is run with (pickled to Ray workers)."""

    pipeline: str | None = None
    target: str | None = None
    dims: tuple[str, ...] = ()
    verify: bool = True
    peers: tuple[str, ...] = ()
    timeout: float | None = None


@dataclass(frozen=True)
class Task:
    path: str
    """Absolute path of the input model."""
    name: str
    """Its name in the table: the path relative to the inputs' common directory."""
    outdir: str | None
    """Where the outputs go (``OUTDIR/NAME.forge.onnx``); None: a temporary directory of the task."""


@dataclass
class ToolRun:
    """One tool's run on one model."""

    nodes: int | None = None
    seconds: float | None = None
    """Wall-clock seconds of the process, interpreter start-up included (the same footing for every tool)."""
    peak_mb: float | None = None
    exit: int | None = None
    error: str | None = None
    """One line, None when the run succeeded."""
    output: str | None = None
    """The model written, when it is kept (``-o OUTDIR``)."""


@dataclass
class Row:
    model: str
    path: str
    producer: str | None = None
    nodes_before: int | None = None
    forgec: ToolRun = field(default_factory=ToolRun)
    compile_seconds: float | None = None
    """forgec's own time for the compile (its report), without the process start-up."""
    pipeline: str | None = None
    verify: str = "off"
    """``ok``, ``failed``, ``off`` (not asked) or ``-`` (the compile failed before verification)."""
    peers: dict[str, ToolRun] = field(default_factory=dict)
    latency_ms: dict[str, float] = field(default_factory=dict)
    """Median ms per variant: ``original``, ``forgec`` and each peer."""
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.forgec.error is None and self.verify in ("ok", "off")

    def to_json(self) -> dict[str, object]:
        return {**{f.name: getattr(self, f.name) for f in fields(self)}, "ok": self.ok}

    def ratio(self, variant: str) -> float | None:
        base, value = self.latency_ms.get("original"), self.latency_ms.get(variant)
        return None if not base or value is None else value / base


# --- which models ------------------------------------------------------------------------------------


def discover(inputs: Iterable[str | os.PathLike[str]]) -> list[Path]:
    """The models named by ``inputs``: a directory gives every ``*.onnx`` below it (sorted, forgec's
    ``*.forge.onnx`` outputs left out), an ``.onnx`` file itself, any other file is a list of model
    paths (one a line, ``#`` comments, relative to the list file). Duplicates are dropped."""
    found: list[Path] = []
    for entry in map(Path, inputs):
        if entry.is_dir():
            found += sorted((p for p in entry.rglob("*.onnx") if p.is_file() and not _FORGEC_OUTPUT.search(p.name)),
                            key=lambda p: p.relative_to(entry).as_posix())
        elif entry.suffix == ".onnx":
            if not entry.exists():
                raise ForgeError(f"{entry}: no such file")
            found.append(entry)
        elif entry.is_file():
            found += _listed(entry)
        else:
            raise ForgeError(f"{entry}: no such file or directory")
    unique = list(dict.fromkeys(p.resolve() for p in found))
    if not unique:
        raise ForgeError(f"no .onnx models in {', '.join(map(str, inputs))}")
    return unique


def _listed(listing: Path) -> list[Path]:
    try:
        text = listing.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise ForgeError(f"{listing}: cannot read the model list: {err}") from None
    paths = []
    for number, line in enumerate(text.splitlines(), 1):
        entry = line.split("#", 1)[0].strip()
        if not entry:
            continue
        path = Path(entry) if Path(entry).is_absolute() else listing.parent / entry
        if not path.is_file():
            raise ForgeError(f"{listing}:{number}: {entry}: no such file")
        paths.append(path)
    return paths


def tasks(models: list[Path], outdir: str | os.PathLike[str] | None) -> list[Task]:
    """One task per model, named by its path relative to the models' common directory (unique, and the
    layout of ``OUTDIR``: ``a/model.onnx`` and ``b/model.onnx`` do not collide)."""
    root = Path(os.path.commonpath([p.parent for p in models]))
    out = None if outdir is None else str(Path(outdir).resolve())
    return [Task(str(p), p.relative_to(root).as_posix(), out) for p in models]


# --- one model ---------------------------------------------------------------------------------------


def run_model(task: Task, settings: Settings) -> Row:
    """Compile one model (and run the peers on it) in child processes; never raises for the model's sake."""
    row = Row(task.name, task.path)
    try:
        proto = load_structure(task.path)
        row.producer = " ".join(filter(None, (proto.producer_name, proto.producer_version))) or None
        row.nodes_before = len(proto.graph.node)
        del proto
    except ForgeError:
        pass  # forgec says why, in its own words
    with tempfile.TemporaryDirectory(prefix="forgec-batch-") as scratch:
        outdir = Path(task.outdir or scratch)
        stem = task.name[: -len(".onnx")] if task.name.endswith(".onnx") else task.name
        target = outdir / f"{stem}.forge.onnx"
        target.parent.mkdir(parents=True, exist_ok=True)
        report = Path(scratch) / "report.json"
        command = [sys.executable, "-m", "onnxforge.cli.forgec", task.path, "-o", str(target), "-q",
                   "--report=json", "--report-file", str(report)]
        command += [f"--pipeline={settings.pipeline}"] if settings.pipeline else []
        command += [f"--target={settings.target}"] if settings.target else []
        if settings.verify:
            command += ["--verify"] + [f"--dim={d}" for d in settings.dims]
        row.forgec = _run_tool(command, target, settings.timeout, keep=task.outdir is not None)
        if report.is_file():
            import json

            data = json.loads(report.read_text(encoding="utf-8"))
            row.compile_seconds, row.pipeline = data.get("seconds"), data.get("pipeline")
        if settings.verify:
            row.verify = "ok" if row.forgec.error is None else "failed" if row.forgec.exit == 3 else "-"
        if row.forgec.error:
            row.notes.append(row.forgec.error)
        for peer in settings.peers:
            executable = shutil.which(PEERS[peer])
            if executable is None:
                row.peers[peer] = ToolRun(error="not installed")
            else:
                output = outdir / f"{stem}.{peer}.onnx"
                row.peers[peer] = _run_tool([executable, task.path, str(output)], output, settings.timeout,
                                            keep=task.outdir is not None)
            if row.peers[peer].error:
                row.notes.append(f"{peer}: {row.peers[peer].error}")
    return row


_LIVE: set[subprocess.Popen[bytes]] = set()
_LIVE_LOCK = threading.Lock()
_STOPPED = threading.Event()
"""The tool processes running now, ended by ``stop_all`` when the batch is interrupted (and any started
after it, by a task that was already running)."""


def _run_tool(command: list[str], output: Path, timeout: float | None, keep: bool) -> ToolRun:
    """Run one tool, measure its wall time and peak RSS (``os.wait4``: this child only), count the nodes
    of what it wrote, and keep the last line of its stderr when it fails."""
    with tempfile.TemporaryFile() as stderr:
        start = time.perf_counter()
        try:
            process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=stderr)
        except OSError as err:
            return ToolRun(error=f"cannot start {command[0]}: {err.strerror}")
        with _LIVE_LOCK:
            _LIVE.add(process)
            if _STOPPED.is_set():
                process.kill()
        try:
            status, usage, timed_out = _wait(process, timeout)
        finally:
            with _LIVE_LOCK:
                _LIVE.discard(process)
        run = ToolRun(seconds=time.perf_counter() - start, peak_mb=_peak_mb(usage.ru_maxrss))
        process.returncode = run.exit = os.waitstatus_to_exitcode(status)  # Popen must not wait for it again
        stderr.seek(0)
        text = stderr.read().decode("utf-8", "replace")
    if timed_out:
        run.error = f"timed out after {timeout:g} s"
    elif run.exit != 0:
        run.error = _last_line(text, run.exit)
    elif not output.is_file():
        run.error = "exited 0 but wrote no model"
    else:
        try:
            run.nodes = len(load_structure(output).graph.node)
        except ForgeError as err:
            run.error = f"wrote an unreadable model: {err}"
    if keep and run.error is None:
        run.output = str(output)
    return run


def _wait(process: subprocess.Popen[bytes], timeout: float | None) -> tuple[int, resource.struct_rusage, bool]:
    if timeout is None:
        _, status, usage = os.wait4(process.pid, 0)
        return status, usage, False
    deadline = time.monotonic() + timeout
    while True:
        pid, status, usage = os.wait4(process.pid, os.WNOHANG)
        if pid:
            return status, usage, False
        if time.monotonic() >= deadline:
            process.kill()
            _, status, usage = os.wait4(process.pid, 0)
            return status, usage, True
        time.sleep(0.05)


def _peak_mb(maxrss: int) -> float:
    """``ru_maxrss`` in MiB (KiB on Linux, bytes on macOS)."""
    return maxrss / (2**20 if sys.platform == "darwin" else 1024)


def _last_line(stderr: str, exit_code: int) -> str:
    """The child's one-line error (``forgec: error: …`` without ``forgec: ``), or how it died."""
    if exit_code < 0:
        name = signal.Signals(-exit_code).name if -exit_code in signal.valid_signals() else str(-exit_code)
        return f"killed by {name}" + (" (out of memory?)" if -exit_code == signal.SIGKILL else "")
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    ours = [line for line in lines if line.startswith("forgec:")]
    line = (ours or lines or [f"exit status {exit_code}"])[-1]
    line = line.removeprefix("forgec: ")
    return line if len(line) <= ERROR_CHARS else line[: ERROR_CHARS - 1] + "…"


def stop_all() -> None:
    """Kill the tool processes still running (the batch was interrupted)."""
    with _LIVE_LOCK:
        _STOPPED.set()
        for process in list(_LIVE):
            if process.returncode is None:
                process.kill()


# --- many models -------------------------------------------------------------------------------------


Progress = Callable[[Row, int, int], None]


def run_local(work: list[Task], settings: Settings, jobs: int, progress: Progress | None = None) -> list[Row]:
    """The tasks on ``jobs`` threads, each waiting for its processes; rows in the tasks' order."""
    rows: list[Row | None] = [None] * len(work)
    _STOPPED.clear()
    pool = ThreadPoolExecutor(max_workers=max(1, jobs), thread_name_prefix="forgec-batch")
    try:
        futures = {pool.submit(run_model, task, settings): i for i, task in enumerate(work)}
        for done, future in enumerate(as_completed(futures), 1):
            rows[futures[future]] = row = future.result()
            if progress:
                progress(row, done, len(work))
    except BaseException:
        pool.shutdown(wait=False, cancel_futures=True)
        stop_all()
        raise
    pool.shutdown()
    return [row for row in rows if row is not None]


def ray_available() -> bool:
    import importlib.util

    return importlib.util.find_spec("ray") is not None


def run_ray(address: str, work: list[Task], settings: Settings, progress: Progress | None = None) -> list[Row]:
    """The tasks as Ray tasks on the cluster at ``address`` (one CPU each, no retries: a model that
    kills its worker is a failed row). The workers need onnxforge installed and the paths shared."""
    import logging

    try:
        import ray
    except ImportError:
        raise ForgeError("--ray needs the ray package (pip install 'onnxforge[ray]')") from None
    try:
        ray.init(address=address, logging_level=logging.WARNING, log_to_driver=False)
    except Exception as err:  # ConnectionError, ValueError, ray's own types
        raise ForgeError(f"cannot connect to the Ray cluster at {address!r}: {_first_line(err)}") from None
    try:
        remote = ray.remote(num_cpus=1, max_retries=0)(run_model)
        refs = [remote.remote(task, settings) for task in work]
        index = {ref: i for i, ref in enumerate(refs)}
        rows: list[Row | None] = [None] * len(work)
        pending, done = list(refs), 0
        while pending:
            ready, pending = ray.wait(pending, num_returns=1)
            i = index[ready[0]]
            try:
                rows[i] = ray.get(ready[0])
            except Exception as err:  # the worker died (ray.exceptions.RayError): the model's failure
                rows[i] = Row(work[i].name, work[i].path, notes=[f"ray: {_first_line(err)}"],
                              forgec=ToolRun(error=f"ray: {_first_line(err)}"))
            done += 1
            if progress:
                progress(rows[i], done, len(work))  # type: ignore[arg-type]
        return [row for row in rows if row is not None]
    finally:
        ray.shutdown()


def _first_line(err: BaseException) -> str:
    text = str(err).strip()
    return text.splitlines()[0] if text else type(err).__name__


# --- latency -----------------------------------------------------------------------------------------


def measure_latency(rows: list[Row], settings: Settings, repeats: int = 20, warmup: int = 3, threads: int = 2) -> None:
    """Fill ``latency_ms`` of every compiled row: the original, forgec's output and each peer's output,
    timed in a fresh process per model (an onnxruntime crash is that row's note), one model at a time."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    context = multiprocessing.get_context("spawn")  # no fork of a threaded parent
    dims = _dims(settings.dims)
    for row in rows:
        if not row.ok or row.forgec.output is None:
            continue
        variants = {"original": row.path, "forgec": row.forgec.output}
        variants |= {peer: run.output for peer, run in row.peers.items() if run.output}
        try:
            with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
                row.latency_ms, problems = pool.submit(time_variants, variants, dims, repeats, warmup, threads).result()
        except ForgeError as err:
            problems = [f"latency: {err}"]
        except Exception as err:  # BrokenProcessPool: the measuring process died
            problems = [f"latency: {type(err).__name__}: {_first_line(err)}"]
        row.notes += problems


def time_variants(variants: dict[str, str], dims: dict[str, int], repeats: int, warmup: int,
                  threads: int) -> tuple[dict[str, float], list[str]]:
    """Median ms of each variant on the same random inputs (made from the original's input types)."""
    import numpy as np

    from onnxforge.runtime import latency_session, make_inputs, time_runs

    feeds, _ = make_inputs(load_structure(variants["original"]), 0, dims)
    sessions, problems = {}, []
    for name, path in variants.items():
        try:
            sessions[name] = latency_session(path, threads)
            time_runs(sessions[name], feeds, warmup)
        except ForgeError as err:
            if name == "original":
                raise
            sessions.pop(name, None)
            problems.append(f"latency of {name}: {err}")
    names = list(sessions)
    times: dict[str, list[float]] = {name: [] for name in names}
    for round_ in range(repeats):
        shift = round_ % len(names)
        for name in names[shift:] + names[:shift]:
            times[name] += time_runs(sessions[name], feeds)
    return {name: float(np.median(t)) * 1e3 for name, t in times.items()}, problems


def _dims(pairs: Iterable[str]) -> dict[str, int]:
    dims = {}
    for pair in pairs:
        name, _, value = pair.partition("=")
        if not name or not value.isdigit():
            raise ForgeError(f"--dim expects NAME=INTEGER, got {pair!r}")
        dims[name] = int(value)
    return dims


# --- the table ---------------------------------------------------------------------------------------


@dataclass
class Total:
    models: int
    ok: int
    failed: int
    common: int
    """Models that forgec and every peer handled: the nodes and seconds below sum over these."""
    nodes_before: int
    forgec_nodes: int
    peer_nodes: dict[str, int]
    forgec_seconds: float
    peer_seconds: dict[str, float]
    peak_mb: float | None
    verified: str
    latency_geomean: dict[str, float]
    seconds: float
    """Wall-clock seconds of the whole batch."""


def total(rows: list[Row], settings: Settings, seconds: float) -> Total:
    common = [r for r in rows if r.forgec.nodes is not None and r.nodes_before is not None
              and all(r.peers.get(p, ToolRun()).nodes is not None for p in settings.peers)]
    peaks = [r.forgec.peak_mb for r in rows if r.forgec.peak_mb is not None]
    asked = [r for r in rows if r.verify != "off"]
    variants = ["forgec", *settings.peers]
    ratios = {v: [x for r in rows if (x := r.ratio(v))] for v in variants}
    return Total(
        models=len(rows), ok=sum(r.ok for r in rows), failed=sum(not r.ok for r in rows), common=len(common),
        nodes_before=sum(r.nodes_before or 0 for r in common), forgec_nodes=sum(r.forgec.nodes or 0 for r in common),
        peer_nodes={p: sum(r.peers[p].nodes or 0 for r in common) for p in settings.peers},
        forgec_seconds=sum(r.forgec.seconds or 0.0 for r in common),
        peer_seconds={p: sum(r.peers[p].seconds or 0.0 for r in common) for p in settings.peers},
        peak_mb=max(peaks) if peaks else None,
        verified=f"{sum(r.verify == 'ok' for r in asked)}/{len(asked)}" if asked else "off",
        latency_geomean={v: math.exp(sum(map(math.log, xs)) / len(xs)) for v, xs in ratios.items() if xs},
        seconds=seconds,
    )


def table(rows: list[Row], settings: Settings, seconds: float):  # type: ignore[no-untyped-def]
    """The rows and the total as an ``instruments.tables.Table`` (rendered as Markdown or CSV)."""
    from onnxforge.instruments.tables import Table

    latency = any(r.latency_ms for r in rows)
    peers = list(settings.peers)
    columns = ["model", "producer", "nodes before", "forgec nodes", *(f"{p} nodes" for p in peers), "forgec s",
               *(f"{p} s" for p in peers), "peak MB", "verify"]
    if latency:
        columns += ["original ms", "forgec lat×", *(f"{p} lat×" for p in peers)]
    columns += ["status", "notes"]
    body = []
    for r in rows:
        line = [r.model, r.producer, r.nodes_before, r.forgec.nodes, *(r.peers[p].nodes for p in peers),
                _round(r.forgec.seconds), *(_round(r.peers[p].seconds) for p in peers),
                _round(r.forgec.peak_mb, 1), r.verify]
        if latency:
            line += [_round(r.latency_ms.get("original"), 3), *(_round(r.ratio(v), 3) for v in ["forgec", *peers])]
        body.append(line + ["ok" if r.ok else "failed", "; ".join(r.notes) or None])
    t = total(rows, settings, seconds)
    line = [f"total ({t.common}/{t.models})", None, t.nodes_before, t.forgec_nodes, *(t.peer_nodes[p] for p in peers),
            _round(t.forgec_seconds), *(_round(t.peer_seconds[p]) for p in peers), _round(t.peak_mb, 1), t.verified]
    if latency:
        line += [None, *(_round(t.latency_geomean.get(v), 3) for v in ["forgec", *peers])]
    body.append(line + [f"{t.ok} ok, {t.failed} failed", None])
    title = (f"forgec batch: {t.models} models, pipeline {settings.pipeline or 'auto'}"
             + (f", target {settings.target}" if settings.target else ""))
    notes = [f"total: nodes and seconds summed over the {t.common} models that forgec"
             + (" and every peer" if peers else "") + " compiled; peak MB the largest; seconds are process wall "
             "time (start-up included; forgec's with its --verify)"]
    if latency:
        notes.append("lat×: median latency over the original's (onnxruntime CPU, 2 threads, interleaved runs; "
                     "< 1 is faster); total: geometric mean")
    return Table(title, columns, body, notes)


def _round(value: float | None, digits: int = 2) -> float | None:
    return None if value is None else round(value, digits)


def render(rows: list[Row], settings: Settings, seconds: float, fmt: str) -> str:
    if fmt == "json":
        from onnxforge.instruments.tables import dumps

        return dumps({"settings": asdict(settings), "models": rows, "total": total(rows, settings, seconds)})
    from onnxforge.instruments.tables import render as render_table

    return render_table([table(rows, settings, seconds)], {"md": "markdown", "csv": "csv"}[fmt])
