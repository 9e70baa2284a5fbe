"""Running a pipeline with MLIR-style observability.

IR before/after chosen passes (or all, or only when a pass changed
something), a dump directory with one numbered file per stage, pass timing,
per-pattern statistics, ``--verify-each`` (onnxruntime after every pass, at
the pass's accuracy class), opt-bisect (stop after N rewrites and say which
was last), and a reproducer (the pipeline's input IR and the exact pass
specs run so far, options included) when a pass fails. A fixed-point stage
repeats until no pass changes anything, and warns loudly if it does not converge.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from xdsl.dialects.builtin import ModuleOp
from xdsl.utils.exceptions import DiagnosticException, VerifyException

from onnxforge.dialects.context import make_context
from onnxforge.errors import ForgeError
from onnxforge.ir.provenance import name_or_kind
from onnxforge.ir.text import elided_weights, print_ir
from onnxforge.onnxio.writer import write_text
from onnxforge.passmanager import tags
from onnxforge.passmanager.base import ForgePass, RunState, run_state
from onnxforge.passmanager.rewriting import count_ops

MAX_ITERATIONS = 8
"""Fixed-point stages stop (with a warning) after this many sweeps."""


@dataclass
class RunOptions:
    """What to show and check while a pipeline runs (the ``forgec`` flags of the same names)."""

    print_ir_before: frozenset[str] = frozenset()
    print_ir_after: frozenset[str] = frozenset()
    print_ir_after_all: bool = False
    print_ir_after_change: bool = False
    print_weights: bool = False
    ir_dump_dir: Path | None = None
    time_passes: bool = False
    pass_statistics: bool = False
    bisect_limit: int | None = None
    verify_ir_each: bool = False
    """Verify the IR after every pass (else once, after the pipeline: verification costs ~100 µs per op)."""
    verify_each: Callable[[ModuleOp, ForgePass], str | None] | None = None
    """Called after each pass; returns a problem description or None."""
    reproducer: Path | None = None
    reproducer_input: Callable[[], ModuleOp] | None = None
    """Rebuilds the pipeline's input for a reproducer (forgec re-reads its input file, which it never
    modifies); without it the run keeps a clone of the module from the start, in case a pass fails."""
    stream: TextIO = field(default_factory=lambda: sys.stderr)
    progress: Callable[[str], None] | None = None
    """Told the name of each stage as it starts (forgec's progress line on a terminal)."""


@dataclass
class PassRecord:
    name: str
    seconds: float = 0.0
    runs: int = 0
    changed: int = 0
    op_counts: list[tuple[int, int]] = field(default_factory=list)
    """(ops before, ops after) of every run, with ``--pass-statistics`` (a pass in a fixed-point stage runs
    once per sweep; its first run usually does the work)."""


@dataclass
class RunReport:
    records: dict[str, PassRecord]
    state: RunState
    iterations: int

    def changed(self) -> bool:
        return any(r.changed for r in self.records.values())


@dataclass(frozen=True)
class Stage:
    """A run of passes in order, optionally repeated until none changes anything."""

    passes: list[ForgePass]
    fixed_point: bool = False
    name: str = ""
    """The pipeline the stage belongs to (reports)."""


class PassManager:
    """Runs stages of passes with the observability options."""

    def __init__(self, stages: list[Stage]) -> None:
        self.stages = stages
        self.passes = [p for stage in self.stages for p in stage.passes]

    @property
    def spec(self) -> str:
        """Every pass in order, written with its options: a pipeline string that replays the run's configuration."""
        return ",".join(str(p.spec()) for p in self.passes)

    def run(self, module: ModuleOp, options: RunOptions | None = None) -> RunReport:
        options = options or RunOptions()
        state = RunState(bisect_limit=options.bisect_limit, cache_analyses=not options.verify_ir_each)
        run = _Run(options, state, module)
        run.records.update((p.name, PassRecord(p.name)) for p in self.passes)
        if options.ir_dump_dir is not None:
            options.ir_dump_dir.mkdir(parents=True, exist_ok=True)
            run.dump(module, "input")
        iterations = 0
        with run_state(run.state):
            for number, stage in enumerate(self.stages, 1):
                if options.progress is not None:
                    first = stage.passes[0].name if stage.passes else ""
                    options.progress(f"stage {number}/{len(self.stages)} ({stage.name}: {first}{', …' if len(stage.passes) > 1 else ''})")
                iterations = max(iterations, run.stage(stage, module))
        if self.passes and not (options.verify_ir_each or options.verify_each is not None):
            try:
                module.verify()
            except Exception as err:
                raise ForgeError(
                    f"the IR after passes {self.spec} does not verify: {str(err).strip().splitlines()[0]} "
                    "(rerun with --verify-ir-each to find the pass)"
                ) from err
        if any(record.changed for record in run.records.values()):
            name_unnamed_nodes(module)
        report = RunReport(run.records, run.state, iterations)
        for warning in run.state.warnings:
            print(f"forgec: warning: {warning}", file=options.stream)
        if options.bisect_limit is not None:
            print(
                f"forgec: bisect: {run.state.rewrites} rewrite(s) performed (limit {options.bisect_limit}); "
                f"last: {run.state.last_rewrite or 'none'}",
                file=options.stream,
            )
        if options.time_passes:
            _print_timing(options.stream, report)
        if options.pass_statistics:
            _print_statistics(options.stream, report)
        return report


def name_unnamed_nodes(module: ModuleOp) -> None:
    """Give every node without a name one: ``<module path>/<OpType>`` where the exporter recorded a module,
    else ``<OpType>`` (the exporter makes repeats unique with ``__N``). TensorRT layer names, profilers and
    graph-surgeon lookups read node names, and a pass that builds an op (a Cast, a folded Concat) has no
    source node to name it after. Only after a pipeline changed the model: ``--pipeline=none`` keeps the
    input's nodes exactly as they were, unnamed ones included."""
    from onnxforge.dialects.onnx.base import OnnxOp
    from onnxforge.dialects.onnx.structure import CustomOp
    from onnxforge.ir import provenance

    for op in module.walk():
        if isinstance(op, (OnnxOp, CustomOp)) and not provenance.node_name(op):
            kind = op.SIGNATURE.op_type if isinstance(op, OnnxOp) else op.op_type.data
            path = provenance.module_path(op)
            op.location = provenance.location(f"/{path}/{kind}" if path else kind, provenance.replaced_names(op))


class _Run:
    """One pipeline run: the options, the state, the records, and what happens around each pass."""

    def __init__(self, options: RunOptions, state: RunState, module: ModuleOp) -> None:
        self.options = options
        self.state = state
        self.records: dict[str, PassRecord] = {}
        self.ran: list[ForgePass] = []
        self.dumps = 0
        self.context = make_context()
        self.original = module.clone() if options.reproducer is not None and options.reproducer_input is None else None
        self.tagged = tags.is_tagged(module)
        """Whether the input carries module tags: then every pass must leave every node op tagged."""

    def stage(self, stage: Stage, module: ModuleOp) -> int:
        """One stage's sweeps; returns how many it took. A pass that found nothing is skipped until
        another pass changes the IR."""
        last_change = 0  # position (in pass runs) of the latest run that changed the IR
        settled: dict[int, int] = {}  # pass index -> position of its latest run, if it changed nothing
        position = iterations = 0
        for iterations in range(1, (MAX_ITERATIONS if stage.fixed_point else 1) + 1):  # noqa: B007  (returned)
            sweep_changed = False
            for index, pass_ in enumerate(stage.passes):
                position += 1
                if settled.get(index, -1) > last_change:
                    continue
                changed = self.one_pass(pass_, module)
                sweep_changed |= changed
                if changed:
                    last_change = position
                    settled.pop(index, None)
                else:
                    settled[index] = position
            if not stage.fixed_point or not sweep_changed:
                break
        else:
            self.state.warnings.append(
                f"pipeline did not reach a fixed point in {MAX_ITERATIONS} sweeps; the result is correct but may "
                "not be fully simplified (please report this model)"
            )
        return iterations

    def one_pass(self, pass_: ForgePass, module: ModuleOp) -> bool:
        """Run one pass with everything the options ask around it; returns whether it changed the IR."""
        options, state = self.options, self.state
        record = self.records.setdefault(pass_.name, PassRecord(pass_.name))
        if pass_.name in options.print_ir_before:
            self.show(module, f"IR before {pass_.name}")
        before_text = print_ir(module) if options.print_ir_after_change else None
        ops_before = count_ops(module) if options.pass_statistics else 0
        rewrites, state.changed = state.rewrites, False
        self.ran.append(pass_)
        start = time.perf_counter()
        try:
            pass_.apply(self.context, module)
            if options.verify_ir_each or options.verify_each is not None:
                module.verify()
        except Exception as err:
            self.fail(err, pass_)
        record.seconds += time.perf_counter() - start
        record.runs += 1
        changed = state.changed or state.rewrites > rewrites
        state.invalidate(changed)  # before the text comparison: a change that printed the same still counts
        if before_text is not None:
            changed = changed and print_ir(module) != before_text
        record.changed += changed
        if self.tagged and changed and (inherited := tags.complete_tags(module)):
            state.statistics[f"{pass_.name}/module tags inherited by new ops"] += inherited
        if self.tagged and (options.verify_ir_each or options.verify_each is not None) and (
                problem := tags.check_tags(module)):
            raise ForgeError(f"pass {pass_.name} broke the module tags: {problem}")
        if options.pass_statistics:
            record.op_counts.append((ops_before, count_ops(module)))
        if options.print_ir_after_all or pass_.name in options.print_ir_after or (options.print_ir_after_change and changed):
            self.show(module, f"IR after {pass_.name}")
        if options.ir_dump_dir is not None:
            self.dump(module, pass_.name)
        if options.verify_each is not None and (problem := options.verify_each(module, pass_)):
            raise ForgeError(
                f"--verify-each: pass {pass_.name} (class {int(pass_.accuracy)}) changed the outputs: {problem}; "
                f"last rewrite: {state.last_rewrite or 'none'} (narrow it with --bisect-limit={state.rewrites})"
            )
        return changed

    def fail(self, err: Exception, pass_: ForgePass) -> None:
        if isinstance(err, ForgeError):
            raise err
        where = ""
        cause: BaseException = err
        if self.state.failure is not None:
            pattern, op, cause = self.state.failure
            where = f" ({pattern}) on {op.name} (node {name_or_kind(op)!r})"
        elif isinstance(err, (VerifyException, DiagnosticException)):
            where = " (the IR it produced does not verify)"
        message = str(cause).strip().splitlines()[0] if str(cause).strip() else type(cause).__name__
        reproducer = "; rerun with --reproducer=FILE for a reproducer"
        if self.options.reproducer is not None:
            passes = ",".join(str(p.spec()) for p in self.ran)
            original = self.original if self.original is not None else self.options.reproducer_input()  # type: ignore[misc]
            reproducer = _write_reproducer(self.options.reproducer, original, passes, self.options.print_weights)
        raise ForgeError(f"pass {pass_.name} failed{where}: {type(cause).__name__}: {message}{reproducer}") from err

    def show(self, module: ModuleOp, title: str) -> None:
        self.options.stream.write(f"// -----// {title} //----- //\n")
        self.options.stream.write(print_ir(module, weights=self.options.print_weights))

    def dump(self, module: ModuleOp, label: str) -> None:
        assert self.options.ir_dump_dir is not None
        path = self.options.ir_dump_dir / f"{self.dumps:02d}-{label}.mlir"
        path.write_text(print_ir(module, weights=self.options.print_weights))
        self.dumps += 1


def _write_reproducer(path: Path, original: ModuleOp, passes: str, weights: bool) -> str:
    """The pipeline's input IR, headed by the command that replays the failing run (every pass with its
    options); weights are elided, each named with its digest, unless asked for (``--print-weights``):
    printed weights cost ~2 bytes of text per byte, and the user did not ask to copy them. Written like
    any output (atomically, never through a link). Returns the note for the error line."""
    header = f"// onnxforge reproducer: forgec {path.name} --passes='{passes}' --emit=ir\n"
    if not weights and (elided := elided_weights(original)):
        header += "// weights elided (rerun with --print-weights to include them):\n"
        header += "".join(f"//   {line}\n" for line in elided)
    try:
        write_text(path, header + print_ir(original, weights=weights))
    except ForgeError as err:
        return f"; reproducer not written: {err}"
    return f"; reproducer: {path}"


def _print_timing(stream: TextIO, report: RunReport) -> None:
    total = sum(r.seconds for r in report.records.values()) or 1e-9
    stream.write("===-- pass execution timing --===\n")
    stream.write(f"  {'seconds':>9}  {'%':>5}  {'runs':>4}  pass\n")
    for record in sorted(report.records.values(), key=lambda r: -r.seconds):
        stream.write(f"  {record.seconds:9.4f}  {100 * record.seconds / total:5.1f}  {record.runs:4d}  {record.name}\n")
    stream.write(f"  {total:9.4f}  100.0        total ({report.iterations} sweep(s))\n")


def _print_statistics(stream: TextIO, report: RunReport) -> None:
    stream.write("===-- pass statistics --===\n")
    for record in report.records.values():
        runs = ", ".join(f"{before} -> {after}" for before, after in record.op_counts)
        stream.write(f"  {record.name}: ops {runs}, changed in {record.changed}/{record.runs} run(s)\n")
        for key, count in sorted(report.state.statistics.items()):
            if key.startswith(record.name + "/"):
                stream.write(f"    {count:6d}  {key.split('/', 1)[1]}\n")
