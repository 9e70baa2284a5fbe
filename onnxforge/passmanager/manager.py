"""Running a pipeline with MLIR-style observability.

IR before/after chosen passes (or all, or only when a pass changed
something), a dump directory with one numbered file per stage, pass timing,
per-pattern statistics, ``--verify-each`` (onnxruntime after every pass, at
the pass's accuracy class), opt-bisect (stop after N rewrites and say which
was last), and a reproducer (the pipeline's input IR + the passes run so far)
when a pass fails. A fixed-point pipeline repeats until no pass changes
anything, and warns loudly if it does not converge.
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

from onnxforge.errors import ForgeError
from onnxforge.ir.context import make_context
from onnxforge.ir.text import print_ir
from onnxforge.lowering import LoweringTarget
from onnxforge.passmanager.base import ForgePass, RunState, run_state
from onnxforge.passmanager.rewriting import count_ops, source_name

MAX_ITERATIONS = 8
"""Fixed-point pipelines stop (with a warning) after this many sweeps."""


@dataclass
class Instrumentation:
    """What to show while a pipeline runs (the ``forgec`` flags of the same names)."""

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
    target: LoweringTarget | None = None
    """What fused ops may lower to (``--target``/``--target-opset``); None: standard ops at the model's opset."""
    stream: TextIO = field(default_factory=lambda: sys.stderr)


@dataclass
class PassRecord:
    name: str
    seconds: float = 0.0
    runs: int = 0
    changed: int = 0
    ops_before: int = 0
    ops_after: int = 0


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
    """Runs stages of passes with the instrumentation; a plain pass list is one stage."""

    def __init__(self, passes: list[ForgePass], fixed_point: bool = False, spec: str = "",
                 stages: list[Stage] | None = None) -> None:
        self.stages = stages if stages is not None else [Stage(passes, fixed_point)]
        self.passes = [p for stage in self.stages for p in stage.passes]
        self.spec = spec or ",".join(p.name for p in self.passes)

    def run(self, module: ModuleOp, inst: Instrumentation | None = None) -> RunReport:
        inst = inst or Instrumentation()
        state = RunState(bisect_limit=inst.bisect_limit, target=inst.target)
        records = {p.name: PassRecord(p.name) for p in self.passes}
        original = module.clone() if inst.reproducer is not None else None
        self._stage_count = 0
        self._ran: list[str] = []
        if inst.ir_dump_dir is not None:
            inst.ir_dump_dir.mkdir(parents=True, exist_ok=True)
            self._dump(inst, module, 0, "input")
        iterations = 0
        ctx = make_context()
        with run_state(state):
            for stage in self.stages:
                iterations = max(iterations, self._run_stage(stage, module, inst, state, records, ctx, original))
        if self.passes and not (inst.verify_ir_each or inst.verify_each is not None):
            try:
                module.verify()
            except Exception as err:
                raise ForgeError(
                    f"the IR after passes {self.spec} does not verify: {str(err).strip().splitlines()[0]} "
                    "(rerun with --verify-ir-each to find the pass)"
                ) from err
        report = RunReport(records, state, iterations)
        for warning in state.warnings:
            print(f"forgec: warning: {warning}", file=inst.stream)
        if inst.bisect_limit is not None:
            print(
                f"forgec: bisect: {state.rewrites} rewrite(s) performed (limit {inst.bisect_limit}); "
                f"last: {state.last_rewrite or 'none'}",
                file=inst.stream,
            )
        if inst.time_passes:
            self._print_timing(inst, report)
        if inst.pass_statistics:
            self._print_statistics(inst, report)
        return report

    def _run_stage(self, stage_def: Stage, module: ModuleOp, inst: Instrumentation, state: RunState,
                   records: dict[str, PassRecord], ctx, original: ModuleOp | None) -> int:  # type: ignore[no-untyped-def]
        """One stage's sweeps; returns how many it took."""
        last_change = 0  # position (in pass runs) of the latest run that changed the IR
        settled: dict[int, int] = {}  # pass index -> position of its latest run, if it changed nothing
        position = 0
        iterations = 0
        for iterations in range(1, (MAX_ITERATIONS if stage_def.fixed_point else 1) + 1):
            sweep_changed = False
            for index, pass_ in enumerate(stage_def.passes):
                position += 1
                if settled.get(index, -1) > last_change:
                    continue  # it found nothing to do, and nothing has changed since
                self._stage_count += 1
                stage = self._stage_count
                record = records[pass_.name]
                if pass_.name in inst.print_ir_before:
                    self._show(inst, module, f"IR before {pass_.name}")
                before_text = print_ir(module) if inst.print_ir_after_change else None
                record.ops_before = count_ops(module) if inst.pass_statistics else 0
                rewrites, state.changed = state.rewrites, False
                self._ran.append(pass_.name)
                start = time.perf_counter()
                try:
                    pass_.apply(ctx, module)
                    if inst.verify_ir_each or inst.verify_each is not None:
                        module.verify()
                except Exception as err:
                    self._fail(err, pass_, state, original, inst)
                record.seconds += time.perf_counter() - start
                record.runs += 1
                changed = state.changed or state.rewrites > rewrites
                if before_text is not None:
                    changed = changed and print_ir(module) != before_text
                record.changed += changed
                sweep_changed |= changed
                if changed:
                    last_change = position
                    settled.pop(index, None)
                else:
                    settled[index] = position
                if inst.pass_statistics:
                    record.ops_after = count_ops(module)
                if inst.print_ir_after_all or pass_.name in inst.print_ir_after or (inst.print_ir_after_change and changed):
                    self._show(inst, module, f"IR after {pass_.name}")
                if inst.ir_dump_dir is not None:
                    self._dump(inst, module, stage, pass_.name)
                if inst.verify_each is not None:
                    problem = inst.verify_each(module, pass_)
                    if problem:
                        raise ForgeError(
                            f"--verify-each: pass {pass_.name} (class {int(pass_.accuracy)}) changed the outputs: {problem}; "
                            f"last rewrite: {state.last_rewrite or 'none'} (narrow it with --bisect-limit={state.rewrites})"
                        )
            if not stage_def.fixed_point or not sweep_changed:
                break
        else:
            state.warnings.append(
                f"pipeline did not reach a fixed point in {MAX_ITERATIONS} sweeps; the result is correct but may "
                "not be fully simplified (please report this model)"
            )
        return iterations

    # --- failure -----------------------------------------------------------------

    def _fail(self, err: Exception, pass_: ForgePass, state: RunState, original: ModuleOp | None,
              inst: Instrumentation) -> None:
        if isinstance(err, ForgeError):
            raise err
        where = ""
        cause: BaseException = err
        if state.failure is not None:
            pattern, op, cause = state.failure
            where = f" ({pattern}) on {op.name} (node {source_name(op)!r})"
        elif isinstance(err, (VerifyException, DiagnosticException)):
            where = " (the IR it produced does not verify)"
        message = str(cause).strip().splitlines()[0] if str(cause).strip() else type(cause).__name__
        reproducer = ""
        if original is not None and inst.reproducer is not None:
            self._write_reproducer(inst.reproducer, original, ",".join(self._ran))
            reproducer = f"; reproducer: {inst.reproducer}"
        raise ForgeError(f"pass {pass_.name} failed{where}: {type(cause).__name__}: {message}{reproducer}") from err

    @staticmethod
    def _write_reproducer(path: Path, original: ModuleOp, passes: str) -> None:
        text = print_ir(original, weights=True)
        header = f"// onnxforge reproducer: forgec {path.name} --passes={passes} --emit=ir\n"
        try:
            path.write_text(header + text)
        except OSError:
            pass

    # --- output ------------------------------------------------------------------

    @staticmethod
    def _show(inst: Instrumentation, module: ModuleOp, title: str) -> None:
        inst.stream.write(f"// -----// {title} //----- //\n")
        inst.stream.write(print_ir(module, weights=inst.print_weights))

    @staticmethod
    def _dump(inst: Instrumentation, module: ModuleOp, stage: int, label: str) -> None:
        assert inst.ir_dump_dir is not None
        (inst.ir_dump_dir / f"{stage:02d}-{label}.mlir").write_text(print_ir(module, weights=inst.print_weights))

    @staticmethod
    def _print_timing(inst: Instrumentation, report: RunReport) -> None:
        total = sum(r.seconds for r in report.records.values()) or 1e-9
        inst.stream.write("===-- pass execution timing --===\n")
        inst.stream.write(f"  {'seconds':>9}  {'%':>5}  {'runs':>4}  pass\n")
        for record in sorted(report.records.values(), key=lambda r: -r.seconds):
            inst.stream.write(f"  {record.seconds:9.4f}  {100 * record.seconds / total:5.1f}  {record.runs:4d}  {record.name}\n")
        inst.stream.write(f"  {total:9.4f}  100.0        total ({report.iterations} sweep(s))\n")

    @staticmethod
    def _print_statistics(inst: Instrumentation, report: RunReport) -> None:
        inst.stream.write("===-- pass statistics --===\n")
        for record in report.records.values():
            inst.stream.write(f"  {record.name}: ops {record.ops_before} -> {record.ops_after}, changed in {record.changed}/{record.runs} run(s)\n")
            for key, count in sorted(report.state.statistics.items()):
                if key.startswith(record.name + "/"):
                    inst.stream.write(f"    {count:6d}  {key.split('/', 1)[1]}\n")
