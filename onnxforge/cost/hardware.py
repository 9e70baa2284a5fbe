"""Hardware targets as data: peaks, bandwidth, per-kernel overhead, precisions and fitted efficiencies.

A ``Target`` is everything the roofline needs to know about a machine and
the software stack on it. The facts (peak FLOP/s per precision, DRAM
bandwidth, the per-kernel launch/dispatch overhead, the precision each op
class runs at) come from data sheets and micro-benchmarks; the few
*efficiency* constants (the fraction of a peak a kernel class attains) are
what calibration fits against measured latencies. Targets live in JSON files:
the packaged ones in ``onnxforge/cost/targets/`` (Jetson AGX Orin 64GB per
power mode, and a ``host`` placeholder that ``forgec calibrate`` replaces),
and any directory listed in ``$ONNXFORGE_TARGET_PATH``, searched first.
"""

from __future__ import annotations

import dataclasses
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from onnxforge.dialects.cost import OP_CLASSES
from onnxforge.errors import ForgeError

FORMAT = "onnxforge-target/1"
PRECISIONS = ("fp32", "tf32", "fp16", "bf16", "int8")
EXECUTIONS = ("eager", "fused", "ort")
TARGETS_DIR = Path(__file__).parent / "targets"
PATH_ENV = "ONNXFORGE_TARGET_PATH"
"""Directories (``os.pathsep``-separated) searched for ``NAME.json`` before the packaged targets."""


@dataclass(frozen=True)
class Target:
    """One machine + runtime, as the roofline sees it.

    A kernel of class ``c`` runs at precision ``precision[c]`` and attains
    ``peak_flops[precision[c]] · efficiency[c]`` (scaled down for small kernels
    by ``efficiency_knee[c]``, see ``compute_rate``) and
    ``bandwidth · bandwidth_efficiency`` bytes/s, and costs ``overhead_s`` on
    top to launch.
    """

    name: str
    peak_flops: dict[str, float]
    """Precision (``fp32``, ``tf32``, ``fp16``, ``bf16``, ``int8``) → peak FLOP/s (or OP/s)."""
    bandwidth: float
    """Peak DRAM bandwidth, bytes/s."""
    overhead_s: float
    """Per-kernel launch/dispatch overhead, seconds (host-side in PyTorch eager)."""
    precision: dict[str, str]
    """Op class → precision it runs at; a class not listed runs at ``fp32``."""
    efficiency: dict[str, float]
    """Op class → fraction of peak compute attained (fitted); a class not listed gets 1.0."""
    bandwidth_efficiency: float
    """Fraction of peak bandwidth attained (fitted)."""
    execution: str
    """Execution model: which ops launch as one kernel (``eager``, ``fused``, ``ort``; see ``execution.py``)."""
    efficiency_knee: dict[str, float] = field(default_factory=dict)
    """Op class → FLOPs at which a kernel attains half its class efficiency (0 or absent: no size effect)."""
    cpu_clock_hz: float | None = None
    """Host CPU clock; on Orin the per-kernel overhead scales with it across power modes (``transfer``)."""
    description: str = ""
    sources: str = ""
    calibrated: str = ""
    """How the efficiencies were obtained (empty: uncalibrated priors)."""

    def __post_init__(self) -> None:
        problems = []
        if not self.peak_flops or any(v <= 0 for v in self.peak_flops.values()):
            problems.append("peak_flops needs at least one positive entry")
        unknown_precisions = sorted(set(self.peak_flops) - set(PRECISIONS))
        if unknown_precisions:
            problems.append(f"unknown precision(s) {unknown_precisions} (known: {', '.join(PRECISIONS)})")
        for cls, prec in self.precision.items():
            if prec not in self.peak_flops:
                problems.append(f"op class {cls!r} runs at {prec!r}, which has no peak_flops entry")
        for table in (self.precision, self.efficiency, self.efficiency_knee):
            unknown = sorted(set(table) - set(OP_CLASSES))
            if unknown:
                problems.append(f"unknown op class(es) {unknown} (known: {', '.join(OP_CLASSES)})")
        if any(not 0 < v <= 1 for v in self.efficiency.values()) or not 0 < self.bandwidth_efficiency <= 1:
            problems.append("efficiencies must lie in (0, 1]")
        if self.bandwidth <= 0 or self.overhead_s < 0:
            problems.append("bandwidth must be positive and overhead_s not negative")
        if self.execution not in EXECUTIONS:
            problems.append(f"execution {self.execution!r} is not one of {', '.join(EXECUTIONS)}")
        if problems:
            raise ForgeError(f"target {self.name!r}: " + "; ".join(problems))

    # --- what the roofline asks ----------------------------------------------------

    def precision_of(self, op_class: str) -> str:
        prec = self.precision.get(op_class, "fp32")
        return prec if prec in self.peak_flops else next(iter(self.peak_flops))

    def compute_rate(self, op_class: str, flops: float) -> float:
        """Attained FLOP/s of a kernel of this class and size: ``peak · eff · f / (f + knee)``."""
        rate = self.peak_flops[self.precision_of(op_class)] * self.efficiency.get(op_class, 1.0)
        knee = self.efficiency_knee.get(op_class, 0.0)
        return rate * flops / (flops + knee) if knee > 0 and flops > 0 else rate

    @property
    def memory_rate(self) -> float:
        return self.bandwidth * self.bandwidth_efficiency

    # --- changing and storing --------------------------------------------------------

    def with_constants(self, **changes: Any) -> Target:
        """A copy with some constants changed; dict-valued fields are merged key by key.

        ``t.with_constants(efficiency={"conv": 0.4}, overhead_s=9e-5)`` keeps the
        other classes' efficiencies.
        """
        names = {f.name for f in dataclasses.fields(self)}
        unknown = sorted(set(changes) - names)
        if unknown:
            raise ForgeError(f"Target has no constant(s) {unknown}")
        merged = {k: ({**getattr(self, k), **v} if isinstance(getattr(self, k), dict) else v) for k, v in changes.items()}
        return dataclasses.replace(self, **merged)

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"format": FORMAT}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if value not in (None, "", {}) or f.name in _REQUIRED:
                data[f.name] = dict(value) if isinstance(value, dict) else value
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Target:
        if not isinstance(data, dict):
            raise ForgeError("a target must be a JSON object")
        if data.get("format", FORMAT) != FORMAT:
            raise ForgeError(f"target format {data.get('format')!r} is not {FORMAT!r}")
        names = {f.name for f in dataclasses.fields(cls)}
        missing = [k for k in _REQUIRED if k not in data]
        if missing:
            raise ForgeError(f"target {data.get('name', '?')!r} lacks {', '.join(missing)}")
        unknown = sorted(set(data) - names - {"format", "notes"})
        if unknown:
            raise ForgeError(f"target {data.get('name', '?')!r}: unknown field(s) {unknown}")
        kwargs = {k: v for k, v in data.items() if k in names}
        try:
            return cls(**kwargs)
        except TypeError as err:
            raise ForgeError(f"target {data.get('name', '?')!r}: {err}") from None

    def summary(self) -> str:
        peaks = ", ".join(f"{p} {v / 1e12:.3g} T" for p, v in self.peak_flops.items())
        return (f"{self.name}: {peaks}FLOP/s, {self.bandwidth / 1e9:.4g} GB/s, "
                f"{self.overhead_s * 1e6:.3g} µs/kernel, execution {self.execution}")


_REQUIRED = ("name", "peak_flops", "bandwidth", "overhead_s", "precision", "efficiency", "bandwidth_efficiency", "execution")


def transfer(fitted: Target, onto: Target) -> Target:
    """``onto``'s hardware with ``fitted``'s efficiencies, and its overhead scaled by the CPU clock ratio.

    On Orin the per-kernel overhead of eager execution is host-bound (about
    135,000 CPU cycles in every power mode), so a value fitted in one mode
    carries to another as ``overhead · clock_fitted / clock_onto``.
    """
    overhead = onto.overhead_s
    if fitted.cpu_clock_hz and onto.cpu_clock_hz:
        overhead = fitted.overhead_s * fitted.cpu_clock_hz / onto.cpu_clock_hz
    return onto.with_constants(
        efficiency=dict(fitted.efficiency),
        efficiency_knee=dict(fitted.efficiency_knee),
        bandwidth_efficiency=fitted.bandwidth_efficiency,
        overhead_s=overhead,
        calibrated=f"transferred from {fitted.name} ({fitted.calibrated or 'uncalibrated'})",
    )


def _search_dirs() -> list[Path]:
    extra = [Path(p) for p in os.environ.get(PATH_ENV, "").split(os.pathsep) if p]
    return [*extra, TARGETS_DIR]


def list_targets() -> list[str]:
    """Names of the targets found on the search path."""
    names = {p.stem for d in _search_dirs() if d.is_dir() for p in d.glob("*.json")}
    return sorted(names)


def load_target(name_or_path: str | os.PathLike[str]) -> Target:
    """A target by name (``orin-agx-50w``, ``host``: searched on the target path) or a ``.json`` file."""
    text = os.fspath(name_or_path)
    path = Path(text)
    if text.endswith(".json") or os.sep in text:
        if not path.is_file():
            raise ForgeError(f"{path}: no such target file")
    else:
        found = [d / f"{text}.json" for d in _search_dirs() if (d / f"{text}.json").is_file()]
        if not found:
            raise ForgeError(f"unknown target {text!r} (known: {', '.join(list_targets())}; or give a .json file)")
        path = found[0]
    try:
        data = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as err:
        raise ForgeError(f"{path}: cannot read target: {err}") from None
    return Target.from_json(data)


def save_target(target: Target, path: str | os.PathLike[str]) -> None:
    """Write a target as JSON (atomically: a failed write leaves no partial file)."""
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(target.to_json(), indent=2) + "\n")
    tmp.replace(path)
