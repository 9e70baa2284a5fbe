"""What counts as a finding, and the pipeline × target matrix every case runs through.

The rules are issue 13's: exit 70 or any traceback; a non-zero exit whose stderr is not exactly one line
starting ``forgec: error:``; an output file left after a non-zero exit; the input modified; outputs that
differ from the original's beyond the pipeline's accuracy class where onnxruntime runs the original; a
crash or a hang of the forgec process. A verification failure (exit 3) is its own class. On a model known
to be valid (a generated graph, not a mutation), a one-line rejection is a finding too: forgec must not
refuse what the checker and onnxruntime accept. A pass that fails is a finding on any input: the importer
is where a model is rejected, a transform must cope with whatever it accepted.

A finding's *signature* is its class plus its message with names and numbers blanked, so one bug met on
many cases and pipelines counts once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from onnxforge.targets import TARGET_KINDS

from .execute import RunResult

TARGETS = tuple(t for t in TARGET_KINDS if t != "tensorrt")
"""The full matrix's targets; tensorrt is in ``deploy_matrix`` (its parser's opset range refuses much of the rest)."""
OPSETS = (None, 23)


@dataclass(frozen=True)
class Entry:
    """One cell of the matrix: a pipeline, a ``--target`` (None: forgec's default) and a ``--target-opset``."""

    pipeline: str
    target: str | None
    opset: int | None
    accuracy: int
    """The largest accuracy class among the passes the pipeline may run (auto: any pipeline's)."""
    precision: str | None = None
    """``--precision`` (fp16, bf16), or None for the model's own."""

    @property
    def key(self) -> str:
        return (f"{self.pipeline}/{self.target or 'default'}" + (f"/opset{self.opset}" if self.opset else "")
                + (f"/{self.precision}" if self.precision else ""))

    def argv(self) -> list[str]:
        args = [f"--pipeline={self.pipeline}", "--verify"]
        if self.target:
            args.append(f"--target={self.target}")
        if self.opset:
            args.append(f"--target-opset={self.opset}")
        if self.precision:
            args.append(f"--precision={self.precision}")
        return args


def matrix() -> list[Entry]:
    """Every pipeline × target × opset, less the targets a pipeline ignores (its passes have no unset target option)."""
    from onnxforge.transforms.pipelines import PIPELINES

    entries = []
    for name in PIPELINES:
        targets = TARGETS if name == "auto" or _targeted(name) else (None,)
        entries += [Entry(name, target, opset, _accuracy(name, opset)) for target in targets for opset in OPSETS]
    return entries


def deploy_matrix() -> list[Entry]:
    """The deployment options (issue 12): ``--target=tensorrt`` at the model's opset and at 23, and
    ``--precision`` fp16/bf16 (verified at their own classes), each under ``auto``."""
    return [Entry("auto", "tensorrt", None, _accuracy("auto", None)),
            Entry("auto", "tensorrt", 23, _accuracy("auto", 23)),
            Entry("auto", None, None, 3, "fp16"),
            Entry("auto", "ort", None, 3, "fp16"),
            Entry("auto", None, None, 4, "bf16")]


def _stages(name: str) -> list[str]:
    from onnxforge.transforms.pipelines import PIPELINES

    return [spec for spec, _ in PIPELINES[name].stages if spec.strip()]


def _targeted(name: str) -> bool:
    """Whether a target changes the pipeline's passes (else it runs once, with forgec's default target)."""
    from onnxforge.compiler import parse_passes

    return len({repr([parse_passes(s, t) for s in _stages(name)]) for t in TARGETS}) > 1


def _accuracy(name: str, opset: int | None) -> int:
    """The largest class among the pipeline's passes and the opset conversion; auto may run any pipeline."""
    from onnxforge.compiler import parse_passes
    from onnxforge.passes import get_pass
    from onnxforge.transforms.pipelines import PIPELINES

    names = list(PIPELINES) if name == "auto" else [name]
    passes = [p.name for n in names for spec in _stages(n) for p in parse_passes(spec)]
    if opset:
        passes.append("onnx-convert-opset")
    return max((int(get_pass(p).accuracy) for p in passes), default=0)


@dataclass
class Finding:
    kind: str
    entry: str
    message: str
    detail: str = ""
    case: str = ""
    seed: int | None = None
    repro: str | None = None
    extra: dict = field(default_factory=dict)  # type: ignore[type-arg]

    @property
    def signature(self) -> str:
        return f"{self.kind}: {normalize(self.message)}"


def normalize(message: str) -> str:
    text = re.sub(r"'[^']*'|\"[^\"]*\"", "'…'", message)
    text = re.sub(r"(/[\w.+-]+)+", "PATH", text)
    text = re.sub(r"%?[A-Za-z_]*\d[\w.]*", "N", text)
    text = re.sub(r"\[[^\]]*\]", "[…]", text)
    return text[:160]


def classify(result: RunResult, entry: str, valid: bool, original_runs: bool) -> list[Finding]:
    """Every rule the run breaks (usually none)."""
    found = []
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    first = next((line for line in lines if line.startswith("forgec: ") and "error" in line), lines[-1] if lines else "")
    if result.escaped is not None:
        found.append(Finding("exception", entry, result.escaped.strip().splitlines()[-1], result.escaped))
    if result.rc == 70:
        found.append(Finding("exit-70", entry, first.removeprefix("forgec: internal error: "), result.stderr))
    elif "Traceback (most recent call last)" in result.stderr:
        found.append(Finding("traceback", entry, _last_line(result.stderr), result.stderr))
    if result.rc == 3:
        found.append(Finding("verify-failed", entry, _verify_message(first), result.stderr))
    elif result.rc not in (0, 70, -1):
        if len(lines) != 1 or not lines[0].startswith("forgec: error:"):
            kinds = [k for i, k in enumerate(map(_line_kind, lines)) if i == 0 or k != _line_kind(lines[i - 1])]
            found.append(Finding("multi-line-error", entry, " | ".join(kinds), result.stderr))
        if re.match(r"forgec: error: pass \S+ failed", first):
            found.append(Finding("pass-failed", entry, first.removeprefix("forgec: error: "), result.stderr))
        elif "cannot verify" in result.stderr and original_runs:
            found.append(Finding("output-unrunnable", entry, first, result.stderr))
        elif valid and "cannot verify" not in result.stderr:
            found.append(Finding("rejects-valid", entry, first, result.stderr))
    if result.rc != 0 and result.left:
        found.append(Finding("output-left", entry, f"exit {result.rc} left {', '.join(result.left)}", result.stderr))
    if result.input_changed:
        found.append(Finding("input-modified", entry, "the input file changed", result.stderr))
    for problem in result.problems:
        kind = "output-unrunnable" if "does not run" in problem else "output-diff"
        found.append(Finding(kind, entry, problem, result.stderr))
    return found


def _line_kind(line: str) -> str:
    """A stderr line reduced to what it is: forgec's own line (first words), onnxruntime's log, or other."""
    if re.search(r"\[[EWIV]:onnxruntime", line) or line.startswith("\x1b"):  # its log, colour codes and all
        return "<onnxruntime log>"
    if line.startswith("forgec: error: cannot verify"):
        return "forgec: error: cannot verify"
    if line.startswith("forgec:"):
        return " ".join(line.split()[:2])
    return f"<{line.split()[0] if line.split() else ''}…>"


def _last_line(text: str) -> str:
    return [line for line in text.splitlines() if line.strip()][-1]


def _verify_message(line: str) -> str:
    """Verification failures differ only in numbers and output names: keep the shape of the complaint."""
    return re.sub(r"\([^)]*\)", "(…)", line)
