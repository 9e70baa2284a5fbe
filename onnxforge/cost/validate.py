"""Validation of a target against measured latencies: prior, in-sample and held-out scores.

``validate(samples, target)`` answers "how far are our estimates from the clock, and how far
would they be on a model family we did not tune on": it scores the target as shipped (the prior),
fits its constants on every sample and scores the same samples (in-sample), and scores each family
with constants fitted on the other families only (held-out, leave-one-family-out). The held-out
number is the one to quote; the in-sample one is an upper bound on how good the model can look.

Measurements come as CSV (``read_measurements``): a header with ``model``, ``family`` and
``meas_ms`` (or ``measured_ms``) columns, optional ``meas_min_ms``/``meas_max_ms`` and ``path``,
``#`` comment lines allowed (the format of ``shared/data/orin_agx_50w_measured.csv``). Each model is
costed from ``<models_dir>/<model>.onnx`` unless a ``path`` column names its file.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from xdsl.dialects.builtin import ModuleOp

from onnxforge.cost.fit import DEFAULT_PRIOR_WEIGHT, Fit, Sample, Score, fit, leave_one_family_out, score
from onnxforge.cost.hardware import Target
from onnxforge.cost.model import analyze
from onnxforge.errors import ForgeError


@dataclass(frozen=True)
class Measured:
    """One row of a measurement file."""

    model: str
    family: str
    ms: float
    min_ms: float | None = None
    max_ms: float | None = None
    path: str | None = None


def read_measurements(text_or_path: str | os.PathLike[str]) -> list[Measured]:
    """Parse a measurement CSV (a path, or the text itself when it contains a newline)."""
    text = str(text_or_path)
    if "\n" not in text:
        try:
            text = Path(text).read_text()
        except OSError as err:
            raise ForgeError(f"{text_or_path}: cannot read measurements: {err}") from None
    lines = [line for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    rows = list(csv.DictReader(io.StringIO("\n".join(lines))))
    out: list[Measured] = []
    for number, row in enumerate(rows, start=1):
        ms = row.get("meas_ms") or row.get("measured_ms")
        if not row.get("model") or not row.get("family") or not ms:
            raise ForgeError(f"measurements row {number}: needs model, family and meas_ms (or measured_ms)")

        out.append(Measured(row["model"], row["family"], float(ms), _optional(row, "meas_min_ms"),
                            _optional(row, "meas_max_ms"), row.get("path") or None))
    if not out:
        raise ForgeError(f"{text_or_path}: no measurements")
    return out


def _optional(row: dict[str, str], key: str) -> float | None:
    value = row.get(key)
    return float(value) if value else None


def samples_for(measured: Sequence[Measured], models_dir: str | os.PathLike[str] | None, execution: str,
                load: Callable[[Path], ModuleOp], dims: dict[str, int] | None = None) -> list[Sample]:
    """Cost every measured model once (its kernels do not depend on the target's constants); ``load`` gives the
    IR of a model file (``onnxforge.compiler.load_ir``, with the pipeline the measurements ran)."""
    samples = []
    for m in measured:
        path = Path(m.path) if m.path else Path(models_dir or ".") / f"{m.model}.onnx"
        if not path.is_file():
            raise ForgeError(f"{path}: model file of {m.model!r} not found (build it, or give its path)")
        spread = (m.min_ms / 1e3, m.max_ms / 1e3) if m.min_ms and m.max_ms else None
        samples.append(Sample(m.model, m.family, m.ms / 1e3, analyze(load(path), dims, execution).kernels, spread))
    return samples


@dataclass
class Validation:
    """A target scored against measurements: as shipped, fitted in-sample, and held out."""

    target: Target
    prior: Score
    fitted: Fit
    in_sample: Score
    held_out: Score
    conditions: dict[str, Any] = field(default_factory=dict)
    """What the measurements and costing assumed (protocol, dims, execution model), for the record."""

    def to_json(self) -> dict[str, Any]:
        return {
            "target": self.target.name,
            "conditions": self.conditions,
            "fitted_params": self.fitted.params,
            "prior_values": self.fitted.start,
            "fitted_values": self.fitted.values,
            "fitted_target": self.fitted.target.to_json(),
            "prior": self.prior.to_json(),
            "in_sample": self.in_sample.to_json(),
            "held_out": self.held_out.to_json(),
        }

    def markdown(self, title: str = "") -> str:
        return markdown_table(self, title)


def validate(samples: Sequence[Sample], target: Target, params: Sequence[str] | None = None,
             prior_weight: float = DEFAULT_PRIOR_WEIGHT, conditions: dict[str, Any] | None = None) -> Validation:
    """Prior, in-sample and leave-one-family-out scores of ``target`` on ``samples``."""
    fitted = fit(samples, target, params, prior_weight)
    return Validation(target, score(samples, target, "prior"), fitted, score(samples, fitted.target, "in-sample"),
                      leave_one_family_out(samples, target, params, prior_weight), dict(conditions or {}))


def _pct(value: float) -> str:
    return f"{value * 100:+.1f} %"


def markdown_table(v: Validation, title: str = "") -> str:
    """One table: per model, measured vs the three estimates, with signed error and rating."""
    lines = [f"#### {title}", ""] if title else []
    lines += ["| model | family | measured ms | prior ms (err) | in-sample ms (err, rating) | held-out ms (err, rating) |",
              "|---|---|---:|---:|---:|---:|"]
    for p in v.prior.rows:
        i, h = v.in_sample.row(p.name), v.held_out.row(p.name)
        lines.append(f"| {p.name} | {p.family} | {p.measured_ms:.2f} | {p.estimated_ms:.2f} ({_pct(p.signed_error)}) | "
                     f"{i.estimated_ms:.2f} ({_pct(i.signed_error)}, {i.rating}) | "
                     f"{h.estimated_ms:.2f} ({_pct(h.signed_error)}, {h.rating}) |")
    lines.append(f"| **MAE** | | | **{v.prior.mae * 100:.1f} %** | **{v.in_sample.mae * 100:.1f} %** | "
                 f"**{v.held_out.mae * 100:.1f} %** |")
    values = ", ".join(f"{k} {_fmt(k, v.fitted.start[k])} → {_fmt(k, x)}" for k, x in v.fitted.values.items())
    ratings = ", ".join(f"{n} {c}" for n, c in v.held_out.ratings().items() if c)
    lines += ["", f"Fitted on all models: {values}. Held-out ratings: {ratings}."]
    return "\n".join(lines) + "\n"


def _fmt(name: str, value: float) -> str:
    return f"{value * 1e6:.1f} µs" if name == "overhead_s" else f"{value:.3f}"
