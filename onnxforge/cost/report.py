"""Cost reports: per kernel, per source module (at a chosen depth), per op class, before and after a pipeline.

Three renderings of the same numbers: a terminal table, Markdown, and JSON
(the machine-readable contract other tools rely on: one object with at least
``target``, ``total_ms`` and ``kernels``, each kernel with ``op``, ``module``,
``flops``, ``bytes``, ``bound`` and ``ms``). With a "before" report (the model
as imported, when a pipeline ran) every rendering adds the comparison: total,
kernel count, and per class and per module, the time saved.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from onnxforge.cost.model import CostReport, Estimate
from onnxforge.dialects.cost import BOUNDS
from onnxforge.ir.provenance import truncate

AUTO_DEPTH_GROUPS = 6
"""``depth=None`` picks the shallowest module depth with at least this many groups (and at most 60)."""


@dataclass
class Row:
    """Kernels aggregated under one key (a module path, an op class, an op)."""

    key: str
    kernels: int = 0
    flops: float = 0.0
    macs: float = 0.0
    bytes: float = 0.0
    seconds: float = 0.0
    bound_s: Counter[str] = field(default_factory=Counter)

    @property
    def ms(self) -> float:
        return self.seconds * 1e3

    def add(self, e: Estimate) -> None:
        self.kernels += 1
        self.flops += e.kernel.flops
        self.macs += e.kernel.macs
        self.bytes += e.kernel.bytes
        self.seconds += e.seconds
        self.bound_s[e.bound] += e.seconds

    @property
    def bound(self) -> str:
        """The roof that binds most of this row's time."""
        return self.bound_s.most_common(1)[0][0] if self.bound_s else ""


def aggregate(estimates: list[Estimate], key: Callable[[Estimate], str]) -> list[Row]:
    rows: dict[str, Row] = {}
    for e in estimates:
        k = key(e)
        rows.setdefault(k, Row(k)).add(e)
    return sorted(rows.values(), key=lambda r: -r.seconds)


def module_depth(report: CostReport, depth: int | None) -> int:
    """The depth to group modules at: as given, or the shallowest with enough distinct groups."""
    if depth is not None:
        return depth
    paths = {e.kernel.module for e in report.estimates}
    chosen = 1
    for d in range(1, 9):
        groups = len({truncate(p, d) for p in paths})
        if groups > 60:
            break
        chosen = d
        if groups >= AUTO_DEPTH_GROUPS:
            break
    return chosen


def by_module(report: CostReport, depth: int) -> list[Row]:
    return aggregate(report.estimates, lambda e: truncate(e.kernel.module, depth) or "(top level)")


def by_class(report: CostReport) -> list[Row]:
    return aggregate(report.estimates, lambda e: e.kernel.op_class)


def by_op(report: CostReport) -> list[Row]:
    return aggregate(report.estimates, lambda e: e.kernel.op)


def by_bound(report: CostReport) -> list[Row]:
    return aggregate(report.estimates, lambda e: e.bound)


# --- JSON ------------------------------------------------------------------------------------


def _row_json(row: Row) -> dict[str, Any]:
    return {"key": row.key, "kernels": row.kernels, "flops": row.flops, "macs": row.macs, "bytes": row.bytes,
            "ms": row.ms, "bound": row.bound}


def _kernel_json(e: Estimate) -> dict[str, Any]:
    k = e.kernel
    return {
        "name": k.name, "op": k.op, "op_class": k.op_class, "module": k.module,
        "flops": k.flops, "macs": k.macs, "bytes": k.bytes, "bytes_read": k.bytes_read,
        "bytes_written": k.bytes_written, "weight_bytes": k.weight_bytes, "intensity": k.intensity,
        "precision": e.precision, "bound": e.bound, "compute_ms": e.compute_s * 1e3, "memory_ms": e.memory_s * 1e3,
        "overhead_ms": e.overhead_s * 1e3, "ms": e.ms, "nodes": len(k.sources),
    }


def summary_json(report: CostReport, depth: int) -> dict[str, Any]:
    return {
        "model": report.label,
        "target": report.target.name,
        "execution": report.execution,
        "dims": report.dims,
        "assumed_dims": report.assumed,
        "total_ms": report.total_ms,
        "kernel_count": len(report.estimates),
        "flops": sum(k.flops for k in report.kernels),
        "macs": sum(k.macs for k in report.kernels),
        "bytes": sum(k.bytes for k in report.kernels),
        "bound_ms": {b: sum(e.ms for e in report.estimates if e.bound == b) for b in BOUNDS},
        "module_depth": depth,
        "by_class": [_row_json(r) for r in by_class(report)],
        "by_op": [_row_json(r) for r in by_op(report)],
        "by_module": [_row_json(r) for r in by_module(report, depth)],
        "kernels": [_kernel_json(e) for e in report.estimates],
        "notes": report.notes,
    }


def to_json(report: CostReport, depth: int | None = None, before: CostReport | None = None) -> dict[str, Any]:
    """The JSON object ``forgec --cost=T --report=json`` prints."""
    depth = module_depth(before or report, depth)
    data = summary_json(report, depth)
    data["target_spec"] = report.target.to_json()
    if before is not None:
        data["before"] = summary_json(before, depth)
        data["saving_ms"] = before.total_ms - report.total_ms
        data["saving_percent"] = 100 * (1 - report.total_ms / before.total_ms) if before.total_ms else 0.0
    return data


# --- text ------------------------------------------------------------------------------------


def _si(value: float, unit: str) -> str:
    for scale, prefix in ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= scale:
            return f"{value / scale:.3g} {prefix}{unit}"
    return f"{value:.3g} {unit}"


def _headline(report: CostReport) -> str:
    dims = ", ".join(f"{k}={v}" for k, v in sorted(report.dims.items())) or "static shapes"
    kernels = report.kernels
    return (f"{report.label or 'model'} on {report.target.name} (execution {report.execution}; {dims}): "
            f"{report.total_ms:.3f} ms, {len(kernels)} kernels, {_si(sum(k.flops for k in kernels), 'FLOP')}, "
            f"{_si(sum(k.macs for k in kernels), 'MAC')}, {_si(sum(k.bytes for k in kernels), 'B')} moved")


def _bounds_line(report: CostReport) -> str:
    parts = []
    for row in sorted(by_bound(report), key=lambda r: BOUNDS.index(r.key)):
        parts.append(f"{row.key} {row.kernels} kernels ({row.ms:.3f} ms)")
    return "bound: " + ", ".join(parts)


@dataclass
class _Table:
    headers: list[str]
    rows: list[list[str]]
    align: str  # one of "<>" per column

    def text(self) -> str:
        widths = [max(len(h), *(len(r[i]) for r in self.rows)) if self.rows else len(h) for i, h in enumerate(self.headers)]
        def line(cells: list[str]) -> str:
            return "  " + "  ".join(f"{c:{a}{w}}" for c, a, w in zip(cells, self.align, widths)).rstrip()
        return "\n".join([line(self.headers), *(line(r) for r in self.rows)])

    def markdown(self) -> str:
        sep = ["---:" if a == ">" else "---" for a in self.align]
        esc = [[c.replace("|", "\\|") for c in r] for r in self.rows]
        return "\n".join("| " + " | ".join(r) + " |" for r in [self.headers, sep, *esc])


def _rows_table(rows: list[Row], total_ms: float, title: str, before: dict[str, Row] | None = None) -> _Table:
    headers = [title, "kernels", "ms", "%", "GFLOP", "MB", "bound"]
    align = "<>>>>><"
    if before is not None:
        headers[2:2] = ["ms before"]
        headers += ["saved ms"]
        align = "<>>>>>><>"
    body = []
    for r in rows:
        cells = [r.key, str(r.kernels), f"{r.ms:.3f}", f"{100 * r.ms / total_ms:.1f}" if total_ms else "-",
                 f"{r.flops / 1e9:.3f}", f"{r.bytes / 1e6:.2f}", r.bound]
        if before is not None:
            b = before.get(r.key)
            cells[2:2] = [f"{b.ms:.3f}" if b else "-"]
            cells.append(f"{(b.ms if b else 0.0) - r.ms:.3f}")
        body.append(cells)
    if before is not None:  # groups that disappeared entirely
        for key, b in before.items():
            if key not in {r.key for r in rows}:
                body.append([key, "0", f"{b.ms:.3f}", "0.000", "0.0", "0.000", "0.00", "", f"{b.ms:.3f}"])
    return _Table(headers, body, align)


def _kernel_table(report: CostReport, top: int) -> _Table:
    chosen = sorted(report.estimates, key=lambda e: -e.seconds)[:top]
    body = [[f"{e.ms:.4f}", e.bound, e.precision, e.kernel.op, e.kernel.module or "-", f"{e.kernel.flops / 1e9:.4f}",
             f"{e.kernel.bytes / 1e6:.3f}", f"{e.kernel.intensity:.1f}"] for e in chosen]
    return _Table(["ms", "bound", "prec", "op", "module", "GFLOP", "MB", "FLOP/B"], body, "><<<<>>>")


def _sections(report: CostReport, depth: int | None, top: int, before: CostReport | None) -> list[tuple[str, str | _Table]]:
    depth = module_depth(before or report, depth)
    sections: list[tuple[str, str | _Table]] = []
    if before is not None:
        saved = before.total_ms - report.total_ms
        pct = 100 * saved / before.total_ms if before.total_ms else 0.0
        sections.append(("before / after", (
            f"before: {_headline(before)}\nafter:  {_headline(report)}\n"
            f"saving: {saved:.3f} ms ({pct:.1f} %), kernels {len(before.estimates)} -> {len(report.estimates)}")))
    else:
        sections.append(("total", _headline(report)))
    sections.append(("bounds", _bounds_line(report)))
    before_class = {r.key: r for r in by_class(before)} if before else None
    sections.append(("by op class", _rows_table(by_class(report), report.total_ms, "class", before_class)))
    sections.append((f"by op (top {top})", _rows_table(by_op(report)[:top], report.total_ms, "op")))
    before_module = {r.key: r for r in by_module(before, depth)} if before else None
    sections.append((f"by module (depth {depth})", _rows_table(by_module(report, depth), report.total_ms, "module", before_module)))
    sections.append((f"top {top} kernels", _kernel_table(report, top)))
    notes = list(dict.fromkeys([*(before.notes if before else []), *report.notes]))
    notes.append(f"target: {report.target.summary()}" + (f"; {report.target.calibrated}" if report.target.calibrated else
                                                           "; efficiencies uncalibrated"))
    sections.append(("notes", "\n".join(notes)))
    return sections


def render_table(report: CostReport, depth: int | None = None, top: int = 15, before: CostReport | None = None) -> str:
    out = []
    for title, body in _sections(report, depth, top, before):
        out.append(f"== {title} ==")
        out.append(body.text() if isinstance(body, _Table) else body)
    return "\n".join(out) + "\n"


def render_markdown(report: CostReport, depth: int | None = None, top: int = 15, before: CostReport | None = None) -> str:
    out = [f"# Estimated latency on {report.target.name}", ""]
    for title, body in _sections(report, depth, top, before):
        out.append(f"## {title[0].upper()}{title[1:]}")
        out.append("")
        if isinstance(body, _Table):
            out.append(body.markdown())
        else:
            out.extend(f"- {line}" for line in body.splitlines())
        out.append("")
    return "\n".join(out)
