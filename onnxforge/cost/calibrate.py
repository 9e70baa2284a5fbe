"""Host calibration: micro-benchmarks that onnxruntime runs on this CPU, turned into a cost ``Target``.

Why micro-benchmarks and not a spec sheet: the host is whatever machine the user has (a VM slice, a
laptop, a server), its usable peak depends on onnxruntime's kernels (MLAS) more than on the CPU's
datasheet, and the per-operator dispatch cost is a property of the runtime. So the tool measures
the four constants the roofline needs, the same way a model will be run:

- GEMM throughput (``MatMul`` at a few transformer- and square-shaped sizes): the fp32 peak;
- convolution throughput (3x3 and 1x1 ``Conv``): the conv efficiency relative to that peak;
- memory bandwidth (a large elementwise ``Add``, three streams);
- per-operator overhead (the slope of run time over the length of a chain of tiny ops).

Everything runs under one ``Protocol`` (intra-op threads, pinning, warm-up, median of repeats),
which the validation benchmark reuses to time whole models, so estimates and measurements share
their conditions. The micro-benchmark graphs run with graph optimisations off, so the graph timed
is the graph built (no folding of the constant chain).
"""

from __future__ import annotations

import json
import os
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import onnx
from onnx import TensorProto, helper

from onnxforge.cost.hardware import TARGETS_DIR, Target, load_target, save_target
from onnxforge.ortload import onnxruntime

if TYPE_CHECKING:
    import onnxruntime as ort

OPSET = 17
STATISTICS = ("median", "min", "node-min")
IR_VERSION = 8  # the IR of opset 17; onnx's newest IR is ahead of what onnxruntime 1.31 loads


@dataclass(frozen=True)
class Protocol:
    """How every timing is taken: the conditions a measured latency is reported under.

    ``threads`` intra-op threads, each pinned to its own core when ``pin`` (and the machine has the
    cores); ``warmup`` untimed runs; then the median of ``repeats`` timed runs, stopping early once
    ``budget_s`` is spent (but never below ``min_repeats``), so a 3-second model does not take minutes.
    """

    threads: int = 2
    pin: bool = True
    warmup: int = 3
    repeats: int = 20
    min_repeats: int = 3
    budget_s: float = 10.0
    optimize: bool = True  # onnxruntime graph optimisations (ORT_ENABLE_ALL) for models
    statistic: str = "median"
    """``median`` of whole runs (the reported protocol); for debugging on a busy machine, where noise
    only ever adds time: ``min`` of whole runs, or ``node-min``, the sum over nodes of each node's
    fastest time in onnxruntime's profile (robust even when no whole run escapes the noise; it leaves
    out the few µs per node the profiler does not see)."""
    flush_denormals: bool = True
    """Flush denormal floats to zero: randomly initialised networks (our corpus) decay into denormals
    that slow x86 kernels several-fold, which trained weights do not; timing them would measure the
    weights' scale, not the model."""

    def __post_init__(self) -> None:
        if self.statistic not in STATISTICS:
            raise ValueError(f"statistic {self.statistic!r} is not one of {', '.join(STATISTICS)}")

    def describe(self) -> str:
        pinned = f"pinned to cores 0..{self.threads - 1}" if self.pinned() else "not pinned"
        return (f"onnxruntime {onnxruntime().__version__} CPU, {self.threads} intra-op thread(s) {pinned}, 1 inter-op thread, "
                f"graph optimisations {'on (ORT_ENABLE_ALL)' if self.optimize else 'off'}, "
                f"denormals {'flushed to zero' if self.flush_denormals else 'kept'}, {self.warmup} warm-up "
                f"run(s), {self.statistic} of up to {self.repeats} runs (at least {self.min_repeats}, {self.budget_s:g} s budget)")

    def pinned(self) -> bool:
        return self.pin and hasattr(os, "sched_setaffinity") and (os.cpu_count() or 1) >= self.threads

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "pinned": self.pinned(), "onnxruntime": onnxruntime().__version__}


def session(model: onnx.ModelProto | str | os.PathLike[str], protocol: Protocol,
            optimize: bool | None = None) -> ort.InferenceSession:
    """An onnxruntime CPU session under ``protocol``; ``optimize`` overrides the protocol's graph level."""
    ort = onnxruntime()
    options = ort.SessionOptions()
    options.intra_op_num_threads = protocol.threads
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.log_severity_level = 3
    enabled = protocol.optimize if optimize is None else optimize
    options.graph_optimization_level = (ort.GraphOptimizationLevel.ORT_ENABLE_ALL if enabled
                                        else ort.GraphOptimizationLevel.ORT_DISABLE_ALL)
    if protocol.statistic == "node-min":
        options.enable_profiling = True
        options.profile_file_prefix = os.path.join(tempfile.gettempdir(), f"onnxforge_profile_{os.getpid()}")
    if protocol.flush_denormals:
        options.add_session_config_entry("session.set_denormal_as_zero", "1")
    if protocol.pinned() and protocol.threads > 1:
        # the pool's threads (threads - 1 of them; the caller is the first) on logical cores 2..threads (1-based)
        options.add_session_config_entry("session.intra_op_thread_affinities",
                                         ";".join(str(core + 1) for core in range(1, protocol.threads)))
    source = model.SerializeToString() if isinstance(model, onnx.ModelProto) else str(model)
    return ort.InferenceSession(source, options, providers=["CPUExecutionProvider"])


@contextmanager
def _pinned_caller(protocol: Protocol) -> Iterator[None]:
    """Pin the calling thread (onnxruntime's first intra-op worker) to core 0 while timing."""
    if not protocol.pinned():
        yield
        return
    before = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {0})
    try:
        yield
    finally:
        os.sched_setaffinity(0, before)


def time_runs(run: Callable[[], object], protocol: Protocol) -> list[float]:
    """Seconds of each timed run of ``run`` (after the warm-up), under the protocol's repeat rules."""
    with _pinned_caller(protocol):
        for _ in range(protocol.warmup):
            run()
        times: list[float] = []
        spent = 0.0
        while len(times) < protocol.repeats and (len(times) < protocol.min_repeats or spent < protocol.budget_s):
            start = time.perf_counter()
            run()
            times.append(time.perf_counter() - start)
            spent += times[-1]
    return times


def latency_seconds(sess: ort.InferenceSession, feeds: Mapping[str, np.ndarray], protocol: Protocol) -> float:
    """The latency of ``sess.run`` on ``feeds`` under the protocol's statistic (see ``Protocol.statistic``).

    A ``node-min`` session (profiling on, from ``session``) is spent: its profile is ended here.
    """
    times = time_runs(lambda: sess.run(None, dict(feeds)), protocol)
    if protocol.statistic == "node-min":
        return _node_minima(Path(sess.end_profiling()))
    return min(times) if protocol.statistic == "min" else statistics.median(times)


def _node_minima(profile: Path) -> float:
    """Sum over the profiled nodes of each one's fastest run (seconds); the profile file is removed."""
    fastest: dict[str, float] = {}
    for event in json.loads(profile.read_text()):
        if event.get("cat") == "Node" and event.get("name", "").endswith("_kernel_time"):
            name = event["name"]
            fastest[name] = min(fastest.get(name, float("inf")), event["dur"] * 1e-6)
    profile.unlink(missing_ok=True)
    return sum(fastest.values())


# ---- micro-benchmark graphs ----------------------------------------------------------------------


def _model(nodes: list[onnx.NodeProto], inputs: list[onnx.ValueInfoProto], output: onnx.ValueInfoProto,
           initializers: list[TensorProto] = ()) -> onnx.ModelProto:  # type: ignore[assignment]
    graph = helper.make_graph(nodes, "calibration", inputs, [output], list(initializers))
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], ir_version=IR_VERSION)


def _value(name: str, shape: list[int]) -> onnx.ValueInfoProto:
    return helper.make_tensor_value_info(name, TensorProto.FLOAT, shape)


def _weight(name: str, shape: tuple[int, ...], rng: np.random.Generator) -> TensorProto:
    return onnx.numpy_helper.from_array(rng.standard_normal(shape, dtype=np.float32) * 0.05, name)


def gemm_model(m: int, k: int, n: int) -> onnx.ModelProto:
    """``[m,k] @ W[k,n]`` with a constant weight, as a Linear layer is run."""
    weight = _weight("w", (k, n), np.random.default_rng(0))
    return _model([helper.make_node("MatMul", ["x", "w"], ["y"])], [_value("x", [m, k])], _value("y", [m, n]), [weight])


def conv_model(channels: int, out_channels: int, size: int, kernel: int) -> onnx.ModelProto:
    weight = _weight("w", (out_channels, channels, kernel, kernel), np.random.default_rng(0))
    node = helper.make_node("Conv", ["x", "w"], ["y"], pads=[kernel // 2] * 4)
    return _model([node], [_value("x", [1, channels, size, size])], _value("y", [1, out_channels, size, size]), [weight])


def add_model(elements: int) -> onnx.ModelProto:
    return _model([helper.make_node("Add", ["a", "b"], ["y"])], [_value("a", [elements]), _value("b", [elements])],
                  _value("y", [elements]))


def chain_model(length: int, elements: int = 16) -> onnx.ModelProto:
    """``length`` dependent tiny ``Add``s: their cost is almost all per-operator dispatch."""
    one = onnx.numpy_helper.from_array(np.full([elements], 1e-3, np.float32), "c")
    names = ["x"] + [f"t{i}" for i in range(length - 1)] + ["y"]
    nodes = [helper.make_node("Add", [names[i], "c"], [names[i + 1]]) for i in range(length)]
    return _model(nodes, [_value("x", [elements])], _value("y", [elements]), [one])


@dataclass(frozen=True)
class Measurement:
    """One micro-benchmark: what ran, its median seconds, and the work it did."""

    kind: str  # "gemm", "conv", "bandwidth", "overhead"
    name: str
    seconds: float
    flops: float = 0.0
    bytes: float = 0.0

    @property
    def flops_per_s(self) -> float:
        return self.flops / self.seconds

    @property
    def bytes_per_s(self) -> float:
        return self.bytes / self.seconds


def _feeds(sess: ort.InferenceSession) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(0)
    return {i.name: rng.standard_normal(i.shape, dtype=np.float32) for i in sess.get_inputs()}


def _measure(model: onnx.ModelProto, protocol: Protocol) -> float:
    sess = session(model, protocol, optimize=False)
    return latency_seconds(sess, _feeds(sess), protocol)


GEMM_SIZES = [(128, 768, 768), (128, 768, 3072), (128, 3072, 768), (512, 1024, 1024), (1024, 1024, 1024)]
CONV_SIZES = [(64, 64, 56, 3), (128, 128, 28, 3), (256, 256, 14, 3), (256, 1024, 14, 1)]  # (cin, cout, hw, k)
QUICK_GEMM = [(128, 768, 768)]
QUICK_CONV = [(64, 64, 28, 3)]


def micro_benchmarks(protocol: Protocol, quick: bool = False) -> list[Measurement]:
    """Run the calibration kernels; ``quick`` runs one small size of each (about a second in all)."""
    out: list[Measurement] = []
    for m, k, n in QUICK_GEMM if quick else GEMM_SIZES:
        out.append(Measurement("gemm", f"matmul {m}x{k}x{n}", _measure(gemm_model(m, k, n), protocol),
                               flops=2.0 * m * k * n, bytes=4.0 * (m * k + k * n + m * n)))
    for cin, cout, hw, kernel in QUICK_CONV if quick else CONV_SIZES:
        flops = 2.0 * cin * cout * kernel * kernel * hw * hw
        moved = 4.0 * (cin * hw * hw + cout * cin * kernel * kernel + cout * hw * hw)
        out.append(Measurement("conv", f"conv {kernel}x{kernel} {cin}->{cout} at {hw}x{hw}",
                               _measure(conv_model(cin, cout, hw, kernel), protocol), flops=flops, bytes=moved))
    for elements in [1 << 18] if quick else [1 << 18, 1 << 25]:  # 1 MiB per stream (cache); 128 MiB (DRAM)
        out.append(Measurement("bandwidth", f"add of {elements} floats", _measure(add_model(elements), protocol),
                               bytes=3.0 * 4 * elements))
    short, long = (1, 51) if quick else (1, 401)
    slope = (_measure(chain_model(long), protocol) - _measure(chain_model(short), protocol)) / (long - short)
    out.append(Measurement("overhead", f"chain of {short}..{long} tiny Add ops", max(slope, 1e-8)))
    return out


def host_target(measurements: list[Measurement], name: str = "host", base: Target | None = None,
                threads: int | None = None) -> Target:
    """The ``Target`` these measurements describe (execution "ort", fp32 everywhere).

    Peaks are the larger of the datasheet figure (``threads`` cores × clock × FMA width, from ``/proc/cpuinfo``)
    and the best throughput seen, so every efficiency lies in (0, 1] and the fit can move it either
    way: matmul and conv efficiency are the median GEMM / conv throughput over that peak. Bandwidth is
    the best streaming rate seen (cache-sized arrays), and the bandwidth efficiency starts at the
    DRAM-sized rate over it. Classes not measured keep ``base``'s (the packaged ``host``) priors.
    """
    base = base or load_target(TARGETS_DIR / "host.json")  # the packaged priors, not an earlier calibration
    by_kind: dict[str, list[Measurement]] = {}
    for m in measurements:
        by_kind.setdefault(m.kind, []).append(m)
    rates = [m.flops_per_s for m in by_kind["gemm"] + by_kind["conv"]]
    peak = max(max(rates), _datasheet_peak(threads or os.cpu_count() or 1) or 0.0)
    streams = by_kind["bandwidth"]
    bandwidth = max(m.bytes_per_s for m in streams)
    dram = streams[-1].bytes_per_s  # the largest arrays come last
    scale = peak / base.peak_flops.get("fp32", peak)
    return base.with_constants(
        name=name,
        description=f"this host ({_cpu_name()}, {os.cpu_count()} logical CPUs) under onnxruntime "
                    f"{onnxruntime().__version__} CPU, measured by `forgec calibrate`",
        peak_flops={prec: value * scale for prec, value in base.peak_flops.items()},
        bandwidth=bandwidth,
        bandwidth_efficiency=min(1.0, max(dram / bandwidth, 1e-3)),
        overhead_s=statistics.median(m.seconds for m in by_kind["overhead"]),
        efficiency={"matmul": _ratio(by_kind["gemm"], peak), "conv": _ratio(by_kind["conv"], peak)},
        execution="ort",
        cpu_clock_hz=_cpu_clock() or base.cpu_clock_hz,
        sources="micro-benchmarks of onnxforge.cost.calibrate (GEMM, Conv, streaming Add, a chain of tiny ops)",
        calibrated="measured by micro-benchmarks (matmul and conv efficiency, bandwidth, overhead); "
                   "other classes: packaged priors",
    )


def _ratio(measured: list[Measurement], peak: float) -> float:
    return min(1.0, statistics.median(m.flops_per_s for m in measured) / peak)


def _cpuinfo() -> str:
    try:
        return Path("/proc/cpuinfo").read_text()
    except OSError:
        return ""


def _cpu_name() -> str:
    return next((line.split(":", 1)[1].strip() for line in _cpuinfo().splitlines() if line.startswith("model name")),
                "unknown CPU")


def _cpu_clock() -> float | None:
    mhz = [float(line.split(":", 1)[1]) for line in _cpuinfo().splitlines() if line.startswith("cpu MHz")]
    return max(mhz) * 1e6 if mhz else None


def _datasheet_peak(cores: int) -> float | None:
    """Cores × clock × fp32 FLOP per cycle (2 FMA ports: 64 with AVX-512, 32 with AVX2+FMA, 8 otherwise)."""
    clock = _cpu_clock()
    flags = next((set(line.split(":", 1)[1].split()) for line in _cpuinfo().splitlines() if line.startswith("flags")),
                 set())
    if clock is None or not flags:
        return None
    per_cycle = 64 if "avx512f" in flags else 32 if {"avx2", "fma"} <= flags else 8
    return min(cores, os.cpu_count() or 1) * clock * per_cycle


def calibrate(quick: bool = False, protocol: Protocol | None = None, name: str = "host") -> tuple[Target, list[Measurement]]:
    """Measure this host and return its target with the measurements it came from."""
    protocol = protocol or Protocol()
    measurements = micro_benchmarks(protocol, quick)
    return host_target(measurements, name, threads=protocol.threads), measurements


def write(target: Target, measurements: list[Measurement], protocol: Protocol, path: str | os.PathLike[str]) -> None:
    """Save the target JSON, keeping the measurements and protocol under ``notes`` (ignored when loading)."""
    save_target(target, path)
    data = json.loads(Path(path).read_text())
    data["notes"] = {
        "protocol": protocol.to_json(),
        "measurements": [{**asdict(m), "gflop_per_s": m.flops / m.seconds / 1e9, "gb_per_s": m.bytes / m.seconds / 1e9}
                         for m in measurements],
    }
    Path(path).write_text(json.dumps(data, indent=2) + "\n")
