"""``tolerance``: how far a pipeline moves each output, over many random inputs.

The model is compiled once; then for seeds 0..N-1 (``--seed`` shifts the
range) the original and the result run on the same random inputs
(``onnxforge.runtime.make_inputs``: a seed also draws the symbolic dims,
so the sweep covers several batch/sequence sizes unless ``--dim`` pins them).
Per output: max, mean and 99th-percentile absolute difference over every
element of every seed, the largest relative difference, the seed of the max,
and how many seeds were bit-identical. The verdict uses the largest accuracy
class among the passes run (class 0: bit-identical on every seed).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from onnxforge.errors import ForgeError
from onnxforge.instruments.models import Settings, accuracy_of, run_plan, scratch, subject
from onnxforge.instruments.tables import Table
from onnxforge.runtime import make_inputs, run_session, session


@dataclass
class OutputSweep:
    output: str
    max_abs: float
    mean_abs: float
    p99_abs: float
    max_rel: float
    worst_seed: int | None
    """The seed of the max (None when every seed matched exactly)."""
    identical_seeds: int


@dataclass
class ModelSweep:
    model: str
    seeds: int
    accuracy: int
    tolerance: float
    outputs: list[OutputSweep] = field(default_factory=list)
    dims: list[dict[str, int]] = field(default_factory=list)
    """The symbolic dims each seed drew."""

    @property
    def within(self) -> bool:
        if self.accuracy == 0:
            return all(o.identical_seeds == self.seeds for o in self.outputs)
        return all(o.max_abs <= self.tolerance for o in self.outputs)


@dataclass
class Sweep:
    pipeline: str
    models: list[ModelSweep]

    def to_json(self) -> dict[str, object]:
        return {"pipeline": self.pipeline, "models": [dict(vars(m), within=m.within) for m in self.models]}

    def tables(self) -> list[Table]:
        table = Table(f"tolerance sweep: {self.pipeline} vs the original", [
            "model", "output", "seeds", "max |Δ|", "mean |Δ|", "p99 |Δ|", "max rel", "worst seed",
            "identical seeds", "class", "within",
        ], [])
        for m in self.models:
            for o in m.outputs:
                table.rows.append([m.model, o.output, m.seeds, o.max_abs, o.mean_abs, o.p99_abs, o.max_rel,
                                   o.worst_seed, o.identical_seeds, m.accuracy, m.within])
        return [table]


def sweep(models: list[str], settings: Settings, seeds: int = 10) -> Sweep:
    if seeds < 1:
        raise ForgeError("the tolerance sweep needs at least one seed")
    return Sweep(settings.label, [_sweep_one(path, settings, seeds) for path in models])


def _sweep_one(path: str, settings: Settings, seeds: int) -> ModelSweep:
    studied = subject(path)
    module = studied.module(settings)
    stages = settings.plan(module)
    run_plan(module, stages)
    accuracy = accuracy_of([p for s in stages for p in s.passes])
    with scratch() as work:
        compiled = work.write(module, studied)
        original, candidate = session(studied.path), session(compiled)
        result = ModelSweep(studied.name, seeds, int(accuracy), accuracy.tolerance)
        diffs: dict[str, list[np.ndarray]] = {}
        worst: dict[str, tuple[float, int | None]] = {}
        max_rel: dict[str, float] = {}
        identical: dict[str, int] = {}
        for seed in range(settings.seed, settings.seed + seeds):
            feeds, dims = make_inputs(studied.loaded.proto, seed, settings.dims)
            result.dims.append(dims)
            expected, actual = run_session(original, feeds), run_session(candidate, feeds)
            for name, want in expected.items():
                got = actual.get(name)
                if got is None or np.shape(got) != np.shape(want):
                    raise ForgeError(f"{studied.name}: output {name!r} is missing or changed shape after {settings.label}")
                diff, rel = _differences(np.asarray(want), np.asarray(got))
                diffs.setdefault(name, []).append(diff)
                peak = float(diff.max()) if diff.size else 0.0
                if peak > worst.get(name, (0.0, None))[0]:
                    worst[name] = (peak, seed)
                max_rel[name] = max(max_rel.get(name, 0.0), rel)
                identical[name] = identical.get(name, 0) + (np.asarray(want).tobytes() == np.asarray(got).tobytes())
        for name, parts in diffs.items():
            every = np.concatenate([p.reshape(-1) for p in parts])
            finite = every[np.isfinite(every)]
            result.outputs.append(OutputSweep(
                output=name,
                max_abs=float(every.max()) if every.size else 0.0,
                mean_abs=float(finite.mean()) if finite.size else 0.0,
                p99_abs=float(np.percentile(finite, 99)) if finite.size else 0.0,
                max_rel=max_rel[name],
                worst_seed=worst.get(name, (0.0, None))[1],
                identical_seeds=identical[name],
            ))
    return result


def _differences(want: np.ndarray, got: np.ndarray) -> tuple[np.ndarray, float]:
    """Element-wise |Δ| (NaN in both places counts as equal, NaN in one as inf) and the max relative |Δ|."""
    if not (np.issubdtype(want.dtype, np.number) or want.dtype == bool):
        same = np.array_equal(want, got)
        return np.array([0.0 if same else np.inf]), 0.0 if same else float("inf")
    a, b = want.astype(np.float64), got.astype(np.float64)
    diff = np.abs(a - b)
    diff[np.isnan(a) & np.isnan(b)] = 0.0
    diff[np.isnan(diff)] = np.inf
    scale = np.maximum(np.nan_to_num(np.abs(a), nan=np.inf), 1e-12)  # NaN in the original: no relative error
    rel = float((diff / scale).max()) if diff.size else 0.0
    return diff, rel
