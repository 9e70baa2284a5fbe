"""Fitting a target's few constants to measured latencies, and scoring estimates honestly.

What is fitted: the compute efficiency of the op classes that matter on the data, the bandwidth
efficiency and the per-kernel overhead — the "few constants" of a ``Target``; the hardware facts
(peaks, bandwidth, precisions) and the kernels themselves stay as they are. The fit minimises

    mean_i log(estimate_i / measured_i)²  +  prior_weight · Σ_j (θ_j − θ0_j)²      (prior_weight 0.001)

over θ = the log of each constant, within bounds (efficiencies in (0, 1]), by damped Gauss-Newton
(Levenberg-Marquardt) with a projected step, numpy only. Log errors weigh a model's 10 % miss the
same whether it runs 1 ms or 1 s. The small prior term keeps a constant the data cannot see (the
matmul efficiency when no sample has a large matmul) at its starting value instead of letting it
drift, which is what makes a held-out prediction of an unseen family meaningful.

Scoring: a model's error is ``|estimate − measured| / measured``, rated EXCELLENT (< 10 %), GOOD
(10–25 %), FAIR (25–50 %) or POOR (> 50 %); a score is the mean absolute error (MAE) over models.
An in-sample score (fit on everything, score everything) flatters, so ``validate`` always reports a
held-out score beside it: leave-one-family-out, each family predicted by constants fitted on the
other families only.

Speed: a fit evaluates the model hundreds of times. Each kernel's compute, memory and overhead
times scale exactly as 1/efficiency, 1/bandwidth_efficiency and overhead_s, so ``Evaluator``
estimates every kernel once, keeps those times as arrays and rescales them; it checks itself
against ``estimate`` on a perturbed target when built and falls back to calling ``estimate`` for
every evaluation if the two ever disagree (say, a future roofline that overlaps compute and memory
differently).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from onnxforge.cost.hardware import Target
from onnxforge.cost.model import Kernel, estimate
from onnxforge.dialects.cost import OP_CLASSES

RATINGS = ((0.10, "EXCELLENT"), (0.25, "GOOD"), (0.50, "FAIR"), (math.inf, "POOR"))
EFFICIENCY_BOUNDS = (0.005, 1.0)
OVERHEAD_BOUNDS = (1e-8, 1e-2)
DEFAULT_PRIOR_WEIGHT = 0.001
SIGNIFICANT_SHARE = 0.03
"""A class's efficiency is fitted when its compute-bound time is at least this share of some sample's estimate."""


def rating(error: float) -> str:
    """The rating of an absolute relative error (0.08 → EXCELLENT)."""
    return next(name for limit, name in RATINGS if error < limit)


@dataclass(frozen=True)
class Sample:
    """One model with its measured latency and its kernels (costed once, target-independently)."""

    name: str
    family: str
    measured_s: float
    kernels: Sequence[Kernel]
    spread_s: tuple[float, float] | None = None
    """Lowest and highest latency seen over repeated measurements, when known (for the report)."""


# ---- parameters -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Param:
    """One fitted constant: ``efficiency:<class>``, ``bandwidth_efficiency`` or ``overhead_s``."""

    name: str

    @property
    def op_class(self) -> str | None:
        return self.name.split(":", 1)[1] if self.name.startswith("efficiency:") else None

    def bounds(self) -> tuple[float, float]:
        return OVERHEAD_BOUNDS if self.name == "overhead_s" else EFFICIENCY_BOUNDS

    def get(self, target: Target) -> float:
        if self.op_class is not None:
            return target.efficiency.get(self.op_class, 1.0)
        return float(getattr(target, self.name))

    @staticmethod
    def parse(name: str) -> Param:
        param = Param(name)
        if name not in ("bandwidth_efficiency", "overhead_s") and param.op_class not in OP_CLASSES:
            raise ValueError(f"cannot fit {name!r}: use bandwidth_efficiency, overhead_s or efficiency:<class> "
                             f"with a class among {', '.join(OP_CLASSES)}")
        return param


def with_params(target: Target, params: Sequence[Param], values: Sequence[float]) -> Target:
    """``target`` with the given constants set (values in natural units, not logs)."""
    efficiency = {p.op_class: float(v) for p, v in zip(params, values) if p.op_class is not None}
    scalars = {p.name: float(v) for p, v in zip(params, values) if p.op_class is None}
    return target.with_constants(efficiency=efficiency, **scalars) if efficiency else target.with_constants(**scalars)


# ---- fast evaluation ------------------------------------------------------------------------------


class Evaluator:
    """Total estimated seconds of each sample under changed constants, without re-running ``estimate``.

    At the base target each kernel has compute time ``c`` (∝ 1/efficiency of its class), memory
    time ``m`` (∝ 1/bandwidth_efficiency) and overhead ``o`` (∝ overhead_s, zero for a kernel that
    launches nothing); its time is ``max(c, m) + o`` or ``c + m + o`` — which one is read off the
    estimates, and checked.
    """

    def __init__(self, samples: Sequence[Sample], base: Target) -> None:
        self.samples = list(samples)
        self.base = base
        self._classes = {cls: i for i, cls in enumerate(OP_CLASSES)}
        self._arrays: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []
        combined: list[np.ndarray] = []
        for sample in self.samples:
            estimates = estimate(list(sample.kernels), base)
            compute = np.array([e.compute_s for e in estimates], dtype=np.float64)
            memory = np.array([e.memory_s for e in estimates], dtype=np.float64)
            overhead = np.array([e.overhead_s for e in estimates], dtype=np.float64)
            classes = np.array([self._classes[e.kernel.op_class] for e in estimates], dtype=np.int64)
            self._arrays.append((compute, memory, overhead, classes))
            combined.append(np.array([e.seconds for e in estimates], dtype=np.float64))
        self.combine = self._detect_combination(combined)
        self.exact = self.combine is not None and self._check()

    def _detect_combination(self, seconds: list[np.ndarray]) -> str | None:
        for rule in ("max", "sum"):
            if all(np.allclose(self._kernel_times(a, rule), s, rtol=1e-9, atol=1e-15)
                   for a, s in zip(self._arrays, seconds)):
                return rule
        return None

    @staticmethod
    def _kernel_times(arrays: tuple[np.ndarray, ...], rule: str | None, scale_c: np.ndarray | float = 1.0,
                      scale_m: float = 1.0, scale_o: float = 1.0) -> np.ndarray:
        compute, memory, overhead, _ = arrays
        c, m = compute * scale_c, memory * scale_m
        return (np.maximum(c, m) if rule == "max" else c + m) + overhead * scale_o

    def _check(self) -> bool:
        """Compare with ``estimate`` on a target whose every constant moved."""
        params = [Param(f"efficiency:{cls}") for cls in OP_CLASSES] + [Param("bandwidth_efficiency"), Param("overhead_s")]
        values = [p.get(self.base) * (0.5 + 0.04 * i) for i, p in enumerate(params)]
        values = [min(v, 1.0) if p.name != "overhead_s" else v for p, v in zip(params, values)]
        probe = with_params(self.base, params, values)
        fast = self._fast(probe)
        slow = np.array([sum(e.seconds for e in estimate(list(s.kernels), probe)) for s in self.samples])
        return bool(np.allclose(fast, slow, rtol=1e-9, atol=1e-15))

    def _fast(self, target: Target) -> np.ndarray:
        scale = np.array([self.base.efficiency.get(cls, 1.0) / target.efficiency.get(cls, 1.0) for cls in OP_CLASSES])
        scale_m = self.base.bandwidth_efficiency / target.bandwidth_efficiency
        scale_o = target.overhead_s / self.base.overhead_s if self.base.overhead_s > 0 else 0.0
        return np.array([self._kernel_times(a, self.combine, scale[a[3]], scale_m, scale_o).sum() for a in self._arrays])

    def totals(self, target: Target) -> np.ndarray:
        """Estimated seconds of each sample on ``target`` (same hardware as the base, other constants)."""
        if self.exact:
            return self._fast(target)
        return np.array([sum(e.seconds for e in estimate(list(s.kernels), target)) for s in self.samples])

    def shares(self) -> dict[str, float]:
        """Per op class, the largest share of a sample's base estimate that its compute-bound kernels take."""
        best: dict[str, float] = {}
        for arrays in self._arrays:
            times = self._kernel_times(arrays, self.combine or "max")
            total = times.sum()
            compute, memory, _, classes = arrays
            bound = compute > memory
            for cls, index in self._classes.items():
                share = float(times[bound & (classes == index)].sum() / total) if total > 0 else 0.0
                best[cls] = max(best.get(cls, 0.0), share)
        return best


def default_params(evaluator: Evaluator) -> list[Param]:
    """Bandwidth efficiency, overhead, and the efficiency of each class that matters on these samples."""
    shares = evaluator.shares()
    classes = [cls for cls in OP_CLASSES if shares.get(cls, 0.0) >= SIGNIFICANT_SHARE]
    overhead = [Param("overhead_s")] if evaluator.base.overhead_s > 0 else []
    return [Param(f"efficiency:{cls}") for cls in classes] + [Param("bandwidth_efficiency"), *overhead]


# ---- the fit --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Fit:
    """A fitted target and how it was obtained."""

    target: Target
    params: list[str]
    start: dict[str, float]
    values: dict[str, float]
    rms_log_error: float
    iterations: int
    trained_on: list[str] = field(default_factory=list)


class _Space:
    """The fitted vector θ and the target it stands for.

    Without a shared scale, θ holds the log of each parameter. With one (``shared_scale``), θ[0]
    is the log of a factor ``s`` applied to every class's efficiency, and each fitted class adds its
    own log deviation: ``efficiency[c] = prior[c] · s · exp(δ_c)``, clipped into the bounds. The prior
    term pulls the deviations (and the other constants) toward their starting values, but not ``s``:
    the data decide the overall level, and a class the data cannot see moves with it, keeping its
    prior ratio to the classes they can see (the matmul efficiency of a held-out transformer family
    follows what the convolutions of the other families said about the machine).
    """

    def __init__(self, target: Target, chosen: list[Param], shared_scale: bool) -> None:
        self.target, self.chosen = target, chosen
        self.shared = shared_scale and any(p.op_class for p in chosen)
        self.prior = {cls: target.efficiency.get(cls, 1.0) for cls in OP_CLASSES}
        start = [0.0 if (self.shared and p.op_class) else math.log(p.get(target)) for p in chosen]
        low = [-8.0 if (self.shared and p.op_class) else math.log(p.bounds()[0]) for p in chosen]
        high = [8.0 if (self.shared and p.op_class) else math.log(p.bounds()[1]) for p in chosen]
        if self.shared:
            start, low, high = [0.0, *start], [math.log(EFFICIENCY_BOUNDS[0]), *low], [8.0, *high]
        self.start = np.clip(np.array(start), low, high)
        self.low, self.high = np.array(low), np.array(high)
        self.penalised = np.array([0.0] * self.shared + [1.0] * len(chosen))

    def values(self, theta: np.ndarray) -> dict[str, float]:
        """The fitted constants in natural units (with ``efficiency_scale`` when shared)."""
        scale, rest = (math.exp(theta[0]), theta[1:]) if self.shared else (1.0, theta)
        out = {"efficiency_scale": scale} if self.shared else {}
        for p, v in zip(self.chosen, rest):
            out[p.name] = self._efficiency(p.op_class, scale * math.exp(v)) if (self.shared and p.op_class) \
                else math.exp(v)
        return out

    def _efficiency(self, cls: str, factor: float) -> float:
        return float(np.clip(self.prior[cls] * factor, *EFFICIENCY_BOUNDS))

    def target_for(self, theta: np.ndarray) -> Target:
        values = self.values(theta)
        scale = values.pop("efficiency_scale", 1.0)
        if self.shared:
            moved = {cls: self._efficiency(cls, scale) for cls in OP_CLASSES}
            values = {**{f"efficiency:{cls}": v for cls, v in moved.items()}, **values}
        params = [Param(name) for name in values]
        return with_params(self.target, params, list(values.values()))


def fit(samples: Sequence[Sample], target: Target, params: Sequence[str] | None = None,
        prior_weight: float = DEFAULT_PRIOR_WEIGHT, max_iterations: int = 100, shared_scale: bool = False) -> Fit:
    """Fit ``params`` (default: ``default_params``) of ``target`` to the samples' measured latencies.

    ``shared_scale`` also fits one factor on every class's efficiency (see ``_Space``). It makes a
    held-out score less sensitive to a poor prior (Orin, all priors 0.3: held-out MAE 19 % → 14 %)
    but, with the shipped priors, a little worse (9.1 % → 10.6 %), so it is off by default.
    """
    if not samples:
        raise ValueError("fit needs at least one measured sample")
    evaluator = Evaluator(samples, target)
    chosen = [Param.parse(p) for p in params] if params is not None else default_params(evaluator)
    space = _Space(target, chosen, shared_scale)
    measured = np.log([s.measured_s for s in samples])
    weight = math.sqrt(prior_weight) * space.penalised

    def residuals(theta: np.ndarray) -> np.ndarray:
        totals = evaluator.totals(space.target_for(theta))
        data = (np.log(np.maximum(totals, 1e-300)) - measured) / math.sqrt(len(samples))
        return np.concatenate([data, weight * (theta - space.start)])

    theta, iterations = _levenberg_marquardt(residuals, space.start.copy(), space.low, space.high, max_iterations)
    data_residuals = residuals(theta)[: len(samples)] * math.sqrt(len(samples))
    rms = float(np.sqrt(np.mean(data_residuals ** 2)))
    values = space.values(theta)
    trained = sorted({s.family for s in samples})
    fitted = space.target_for(theta).with_constants(calibrated=(
        f"fitted {', '.join(values)} to {len(samples)} measured model(s) ({', '.join(trained)}), "
        f"rms log error {rms:.3f}"))
    start = {**({"efficiency_scale": 1.0} if space.shared else {}), **{p.name: p.get(target) for p in chosen}}
    return Fit(fitted, list(values), start, values, rms, iterations, [s.name for s in samples])


def _levenberg_marquardt(residuals: Callable[[np.ndarray], np.ndarray], theta: np.ndarray, low: np.ndarray,
                         high: np.ndarray, max_iterations: int) -> tuple[np.ndarray, int]:
    """Minimise ``|residuals(θ)|²`` within the box [low, high]: damped Gauss-Newton, projected steps.

    The Jacobian is by forward differences (the roofline's max() is piecewise smooth; a kink is
    crossed by the damping). A step that does not lower the cost raises the damping tenfold.
    """
    damping = 1e-3
    r = residuals(theta)
    cost = float(r @ r)
    step_size = 1e-6
    iterations = 0
    for iterations in range(1, max_iterations + 1):  # noqa: B007  (the count is returned)
        jacobian = np.empty((r.size, theta.size))
        for j in range(theta.size):
            probe = theta.copy()
            h = step_size if probe[j] + step_size <= high[j] else -step_size
            probe[j] += h
            jacobian[:, j] = (residuals(probe) - r) / h
        gradient = jacobian.T @ r
        normal = jacobian.T @ jacobian
        improved = False
        while damping < 1e10:
            step = np.linalg.solve(normal + damping * np.diag(np.diag(normal) + 1e-12), -gradient)
            candidate = np.clip(theta + step, low, high)
            r_new = residuals(candidate)
            new_cost = float(r_new @ r_new)
            if new_cost < cost:
                converged = cost - new_cost < 1e-12 * max(cost, 1e-30) or np.max(np.abs(candidate - theta)) < 1e-9
                theta, r, cost = candidate, r_new, new_cost
                damping = max(damping / 10, 1e-12)
                improved = True
                break
            damping *= 10
        if not improved or converged:
            break
    return theta, iterations


# ---- scoring --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    """One model's estimate against its measurement."""

    name: str
    family: str
    measured_ms: float
    estimated_ms: float

    @property
    def error(self) -> float:
        return abs(self.estimated_ms - self.measured_ms) / self.measured_ms

    @property
    def signed_error(self) -> float:
        return (self.estimated_ms - self.measured_ms) / self.measured_ms

    @property
    def rating(self) -> str:
        return rating(self.error)

    def to_json(self) -> dict[str, Any]:
        return {"model": self.name, "family": self.family, "measured_ms": round(self.measured_ms, 4),
                "estimated_ms": round(self.estimated_ms, 4), "error": round(self.signed_error, 4),
                "rating": self.rating}


@dataclass(frozen=True)
class Score:
    """Rows of estimate vs measurement and their mean absolute error."""

    kind: str  # "prior", "in-sample", "held-out (leave-one-family-out)"
    rows: list[Row]
    fits: dict[str, Fit] = field(default_factory=dict)
    """For a held-out score: the fit that predicted each family (trained without it)."""

    @property
    def mae(self) -> float:
        return float(np.mean([r.error for r in self.rows])) if self.rows else math.nan

    def ratings(self) -> dict[str, int]:
        counts = {name: 0 for _, name in RATINGS}
        for row in self.rows:
            counts[row.rating] += 1
        return counts

    def row(self, name: str) -> Row:
        return next(r for r in self.rows if r.name == name)

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"kind": self.kind, "mae": round(self.mae, 4), "ratings": self.ratings(),
                                "rows": [r.to_json() for r in self.rows]}
        if self.fits:
            data["fits"] = {family: {"values": f.values, "trained_on": f.trained_on} for family, f in self.fits.items()}
        return data


def score(samples: Sequence[Sample], target: Target, kind: str = "in-sample") -> Score:
    """Estimate every sample on ``target`` and compare with its measurement."""
    totals = Evaluator(samples, target).totals(target)
    return Score(kind, [Row(s.name, s.family, s.measured_s * 1e3, t * 1e3) for s, t in zip(samples, totals)])


def leave_one_family_out(samples: Sequence[Sample], target: Target, params: Sequence[str] | None = None,
                         prior_weight: float = DEFAULT_PRIOR_WEIGHT) -> Score:
    """Predict each family with constants fitted on the other families only (never on itself)."""
    families = sorted({s.family for s in samples})
    if len(families) < 2:
        raise ValueError("a leave-one-family-out score needs samples from at least two families")
    predicted: dict[str, Row] = {}
    fits: dict[str, Fit] = {}
    for family in families:
        training = [s for s in samples if s.family != family]
        held = [s for s in samples if s.family == family]
        fits[family] = fit(training, target, params, prior_weight)
        for row in score(held, fits[family].target).rows:
            predicted[row.name] = row
    return Score("held-out (leave-one-family-out)", [predicted[s.name] for s in samples], fits)
