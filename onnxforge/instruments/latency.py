"""``latency``: onnxruntime latency before and after a pipeline, and whether node reduction predicts it.

Sessions run as users run them: CPU, ``--threads`` intra-op threads (2 by
default), every onnxruntime graph optimisation on (verification turns them
off on purpose; here they are what we compete with). Every model is compiled
first and all sessions are opened; after ``--warmup`` runs each, ``--repeats``
rounds run every model once before and once after, alternating which goes
first and rotating the model order, so that machine noise (other processes,
frequency changes) falls on both sides alike. Reported: median and IQR per
side, the change of the median (negative = faster), the node reduction, and
across models the Pearson and Spearman correlation of node reduction (%)
with latency reduction (%) (needs three models or more).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from onnxforge.analysis.graph import node_count
from onnxforge.errors import ForgeError
from onnxforge.instruments.models import Settings, run_plan, scratch, subject
from onnxforge.instruments.tables import Table
from onnxforge.runtime import latency_session, make_inputs, time_runs


@dataclass
class Timing:
    median_ms: float
    iqr_ms: float
    runs: int

    @classmethod
    def of(cls, seconds: list[float]) -> Timing:
        ms = np.asarray(seconds) * 1e3
        q1, median, q3 = np.percentile(ms, [25, 50, 75])
        return cls(float(median), float(q3 - q1), len(seconds))


@dataclass
class ModelLatency:
    model: str
    nodes_before: int
    nodes_after: int
    before: Timing
    after: Timing
    dims: dict[str, int] = field(default_factory=dict)

    @property
    def node_reduction_pct(self) -> float:
        return 100.0 * (self.nodes_before - self.nodes_after) / max(1, self.nodes_before)

    @property
    def latency_change_pct(self) -> float:
        """Change of the median latency (negative: the compiled model is faster)."""
        return 100.0 * (self.after.median_ms - self.before.median_ms) / self.before.median_ms


@dataclass
class Correlation:
    models: int
    pearson: float | None
    spearman: float | None


@dataclass
class LatencyStudy:
    pipeline: str
    threads: int
    warmup: int
    repeats: int
    models: list[ModelLatency]
    correlation: Correlation

    def to_json(self) -> dict[str, object]:
        models = [dict(vars(m), node_reduction_pct=m.node_reduction_pct, latency_change_pct=m.latency_change_pct)
                  for m in self.models]
        return dict(vars(self), models=models)

    def tables(self) -> list[Table]:
        table = Table(
            f"onnxruntime latency before/after {self.pipeline} (CPU, {self.threads} threads, ORT_ENABLE_ALL, "
            f"median of {self.repeats} interleaved runs)",
            ["model", "nodes before", "nodes after", "node reduction %", "before ms", "before IQR",
             "after ms", "after IQR", "latency change %"],
            [[m.model, m.nodes_before, m.nodes_after, round(m.node_reduction_pct, 2), m.before.median_ms,
              m.before.iqr_ms, m.after.median_ms, m.after.iqr_ms, round(m.latency_change_pct, 2)] for m in self.models],
        )
        c = self.correlation
        table.notes.append(
            f"correlation of node reduction with latency reduction over {c.models} model(s): "
            f"Pearson {_r(c.pearson)}, Spearman {_r(c.spearman)}"
            + ("" if c.models >= MIN_MODELS else f" (needs ≥ {MIN_MODELS} models)")
        )
        return [table]


MIN_MODELS = 3


def measure(models: list[str], settings: Settings, repeats: int = 20, warmup: int = 3, threads: int = 2) -> LatencyStudy:
    if repeats < 1 or warmup < 0 or threads < 1:
        raise ForgeError("latency needs --repeats ≥ 1, --warmup ≥ 0 and --threads ≥ 1")
    with scratch() as work:
        sides = []
        for path in models:
            studied = subject(path)
            module = studied.module(settings)
            before = node_count(module)
            run_plan(module, settings.plan(module))
            compiled = work.write(module, studied)
            feeds, dims = make_inputs(studied.loaded.proto, settings.seed, settings.dims)
            sessions = (latency_session(studied.path, threads), latency_session(compiled, threads))
            sides.append((studied.name, before, node_count(module), sessions, feeds, dims))
        for _, _, _, sessions, feeds, _ in sides:
            for sess in sessions:
                time_runs(sess, feeds, warmup)
        times: list[tuple[list[float], list[float]]] = [([], []) for _ in sides]
        for round_ in range(repeats):
            for k in range(len(sides)):
                index = (k + round_) % len(sides)
                _, _, _, sessions, feeds, _ = sides[index]
                for side in ((0, 1) if round_ % 2 == 0 else (1, 0)):
                    times[index][side].extend(time_runs(sessions[side], feeds))
    results = [
        ModelLatency(name, before, after, Timing.of(t[0]), Timing.of(t[1]), dims)
        for (name, before, after, _, _, dims), t in zip(sides, times)
    ]
    return LatencyStudy(settings.label, threads, warmup, repeats, results, correlate(results))


def correlate(results: list[ModelLatency]) -> Correlation:
    """Pearson and Spearman r of node reduction % vs latency reduction % (None: too few models or no spread)."""
    x = np.array([m.node_reduction_pct for m in results])
    y = np.array([-m.latency_change_pct for m in results])
    if len(results) < MIN_MODELS:
        return Correlation(len(results), None, None)
    return Correlation(len(results), pearson(x, y), pearson(_ranks(x), _ranks(y)))


def pearson(x: np.ndarray, y: np.ndarray) -> float | None:
    if np.ptp(x) == 0 or np.ptp(y) == 0:
        return None
    return float(np.corrcoef(x, y)[0, 1])


def _ranks(values: np.ndarray) -> np.ndarray:
    """Ranks with ties given their average rank (Spearman's convention)."""
    order = np.argsort(values, kind="stable")
    ranks = np.empty(len(values))
    ranks[order] = np.arange(len(values), dtype=float)
    for value in np.unique(values):
        tied = values == value
        ranks[tied] = ranks[tied].mean()
    return ranks


def _r(value: float | None) -> str:
    return "-" if value is None else f"{value:+.3f}"
