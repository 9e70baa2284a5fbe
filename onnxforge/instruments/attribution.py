"""``attribution``: which pass of a pipeline takes how many nodes, alone and in sequence, at what accuracy.

For each model and each distinct pass P of the plan:

- **alone**: fresh IR → [the plan's analyses (``onnx-infer-shapes``)] → P →
  [the plan's lowering passes], so the result is a valid model whatever P
  fused; nodes removed = nodes before − nodes after;
- **cumulative**: the plan's passes once each, in order, on one IR; after
  each pass the node count (and, on a copy, after the lowering passes, the
  output difference);
- **pipeline**: the real pipeline (fixed-point stages repeat) for the final
  node count and difference.

Differences are onnxruntime max |Δ| against the original model on the same
random inputs (``--seed``, ``--dim``), judged by the class of the passes run:
class 0 must be bit-identical, classes 1-2 within their tolerance.
``--baseline PIPE`` starts every run from the model after pipeline PIPE (e.g.
``cleanup``: fusions are written to work after it), and counts against that.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace

from xdsl.dialects.builtin import ModuleOp

from onnxforge.analysis.graph import node_count
from onnxforge.errors import ForgeError
from onnxforge.instruments.models import (
    Scratch,
    Settings,
    Stage,
    Subject,
    accuracy_of,
    check,
    error_text,
    is_analysis,
    is_lowering,
    max_abs,
    pass_label,
    run_passes,
    run_plan,
    scratch,
    subject,
)
from onnxforge.instruments.tables import Table
from onnxforge.passmanager.base import ForgePass
from onnxforge.runtime import Reference


@dataclass
class Measure:
    """Nodes after some passes, and how far the outputs moved (None: not verified)."""

    nodes: int | None = None
    max_abs: float | None = None
    within: bool | None = None
    rewrites: int = 0
    error: str | None = None


@dataclass
class PassRow:
    pass_name: str
    accuracy: int
    alone: Measure | None
    """None for analyses and lowering passes (they are run around the others)."""
    alone_removed: int | None
    cumulative: Measure
    cumulative_removed: int | None
    """Nodes this pass removed in sequence (negative: it added nodes, e.g. a lowering)."""


@dataclass
class ModelAttribution:
    model: str
    nodes: int
    """Nodes at the start (after ``--baseline`` when one is given)."""
    pipeline: Measure
    passes: list[PassRow] = field(default_factory=list)
    stages: list[str] = field(default_factory=list)


@dataclass
class Attribution:
    pipeline: str
    target: str
    baseline: str | None
    models: list[ModelAttribution]

    def to_json(self) -> dict[str, object]:
        return dict(vars(self))

    def tables(self) -> list[Table]:
        names = _pass_order(self.models)
        removed = Table(
            f"attribution: nodes removed by each pass of {self.pipeline} (alone / cumulative)",
            ["pass", "class"] + [m.model for m in self.models],
            [],
            notes=[f"target {self.target}" + (f", baseline: after {self.baseline}" if self.baseline else "")],
        )
        accuracy = Table(
            "attribution: max |Δ| vs the original (alone / cumulative; * = outside the pass class)",
            ["pass", "class"] + [m.model for m in self.models],
            [],
        )
        for name in names:
            cls = next(r.accuracy for m in self.models for r in m.passes if r.pass_name == name)
            removed.rows.append([name, cls] + [_removed_cell(_row_of(m, name)) for m in self.models])
            accuracy.rows.append([name, cls] + [_accuracy_cell(_row_of(m, name)) for m in self.models])
        removed.rows.append(["(pipeline)", "", *(_pipeline_cell(m) for m in self.models)])
        accuracy.rows.append(["(pipeline)", "", *(_diff(m.pipeline) for m in self.models)])
        long = Table("attribution (long form)", [
            "model", "pass", "class", "nodes before", "removed alone", "max |Δ| alone", "alone ok",
            "nodes after (cumulative)", "removed in sequence", "max |Δ| cumulative", "cumulative ok", "error",
        ], [])
        for m in self.models:
            for r in m.passes:
                alone = r.alone or Measure()
                long.rows.append([
                    m.model, r.pass_name, r.accuracy, m.nodes, r.alone_removed, alone.max_abs, alone.within,
                    r.cumulative.nodes, r.cumulative_removed, r.cumulative.max_abs, r.cumulative.within,
                    alone.error or r.cumulative.error,
                ])
            long.rows.append([m.model, "(pipeline)", "", m.nodes, None, None, None, m.pipeline.nodes,
                              None if m.pipeline.nodes is None else m.nodes - m.pipeline.nodes,
                              m.pipeline.max_abs, m.pipeline.within, m.pipeline.error])
        return [removed, accuracy, long]


def attribute(models: list[str], settings: Settings, baseline: str | None = None, verify: bool = True) -> Attribution:
    results = [_attribute_one(subject(path), settings, baseline, verify) for path in models]
    return Attribution(settings.label, settings.target + (f" opset {settings.target_opset}" if settings.target_opset else ""),
                       baseline, results)


def _attribute_one(studied: Subject, settings: Settings, baseline: str | None, verify: bool) -> ModelAttribution:
    base = studied.module(settings)
    if baseline is not None:
        run_plan(base, replace(settings, pipeline=baseline, passes=None).plan(base))
    stages = settings.plan(base)
    flat = [p for stage in stages for p in stage.passes]
    analyses = _unique(p for p in flat if is_analysis(p))
    lowerings = _unique(p for p in flat if is_lowering(p))
    reference = studied.reference(settings) if verify else None
    result = ModelAttribution(studied.name, node_count(base), Measure(), stages=[s.name for s in stages])
    with scratch() as work:
        alone: dict[str, Measure] = {}
        for pass_ in _unique(flat):
            if not (is_analysis(pass_) or is_lowering(pass_)):
                alone[pass_label(pass_)] = _measure(base, [*analyses, pass_, *lowerings], settings, studied, reference, work)
        current, before, ran = base.clone(), node_count(base), []
        for pass_ in flat:
            ran.append(pass_)
            step = Measure()
            try:
                step.rewrites = run_passes(current, [pass_]).state.rewrites
                step.nodes = node_count(current)
                if reference is not None:
                    _verify(step, _lowered_copy(current, lowerings, settings), ran + lowerings, studied, reference, work)
            except ForgeError as err:
                step.error = error_text(err)
                result.passes.append(_row(pass_, alone, step, result.nodes, before))
                break
            result.passes.append(_row(pass_, alone, step, result.nodes, before))
            before = step.nodes
        result.pipeline = _measure_plan(base, stages, settings, studied, reference, work)
    return result


def _measure(base: ModuleOp, passes: list[ForgePass], settings: Settings, studied: Subject,
             reference: Reference | None, work: Scratch) -> Measure:
    module, found = base.clone(), Measure()
    try:
        found.rewrites = run_passes(module, passes).state.rewrites
        found.nodes = node_count(module)
        if reference is not None:
            _verify(found, module, passes, studied, reference, work)
    except ForgeError as err:
        found.error = error_text(err)
    return found


def _measure_plan(base: ModuleOp, stages: list[Stage], settings: Settings, studied: Subject,
                  reference: Reference | None, work: Scratch) -> Measure:
    module, found = base.clone(), Measure()
    try:
        found.rewrites = run_plan(module, stages).state.rewrites
        found.nodes = node_count(module)
        if reference is not None:
            _verify(found, module, [p for s in stages for p in s.passes], studied, reference, work)
    except ForgeError as err:
        found.error = error_text(err)
    return found


def _verify(found: Measure, module: ModuleOp, passes: list[ForgePass], studied: Subject, reference: Reference,
            work: Scratch) -> None:
    report = check(reference, module, studied, work)
    found.max_abs = max_abs(report)
    found.within = report.meets(accuracy_of(passes))


def _lowered_copy(module: ModuleOp, lowerings: list[ForgePass], settings: Settings) -> ModuleOp:
    if not lowerings:
        return module
    copy = module.clone()
    run_passes(copy, lowerings)
    return copy


def _row(pass_: ForgePass, alone: dict[str, Measure], step: Measure, start: int, before: int | None) -> PassRow:
    measured = alone.get(pass_label(pass_))
    return PassRow(
        pass_name=pass_label(pass_),
        accuracy=int(pass_.accuracy),
        alone=measured,
        alone_removed=None if measured is None or measured.nodes is None else start - measured.nodes,
        cumulative=step,
        cumulative_removed=None if step.nodes is None or before is None else before - step.nodes,
    )


def _unique(passes: Iterable[ForgePass]) -> list[ForgePass]:
    seen: dict[str, ForgePass] = {}
    for pass_ in passes:
        seen.setdefault(pass_label(pass_), pass_)
    return list(seen.values())


# --- table cells ------------------------------------------------------------------------------


def _pass_order(models: list[ModelAttribution]) -> list[str]:
    names: dict[str, None] = {}
    for m in models:
        for r in m.passes:
            names.setdefault(r.pass_name, None)
    return list(names)


def _row_of(model: ModelAttribution, name: str) -> list[PassRow]:
    return [r for r in model.passes if r.pass_name == name]


def _removed_cell(rows: list[PassRow]) -> str:
    """``alone / cumulative`` (a pass listed twice in the pipeline sums its runs in sequence)."""
    if not rows:
        return "-"
    first = rows[0]
    if first.alone is not None and first.alone.error:
        alone = "error"
    else:
        alone = "-" if first.alone_removed is None else str(first.alone_removed)
    steps = [r.cumulative_removed for r in rows if r.cumulative_removed is not None]
    cumulative = "error" if any(r.cumulative.error for r in rows) else str(sum(steps)) if steps else "-"
    return f"{alone} / {cumulative}"


def _accuracy_cell(rows: list[PassRow]) -> str:
    if not rows:
        return "-"
    alone = _diff(rows[0].alone) if rows[0].alone is not None else "-"
    return f"{alone} / {_diff(rows[-1].cumulative)}"


def _diff(found: Measure) -> str:
    if found.error:
        return "error"
    if found.max_abs is None:
        return "-"
    text = "0" if found.max_abs == 0 else f"{found.max_abs:.1e}"
    return text + ("" if found.within else "*")


def _pipeline_cell(model: ModelAttribution) -> str:
    if model.pipeline.error or model.pipeline.nodes is None:
        return "error"
    return f"{model.nodes} → {model.pipeline.nodes}"
