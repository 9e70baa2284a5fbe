"""``order``: does the result depend on the order of the pipeline's passes?

The canonical order (the pipeline as registered) runs against K shuffled
orders drawn with ``--seed``. Shuffling keeps what must stay put: analyses
(``onnx-infer-shapes``) and lowering passes (``nn-lower``) keep their
positions, and the other passes move only within the stretch between two
lowering passes (a fusion moved after the lowering would leave ``nn`` ops
in the model); stages of ``auto`` stay in order. Each order runs the way its
stage does (to a fixed point where the pipeline is one), from fresh IR.
Per order: final node count, rewrites, max |Δ| against the original, and
whether that is within the class of the passes run.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from onnxforge.analysis.graph import node_count
from onnxforge.errors import ForgeError
from onnxforge.instruments.models import (
    Settings,
    Stage,
    accuracy_of,
    check,
    error_text,
    is_analysis,
    is_lowering,
    max_abs,
    pass_label,
    run_plan,
    scratch,
    subject,
)
from onnxforge.instruments.tables import Table


@dataclass
class OrderRun:
    index: int
    """0 is the canonical order."""
    order: list[list[str]]
    """Pass labels per stage."""
    moved: int
    """Positions that differ from the canonical order."""
    nodes: int | None = None
    rewrites: int | None = None
    max_abs: float | None = None
    within: bool | None = None
    error: str | None = None


@dataclass
class ModelOrders:
    model: str
    nodes: int
    runs: list[OrderRun] = field(default_factory=list)

    @property
    def spread(self) -> int | None:
        """Largest minus smallest final node count over the orders that ran."""
        counts = [r.nodes for r in self.runs if r.nodes is not None]
        return max(counts) - min(counts) if counts else None


@dataclass
class OrderSensitivity:
    pipeline: str
    orders: int
    seed: int
    models: list[ModelOrders]

    def to_json(self) -> dict[str, object]:
        return {"pipeline": self.pipeline, "orders": self.orders, "seed": self.seed,
                "models": [dict(vars(m), spread=m.spread) for m in self.models]}

    def tables(self) -> list[Table]:
        table = Table(f"pass-order sensitivity of {self.pipeline} ({self.orders} shuffled orders, seed {self.seed})", [
            "model", "order", "moved", "nodes", "vs canonical", "rewrites", "max |Δ|", "within", "error",
        ], [])
        summary = Table("pass-order sensitivity: summary", ["model", "nodes before", "canonical", "min", "max", "spread",
                                                            "orders within class"], [])
        for m in self.models:
            canonical = m.runs[0].nodes if m.runs else None
            for r in m.runs:
                delta = None if r.nodes is None or canonical is None else r.nodes - canonical
                table.rows.append([m.model, "canonical" if r.index == 0 else f"shuffle {r.index}", r.moved, r.nodes,
                                   delta, r.rewrites, r.max_abs, r.within, r.error])
            counts = [r.nodes for r in m.runs if r.nodes is not None]
            summary.rows.append([m.model, m.nodes, canonical, min(counts, default=None), max(counts, default=None),
                                 m.spread, f"{sum(bool(r.within) for r in m.runs)}/{len(m.runs)}"])
        orders = Table("pass orders", ["order", "passes"], [])
        if self.models:
            for r in self.models[0].runs:
                orders.rows.append(["canonical" if r.index == 0 else f"shuffle {r.index}",
                                    " | ".join(",".join(stage) for stage in r.order)])
        return [summary, table, orders]


def shuffled(stages: list[Stage], rng: np.random.Generator) -> list[Stage]:
    """The stages with their movable passes permuted (see the module docstring for what stays put)."""
    result = []
    for stage in stages:
        passes = list(stage.passes)
        segment: list[int] = []
        for position, pass_ in enumerate([*passes, None]):
            if pass_ is None or is_lowering(pass_):
                picked = [passes[i] for i in segment]
                for i, j in zip(segment, rng.permutation(len(segment))):
                    passes[i] = picked[j]
                segment = []
            elif not is_analysis(pass_):
                segment.append(position)
        result.append(Stage(list(passes), stage.fixed_point, stage.name))
    return result


def sensitivity(models: list[str], settings: Settings, orders: int = 5, seed: int = 0) -> OrderSensitivity:
    if orders < 0:
        raise ForgeError("the number of shuffled orders cannot be negative")
    return OrderSensitivity(settings.label, orders, seed, [_one(path, settings, orders, seed) for path in models])


def _one(path: str, settings: Settings, orders: int, seed: int) -> ModelOrders:
    studied = subject(path)
    base = studied.module(settings)
    canonical = settings.plan(base)
    rng = np.random.default_rng(seed)
    plans = [canonical] + [shuffled(canonical, rng) for _ in range(orders)]
    reference = studied.reference(settings)
    result = ModelOrders(studied.name, node_count(base))
    canonical_labels = [pass_label(p) for s in canonical for p in s.passes]
    with scratch() as work:
        for index, stages in enumerate(plans):
            labels = [[pass_label(p) for p in s.passes] for s in stages]
            flat = [label for stage in labels for label in stage]
            run = OrderRun(index, labels, sum(a != b for a, b in zip(flat, canonical_labels)))
            module = base.clone()
            try:
                run.rewrites = run_plan(module, stages).state.rewrites
                run.nodes = node_count(module)
                report = check(reference, module, studied, work)
                run.max_abs = max_abs(report)
                run.within = report.meets(accuracy_of([p for s in stages for p in s.passes]))
            except ForgeError as err:
                run.error = error_text(err)
            result.runs.append(run)
    return result
