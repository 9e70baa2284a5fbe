"""The run summary ``forgec`` prints by default: what changed, what fused, what did not and the flag that would.

A deployment engineer's first question after a run is "did it do anything?", and the answer must not
need ``inspect`` or ``--explain-fusions``: op counts by type before and after, nodes, weight bytes and
file size, opset and IR version, the pipeline (and why ``auto`` chose it), the fusions that fired and
the ones that did not, grouped by cause with the one flag that enables them.

No noise: a fusion is reported as applied only by its effect on the output, never by a pattern that
fired. A pattern that raises an existing ``LayerNormalization`` into the ``nn`` dialect and lowers it back
fired, but the model has the same ops; Conv + activation under a target without a fused conv is
written back as Conv + activation. So "fused" lists fused op types whose count grew, BatchNorms folded
away, and Q/K/V projections merged (the one pattern whose effect is a restructuring of existing ops).
``-q`` silences the summary; ``--report=json FILE`` writes it as data.
"""

from __future__ import annotations

import json
import os
import re
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path

FUSED_OP_TYPES = (
    "LayerNormalization", "RMSNormalization", "Gelu", "Attention", "RotaryEmbedding",
    "com.microsoft.Attention", "com.microsoft.MultiHeadAttention", "com.microsoft.GroupQueryAttention",
    "com.microsoft.SkipLayerNormalization", "com.microsoft.SimplifiedLayerNormalization",
    "com.microsoft.SkipSimplifiedLayerNormalization", "com.microsoft.FastGelu", "com.microsoft.BiasGelu",
    "com.microsoft.Gelu", "com.microsoft.RotaryEmbedding", "com.microsoft.FusedMatMul", "com.microsoft.FusedConv",
    "Gemm",
)
"""Op types a fusion writes (standard opsets 17–23 and onnxruntime's contrib ops)."""

_OPSET_NEED = re.compile(r"^(?P<op>\w+) needs opset ≥ (?P<opset>\d+)")
_SOMEONE_ELSES = re.compile(r"\(nn-fuse-[a-z-]+\)$")
"""A near miss that explains the candidate is another fusion's ("…: a LayerNorm (nn-fuse-layer-norm)")."""


@dataclass
class ModelFacts:
    """What the summary says of one model: the input as given, or the output as written."""

    nodes: int
    ops: dict[str, int]
    opset: int
    ir_version: int
    weight_bytes: int
    file_bytes: int


@dataclass
class Summary:
    input: str
    output: str
    pipeline: str
    why: list[str]
    before: ModelFacts
    after: ModelFacts
    fused: dict[str, int] = field(default_factory=dict)
    not_fused: list[dict] = field(default_factory=list)  # type: ignore[type-arg]
    seconds: float = 0.0

    def as_json(self) -> str:
        return json.dumps(asdict(self), indent=2, ensure_ascii=False) + "\n"


def facts(proto, tensors, files: list[Path]) -> ModelFacts:  # type: ignore[no-untyped-def]
    """A model's facts from its (weight-free) proto, its tensors and the files it occupies."""
    ops = Counter(f"{node.domain}.{node.op_type}" if node.domain not in ("", "ai.onnx") else node.op_type
                  for node in _nodes(proto.graph))
    opset = next((o.version for o in proto.opset_import if o.domain in ("", "ai.onnx")), 0)
    size = sum(os.stat(f).st_size for f in files if os.path.isfile(f))
    return ModelFacts(len(proto.graph.node), dict(ops.most_common()), opset, proto.ir_version,
                      sum(t.nbytes for t in tensors), size)


def _nodes(graph):  # type: ignore[no-untyped-def]
    """Every node of ``graph`` and of its subgraphs (``If``/``Loop`` bodies): a merged decoder's attention is in
    its branches, and what was fused there counts."""
    for node in graph.node:
        yield node
        for attr in node.attribute:
            for sub in ([attr.g] if attr.HasField("g") else []) + list(attr.graphs):
                yield from _nodes(sub)


def build(input: str, output: str, pipeline: str, why: tuple[str, ...], before: ModelFacts, after: ModelFacts,
          report, target: str | None, seconds: float) -> Summary:  # type: ignore[no-untyped-def]
    fused = {op: after.ops.get(op, 0) - before.ops.get(op, 0) for op in FUSED_OP_TYPES}
    fused = {op: n for op, n in fused.items() if n > 0}
    folded = before.ops.get("BatchNormalization", 0) - after.ops.get("BatchNormalization", 0)
    if folded > 0 and report.state.statistics.get("nn-fuse-conv-batchnorm/FoldBatchNorm"):
        fused["BatchNormalization folded into Conv"] = folded
    if qkv := report.state.statistics.get("nn-fuse-qkv/FuseQKV", 0):
        fused["Q/K/V projections merged into one MatMul"] = qkv
    return Summary(input, output, pipeline, list(why), before, after, fused, _declined(report, target), seconds)


def _declined(report, target: str | None) -> list[dict]:  # type: ignore[no-untyped-def,type-arg]
    """Near misses grouped by cause: every "needs opset ≥ N" in one group with the flag that lifts it."""
    opset_needs: Counter[str] = Counter()
    needed: dict[str, int] = {}
    others: Counter[tuple[str, str]] = Counter()
    seen = set()
    for miss in report.state.near_misses:
        if _SOMEONE_ELSES.search(miss.reason) or (miss.pass_name, miss.node, miss.reason) in seen:
            continue
        seen.add((miss.pass_name, miss.node, miss.reason))
        if match := _OPSET_NEED.match(miss.reason):
            opset_needs[match["op"]] += 1
            needed[match["op"]] = int(match["opset"])
        else:
            others[(miss.pass_name, miss.reason)] += 1
    groups = []
    if opset_needs:
        highest = max(needed.values())
        flag = f"--target-opset={highest}" + (" or --target=ort" if target in (None, "standard") else "")  # not for
        # tensorrt (its parser reads no contrib op) nor portable (no fused op at all)
        groups.append({"count": sum(opset_needs.values()), "ops": dict(opset_needs), "opsets": needed,
                       "cause": "need opset ≥ " + "/".join(dict.fromkeys(str(needed[op]) for op in opset_needs)),
                       "enable": flag})
    for (pass_name, reason), n in others.most_common():
        groups.append({"count": n, "ops": {pass_name: n}, "cause": reason, "enable": None})
    return groups


def _mib(n: int) -> str:
    return f"{n / 2**20:.1f} MiB" if n >= 2**20 else f"{n / 1024:.1f} KiB"


def text(summary: Summary) -> str:
    """The terminal form: a few aligned lines on stderr."""
    b, a = summary.before, summary.after
    why = f" (auto: {'; '.join(summary.why)})" if summary.why else ""
    delta = a.nodes - b.nodes
    changed = sorted(set(b.ops) | set(a.ops), key=lambda op: (-abs(a.ops.get(op, 0) - b.ops.get(op, 0)), op))
    changed = [op for op in changed if a.ops.get(op, 0) != b.ops.get(op, 0)]
    shown = ", ".join(f"{op} {b.ops.get(op, 0)}→{a.ops.get(op, 0)}" for op in changed[:10])
    if len(changed) > 10:
        shown += f", … {len(changed) - 10} more"
    lines = [
        f"forgec: {summary.input} → {summary.output} in {summary.seconds:.2f} s",
        f"  pipeline   {summary.pipeline}{why}",
        f"  model      opset {b.opset}, IR {b.ir_version}" + ("" if (b.opset, b.ir_version) == (a.opset, a.ir_version)
                                                               else f" → opset {a.opset}, IR {a.ir_version}"),
        f"  nodes      {b.nodes} → {a.nodes} ({delta:+d})",
        f"  weights    {_mib(b.weight_bytes)} → {_mib(a.weight_bytes)}; files {_mib(b.file_bytes)} → {_mib(a.file_bytes)}",
        f"  ops        {shown or 'unchanged'}",
        f"  fused      {', '.join(f'{op} ×{n}' for op, n in summary.fused.items()) or 'nothing'}",
    ]
    for i, group in enumerate(summary.not_fused):
        head = "  not fused  " if i == 0 else "             "
        if group["enable"]:
            ops = ", ".join(f"{n} {op}" for op, n in group["ops"].items())
            lines.append(f"{head}{ops} {group['cause']}: add {group['enable']}")
        else:
            lines.append(f"{head}{group['count']} × {next(iter(group['ops']))}: {group['cause']}")
    return "\n".join(lines) + "\n"


def markdown(summary: Summary) -> str:
    b, a = summary.before, summary.after
    rows = [("nodes", b.nodes, a.nodes), ("opset", b.opset, a.opset), ("IR version", b.ir_version, a.ir_version),
            ("weight bytes", b.weight_bytes, a.weight_bytes), ("file bytes", b.file_bytes, a.file_bytes)]
    rows += [(op, b.ops.get(op, 0), a.ops.get(op, 0)) for op in sorted(set(b.ops) | set(a.ops))]
    out = [f"**{summary.input} → {summary.output}** (pipeline `{summary.pipeline}`, {summary.seconds:.2f} s)", "",
           "| | before | after |", "| --- | ---: | ---: |"] + [f"| {k} | {x} | {y} |" for k, x, y in rows]
    out += ["", "fused: " + (", ".join(f"{op} ×{n}" for op, n in summary.fused.items()) or "nothing")]
    out += [f"- not fused: {g['count']} ({', '.join(g['ops'])}): {g['cause']}" + (f" — add `{g['enable']}`" if g["enable"] else "")
            for g in summary.not_fused]
    return "\n".join(out) + "\n"


RENDER = {"table": text, "md": markdown, "json": Summary.as_json}
