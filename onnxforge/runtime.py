"""Verification with onnxruntime: run the original and the result on the same inputs, compare.

Sessions for verification run with onnxruntime's graph optimizations and
weight prepacking off, so the comparison is between the two models'
functions, not between the kernel choices onnxruntime makes for each (a graph
with more known shapes gets other fusions; a MatMul whose weight became a
constant gets a prepacked GEMM; both change float results in the last bit).
Latency measurement turns them on.

Instruments that compare many candidates with one original (attribution,
tolerance sweeps) use a ``Reference``: the original's inputs and outputs
computed once. Latency sessions (``latency_session``, ``time_runs``) run as
users run onnxruntime: all graph optimizations on.

Inputs are generated from the *original* model's input types: every symbolic
dim name is bound to one value across all inputs; an integer input that feeds
a Gather as indices gets ids in the range of the table it indexes (token ids);
inputs named like masks are all ones; floats are standard normal. Inputs that
would take more than ``INPUT_BUDGET`` bytes are refused before anything is
allocated (a declared ``[100000, 100000]`` input is no test case). A result
whose inputs are static where the original's are symbolic or unknown
(``onnx-fix-shapes``) fixes those sizes: ``verify`` binds them for both models
(``fixed_by``), and a caller's binding that contradicts them is an error.

``verify`` also binds each symbolic dim the caller left free to 0 and to 1 in
turn (an empty run is first tried in a forked child: some onnxruntime kernels abort the process on
empty tensors, and a binding the original cannot survive is skipped) (the others keep their random sizes): passes reason about symbolic sizes,
and an empty batch or a sequence of one is where such reasoning goes wrong
(``Shape(x)[0] == 0`` folded to False). A binding the original itself cannot
run is skipped, not counted against the result.
"""

from __future__ import annotations

import ast
import math
import os
import signal
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from onnx import ModelProto, TensorProto, helper

from onnxforge.errors import ForgeError
from onnxforge.ortload import onnxruntime
from onnxforge.passmanager.base import Accuracy

if TYPE_CHECKING:
    import onnxruntime as ort

ModelSource = ModelProto | bytes | str | os.PathLike[str]
"""A model, its serialized bytes (a candidate checked before it is written), or a path."""
DEFAULT_DIM = 3
"""Value given to unknown (unnamed) dims."""
INPUT_BUDGET = 1 << 30
"""Bytes the random inputs of one verification may take in all."""
EDGE_SIZES = (0, 1)
"""Sizes ``verify`` also binds each free symbolic dim to."""
PROBE_TIMEOUT = 300.0
"""Seconds a crash probe (``crashes``) may take before it counts as a hang."""


@dataclass
class OutputDiff:
    name: str
    max_abs: float
    max_rel: float
    identical: bool
    """Bit-identical (same shape, dtype, bytes; NaNs in the same places)."""
    magnitude: float = 0.0
    """Largest finite |value| of the original output: the scale a relative tolerance applies to."""
    eps: float = 0.0
    """Machine epsilon of the output's float type (0 for other types)."""

    def allowed(self, atol: float, rtol: float) -> float:
        """The largest max |Δ| a non-zero tolerance accepts: ``atol + rtol · magnitude``, and never less than a
        few rounding steps of the output's own type. The classes' tolerances are set for float32 outputs; a
        float16 model's outputs differ by whole float16 ulps under any reassociation (a fused LayerNorm:
        2e-3 at magnitude 4, one ulp), so their floor is ``eps + 4·eps·magnitude`` (float16: 1e-3 and
        4e-3 × scale; bfloat16 8× that); for float32 the floor is far below every class's tolerance."""
        return max(atol + rtol * self.magnitude, self.eps + 4 * self.eps * self.magnitude)

    def __str__(self) -> str:
        state = "bit-identical" if self.identical else f"max |Δ| {self.max_abs:.3g}, max rel {self.max_rel:.3g}"
        return f"{self.name}: {state}"


@dataclass
class VerifyReport:
    outputs: list[OutputDiff]
    dims: dict[str, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    edge_bindings: list[str] = field(default_factory=list)
    """The extra bindings checked (``batch=0``…); differences under them are in ``outputs``/``problems``."""
    skipped_bindings: list[str] = field(default_factory=list)
    """Extra bindings the original model cannot run (``batch=0: <why>``)."""

    @property
    def identical(self) -> bool:
        return not self.problems and all(o.identical for o in self.outputs)

    def within(self, atol: float, rtol: float = 0.0) -> bool:
        """Every output's max |Δ| within ``atol + rtol · max|original|`` (``OutputDiff.allowed``; class 0 needs
        ``identical`` instead).

        The relative part is taken against the output's magnitude, not per element: float rounding in a
        fused kernel scales with the values it sums (ResNet-50 logits near 400 move by 5e-4 under any
        reassociation), while elements near zero would make a per-element ratio meaningless.
        """
        if atol == 0.0 and rtol == 0.0:
            return not self.problems and all(o.identical or o.max_abs == 0.0 for o in self.outputs)
        return not self.problems and all(o.identical or o.max_abs <= o.allowed(atol, rtol) for o in self.outputs)

    def meets(self, accuracy: Accuracy) -> bool:
        """Within the tolerance of an accuracy class (bit-identical for class 0)."""
        if accuracy == Accuracy.LOSSLESS:
            return self.identical
        return self.within(accuracy.tolerance, accuracy.rtol)

    def summary(self) -> str:
        lines = [str(o) for o in self.outputs] + self.problems
        if self.edge_bindings:
            lines.append(f"also with {', '.join(self.edge_bindings)}")
        if self.skipped_bindings:
            lines.append(f"not with {', '.join(s.split(':')[0] for s in self.skipped_bindings)} (the original fails there)")
        return "; ".join(lines)


def session(model: ModelSource, threads: int = 2, optimize: bool = False,
            external_dir: Path | None = None) -> ort.InferenceSession:
    """An onnxruntime session on the CPU. ``external_dir``: where a model given as bytes or a proto finds its
    external data files (onnxruntime resolves the locations against it, as against a file's own folder)."""
    ort = onnxruntime()
    options = ort.SessionOptions()
    if external_dir is not None:
        options.add_session_config_entry("session.model_external_initializers_file_folder_path", str(external_dir))
    if optimize:
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    else:
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
        options.add_session_config_entry("session.disable_prepacking", "1")
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.log_severity_level = 4  # fatal only: an error reaches the user as our one line, not onnxruntime's coloured log
    source = model.SerializeToString() if isinstance(model, ModelProto) else model if isinstance(model, bytes) else str(model)
    try:
        return ort.InferenceSession(source, options, providers=["CPUExecutionProvider"])
    except Exception as err:  # onnxruntime raises its own exception types
        raise ForgeError(f"onnxruntime cannot load the model: {_first_line(err)}") from None


def _first_line(err: Exception) -> str:
    text = str(err).strip()
    return text.splitlines()[0] if text else type(err).__name__


def _gather_ranges(model: ModelProto) -> dict[str, int]:
    """Graph inputs used as Gather indices → the size of the gathered axis (e.g. the vocabulary)."""
    sizes = {t.name: list(t.dims) for t in model.graph.initializer}
    ranges: dict[str, int] = {}
    inputs = {i.name for i in model.graph.input}
    for node in model.graph.node:
        if node.op_type == "Gather" and len(node.input) > 1 and node.input[1] in inputs:
            axis = next((a.i for a in node.attribute if a.name == "axis"), 0)
            dims = sizes.get(node.input[0])
            if dims:
                bound = dims[axis]
                ranges[node.input[1]] = min(bound, ranges.get(node.input[1], bound))
    return ranges


def make_inputs(model: ModelProto, seed: int = 0, dims: dict[str, int] | None = None,
                pinned: dict[str, dict[int, int]] | None = None) -> tuple[dict[str, np.ndarray], dict[str, int]]:
    """Random feeds for the model's real inputs (initializer-backed inputs are left to their defaults).

    ``dims`` binds symbolic dims by name; ``pinned`` gives sizes to unnamed dims (input → {axis: size})."""
    rng = np.random.default_rng(seed)
    bound = dict(dims or {})
    initializers = {t.name for t in model.graph.initializer}
    ranges = _gather_ranges(model)
    planned: list[tuple[str, list[int], np.dtype, int]] = []
    for info in model.graph.input:
        if info.name in initializers:
            continue
        tensor = info.type.tensor_type
        if info.type.WhichOneof("value") != "tensor_type":
            raise ForgeError(f"cannot make a random value for input {info.name!r} (not a tensor)")
        shape = []
        sizes = (pinned or {}).get(info.name, {})
        for axis, dim in enumerate(tensor.shape.dim):
            if dim.HasField("dim_value"):
                shape.append(dim.dim_value)
            elif dim.HasField("dim_param") and (expression := dim_expression(dim.dim_param)) is not None:
                for symbol in sorted(_symbols(expression)):
                    bound.setdefault(symbol, int(rng.integers(2, 6)))
                bound[dim.dim_param] = max(_evaluate(expression, bound), 0)
                shape.append(bound[dim.dim_param])
            elif dim.HasField("dim_param"):
                shape.append(bound.setdefault(dim.dim_param, int(rng.integers(2, 6))))
            else:
                shape.append(sizes.get(axis, DEFAULT_DIM))
        planned.append((info.name, shape, np.dtype(helper.tensor_dtype_to_np_dtype(tensor.elem_type)), tensor.elem_type))
    total = sum(math.prod(shape) * dtype.itemsize for _, shape, dtype, _ in planned)
    if total > INPUT_BUDGET:
        raise ForgeError(f"random inputs would take {total / 2**20:.0f} MiB, over the {INPUT_BUDGET >> 20} MiB "
                         "verification budget (bind smaller sizes with --dim NAME=SIZE)")
    feeds: dict[str, np.ndarray] = {}
    for name, shape, dtype, elem_type in planned:
        lowered = name.lower()
        if "mask" in lowered:
            value = np.ones(shape, dtype=dtype)
        elif elem_type == TensorProto.BOOL:
            value = rng.random(shape) < 0.5
        elif np.issubdtype(dtype, np.integer):
            high = ranges.get(name, 2)
            value = rng.integers(0, max(high, 1), size=shape).astype(dtype)
        elif np.issubdtype(dtype, np.floating):
            value = rng.standard_normal(shape).astype(dtype)
        else:
            raise ForgeError(f"cannot make a random value for input {name!r} of type {dtype}")
        feeds[name] = np.asarray(value)
    return feeds, bound


def dim_expression(name: str) -> ast.expr | None:
    """A dim named by arithmetic over other dims (Optimum's ``past_sequence_length + sequence_length``): its
    parsed form, None for a plain name. Verification derives its size from the others' instead of binding
    it on its own (an independent size would make a model that concatenates past and new keys fail)."""
    if name.isidentifier() or not any(c in name for c in "+-*/"):
        return None
    try:
        tree = ast.parse(name, mode="eval").body
    except SyntaxError:
        return None
    allowed = (ast.BinOp, ast.Name, ast.Constant, ast.Add, ast.Sub, ast.Mult, ast.FloorDiv, ast.Div, ast.Load,
               ast.UnaryOp, ast.USub)
    if not all(isinstance(node, allowed) for node in ast.walk(tree)):
        return None
    if any(isinstance(node, ast.Constant) and not isinstance(node.value, int) for node in ast.walk(tree)):
        return None
    return tree


def _symbols(tree: ast.expr) -> set[str]:
    return {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)}


def _evaluate(tree: ast.expr, bound: dict[str, int]) -> int:
    if isinstance(tree, ast.Name):
        return bound[tree.id]
    if isinstance(tree, ast.Constant):
        return int(tree.value)
    if isinstance(tree, ast.UnaryOp):
        return -_evaluate(tree.operand, bound)
    assert isinstance(tree, ast.BinOp)
    left, right = _evaluate(tree.left, bound), _evaluate(tree.right, bound)
    if isinstance(tree.op, ast.Add):
        return left + right
    if isinstance(tree.op, ast.Sub):
        return left - right
    if isinstance(tree.op, ast.Mult):
        return left * right
    return left // right if right else 0


def run(model: ModelSource, feeds: dict[str, np.ndarray], threads: int = 2, optimize: bool = False,
        external_dir: Path | None = None) -> dict[str, np.ndarray]:
    return run_session(session(model, threads, optimize, external_dir), feeds)


def run_session(sess: ort.InferenceSession, feeds: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Every output of one run of an open session, by name."""
    names = [o.name for o in sess.get_outputs()]
    try:
        values = sess.run(names, feeds)
    except Exception as err:
        raise ForgeError(f"onnxruntime failed to run the model: {_first_line(err)}") from None
    return dict(zip(names, values))


def compare(expected: dict[str, np.ndarray], actual: dict[str, np.ndarray]) -> VerifyReport:
    report = VerifyReport([])
    for name, want in expected.items():
        if name not in actual:
            report.problems.append(f"output {name!r} is missing")
            continue
        got = np.asarray(actual[name])
        want = np.asarray(want)
        if want.shape != got.shape or want.dtype != got.dtype:
            report.problems.append(f"output {name!r}: {got.dtype}{list(got.shape)} instead of {want.dtype}{list(want.shape)}")
            continue
        identical = _bit_identical(want, got)
        max_abs = max_rel = magnitude = 0.0
        if not identical and want.size and (np.issubdtype(want.dtype, np.number) or want.dtype == bool):
            a, b = np.atleast_1d(want.astype(np.float64)), np.atleast_1d(got.astype(np.float64))  # 0-d: no item assignment
            finite = np.abs(a[np.isfinite(a)])
            magnitude = float(finite.max()) if finite.size else 0.0
            with np.errstate(invalid="ignore", over="ignore"):  # inf - inf: handled below
                diff = np.abs(a - b)
                diff[(a == b) | (np.isnan(a) & np.isnan(b))] = 0.0  # equal infinities (a -inf mask) are no difference
                diff[np.isnan(diff)] = np.inf
                relative = diff / np.maximum(np.abs(a), 1e-12)
                relative[diff == 0.0] = 0.0
                relative[np.isnan(relative)] = np.inf
            max_abs = float(diff.max())
            max_rel = float(relative.max())
        elif not identical:
            max_abs = max_rel = float("inf")
        eps = float(np.finfo(want.dtype).eps) if np.issubdtype(want.dtype, np.floating) else 0.0
        report.outputs.append(OutputDiff(name, max_abs, max_rel, identical, magnitude, eps))
    return report


def _bit_identical(a: np.ndarray, b: np.ndarray) -> bool:
    if a.dtype == object:
        return bool(np.array_equal(a, b))
    return a.tobytes() == b.tobytes()


def verify(original: ModelSource, candidate: ModelSource, seed: int = 0, dims: dict[str, int] | None = None,
           edges: bool = True) -> VerifyReport:
    """Run both models on the same random inputs and compare every output of the original; with
    ``edges``, also with each free symbolic dim bound to 0 and to 1 (``EDGE_SIZES``) in turn."""
    proto = original if isinstance(original, ModelProto) else load_structure(original)
    reference, tried = session(original), session(candidate)
    fixed, pinned = fixed_by(reference, tried)
    clash = next((name for name, size in fixed.items() if (dims or {}).get(name, size) != size), None)
    if clash is not None:
        raise ForgeError(f"the result fixes {clash}={fixed[clash]}, the binding asked for is {clash}={(dims or {})[clash]}")
    given = {**fixed, **(dims or {})}
    feeds, bound = make_inputs(proto, seed, given, pinned)
    report = compare(run_session(reference, feeds), run_session(tried, feeds))
    report.dims = dict(bound)
    if not edges:
        return report
    for name in [n for n in bound if n not in given and dim_expression(n) is None]:
        for size in EDGE_SIZES:
            label = f"{name}={size}"
            edge_feeds, _ = make_inputs(proto, seed, {**bound, name: size}, pinned)
            if size == 0 and (crash := crashes(original, edge_feeds)):
                report.skipped_bindings.append(f"{label}: onnxruntime crashes running the original ({crash})")
                continue
            if size == 0 and (crash := crashes(candidate, edge_feeds)):
                report.edge_bindings.append(label)
                report.problems.append(f"with {label} the original runs but onnxruntime crashes running the result ({crash})")
                continue
            try:
                expected = run_session(reference, edge_feeds)
            except ForgeError as err:
                report.skipped_bindings.append(f"{label}: {err}")
                continue
            report.edge_bindings.append(label)
            try:
                actual = run_session(tried, edge_feeds)
            except ForgeError as err:
                report.problems.append(f"with {label} the original runs but the result fails: {err}")
                continue
            edge = compare(expected, actual)
            report.problems += [f"with {label}: {p}" for p in edge.problems]
            report.outputs += [replace(o, name=f"{o.name} ({label})") for o in edge.outputs if not o.identical]
    return report


def crashes(model: ModelSource, feeds: dict[str, np.ndarray], timeout: float = PROBE_TIMEOUT) -> str | None:
    """How onnxruntime dies running ``model`` on ``feeds`` (``SIGABRT``, ``timeout``), None when it does not.

    Some kernels abort the process on empty tensors (onnxruntime 1.31's LSTM at batch 0: ``terminate
    called without an active exception``): a crash in-process would take forgec down with no error line.
    The run happens in a forked child with a session of its own (single-threaded: the parent's thread
    pools do not exist in a child); an exception is not a crash (the caller runs it again in-process and
    reports it). Empty inputs only, where crashes are: a probe costs a session load."""
    if not hasattr(os, "fork"):
        return None
    pid = os.fork()
    if pid == 0:  # the child: never returns into the caller's code, writes nothing (an abort's message too)
        try:
            quiet = os.open(os.devnull, os.O_WRONLY)
            os.dup2(quiet, 1)
            os.dup2(quiet, 2)
            run_session(session(model, threads=1), feeds)
        except BaseException:  # an exception is not a crash: the caller reruns and reports it
            pass
        os._exit(0)
    deadline = time.monotonic() + timeout
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return f"{signal.Signals(os.WTERMSIG(status)).name}" if os.WIFSIGNALED(status) else None
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            return f"no result in {timeout:g} s"
        time.sleep(0.005)


def fixed_by(original: ort.InferenceSession, candidate: ort.InferenceSession) -> tuple[dict[str, int], dict[str, dict[int, int]]]:
    """The sizes the candidate's inputs fix where the original's are open (``onnx-fix-shapes``): symbolic
    dims of the original that the candidate declares static (name → size), and unnamed dims it declares
    static (input → {axis: size}). Verification feeds both models inputs of those sizes, and does not
    try other sizes for those dims: the candidate is only defined there."""
    declared = {i.name: i.shape for i in candidate.get_inputs()}
    fixed: dict[str, int] = {}
    pinned: dict[str, dict[int, int]] = {}
    for info in original.get_inputs():
        shape = declared.get(info.name)
        if shape is None or len(shape) != len(info.shape):
            continue
        for axis, (old, new) in enumerate(zip(info.shape, shape)):
            if not isinstance(new, int) or isinstance(old, int):
                continue
            if isinstance(old, str):
                if fixed.setdefault(old, new) != new:
                    raise ForgeError(f"the result fixes dim {old!r} to both {fixed[old]} and {new} (input {info.name!r})")
            else:
                pinned.setdefault(info.name, {})[axis] = new
    return fixed, pinned


class Reference:
    """The original model's random inputs (one seed) and its outputs, computed once, so that many
    candidates can be checked against it without rerunning the original each time."""

    def __init__(self, original: ModelSource, seed: int = 0, dims: dict[str, int] | None = None) -> None:
        proto = original if isinstance(original, ModelProto) else load_structure(original)
        self.feeds, self.dims = make_inputs(proto, seed, dims)
        self.outputs = run(original, self.feeds)

    def check(self, candidate: ModelSource) -> VerifyReport:
        report = compare(self.outputs, run(candidate, self.feeds))
        report.dims = dict(self.dims)
        return report


def latency_session(model: ModelSource, threads: int = 2) -> ort.InferenceSession:
    """A session as users run one: CPU, ``threads`` intra-op threads, every graph optimization on."""
    return session(model, threads, optimize=True)


def time_runs(sess: ort.InferenceSession, feeds: dict[str, np.ndarray], runs: int = 1) -> list[float]:
    """Wall-clock seconds of each of ``runs`` consecutive runs (outputs discarded)."""
    import time

    names = [o.name for o in sess.get_outputs()]
    times = []
    try:
        for _ in range(runs):
            start = time.perf_counter()
            sess.run(names, feeds)
            times.append(time.perf_counter() - start)
    except Exception as err:
        raise ForgeError(f"onnxruntime failed to run the model: {_first_line(err)}") from None
    return times


def load_structure(path: ModelSource) -> ModelProto:
    """The model's structure, its weights mapped and not read (enough to make inputs or count nodes)."""
    from onnxforge.onnxio.loader import load

    return load(Path(path)).proto  # type: ignore[arg-type]
