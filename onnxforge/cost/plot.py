"""The roofline plot: every kernel placed by arithmetic intensity and attained throughput.

x is FLOPs per byte moved, y the FLOP/s a kernel attains in the estimate
(its FLOPs over its estimated time, overhead included, so overhead-bound
kernels sit far below the roofs); marker area is proportional to the
kernel's time, colour is its op class. Dashed lines are the target's peak
roofs (each precision the kernels use, and peak bandwidth); the solid line is
the attained bandwidth (``bandwidth · bandwidth_efficiency``). Kernels without
FLOPs (pure data movement) cannot sit on a log axis and are counted in the
caption instead.

SVG is written without any dependency; PNG needs matplotlib (the ``plot``
extra: ``pip install onnxforge[plot]``).
"""

from __future__ import annotations

import math
from pathlib import Path
from xml.sax.saxutils import escape

from onnxforge.cost.model import CostReport, Estimate
from onnxforge.dialects.cost import OP_CLASSES
from onnxforge.errors import ForgeError

COLORS = dict(zip(OP_CLASSES, ("#1f77b4", "#ff7f0e", "#d62728", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f")))
WIDTH, HEIGHT = 860, 560
LEFT, RIGHT, TOP, BOTTOM = 80, 190, 50, 60


def _placed(report: CostReport) -> list[Estimate]:
    return [e for e in report.estimates if e.kernel.flops > 0 and e.kernel.bytes > 0 and e.seconds > 0]


def _ranges(report: CostReport, placed: list[Estimate]) -> tuple[float, float, float, float]:
    target = report.target
    intensities = [e.kernel.intensity for e in placed] or [1.0]
    ridges = [p / target.bandwidth for p in target.peak_flops.values()]
    x0 = 10 ** math.floor(math.log10(max(1e-3, min(intensities + ridges) / 2)))
    x1 = 10 ** math.ceil(math.log10(max(intensities + ridges) * 2))
    ys = [e.attained_flops for e in placed] or [1e9]
    y0 = 10 ** math.floor(math.log10(max(1.0, min(ys) / 2)))
    y1 = 10 ** math.ceil(math.log10(max(target.peak_flops.values()) * 1.5))
    return x0, x1, y0, y1


def _precisions(report: CostReport) -> list[str]:
    used = {e.precision for e in report.estimates if e.kernel.flops > 0}
    return [p for p in report.target.peak_flops if p in used] or [next(iter(report.target.peak_flops))]


def write_plot(report: CostReport, path: str | Path) -> Path:
    """Write the roofline plot as SVG (built in) or PNG (matplotlib), chosen by the file suffix."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".svg":
        path.write_text(roofline_svg(report))
    elif suffix == ".png":
        _png(report, path)
    else:
        raise ForgeError(f"--plot: {path.name}: give a .svg or .png file")
    return path


def roofline_svg(report: CostReport) -> str:
    placed = _placed(report)
    x0, x1, y0, y1 = _ranges(report, placed)
    target = report.target
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def sx(x: float) -> float:
        return LEFT + plot_w * (math.log10(x) - math.log10(x0)) / (math.log10(x1) - math.log10(x0))

    def sy(y: float) -> float:
        y = min(max(y, y0), y1)
        return TOP + plot_h * (1 - (math.log10(y) - math.log10(y0)) / (math.log10(y1) - math.log10(y0)))

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" font-family="sans-serif" font-size="11">',
           f'<rect width="{WIDTH}" height="{HEIGHT}" fill="white"/>',
           f'<text x="{LEFT}" y="22" font-size="14">{escape(_title(report))}</text>',
           f'<rect x="{LEFT}" y="{TOP}" width="{plot_w}" height="{plot_h}" fill="none" stroke="#333"/>']
    for exponent in range(round(math.log10(x0)), round(math.log10(x1)) + 1):
        x = sx(10.0 ** exponent)
        out.append(f'<line x1="{x:.1f}" y1="{TOP}" x2="{x:.1f}" y2="{TOP + plot_h}" stroke="#eee"/>')
        out.append(f'<text x="{x:.1f}" y="{TOP + plot_h + 16}" text-anchor="middle">1e{exponent}</text>')
    for exponent in range(round(math.log10(y0)), round(math.log10(y1)) + 1):
        y = sy(10.0 ** exponent)
        out.append(f'<line x1="{LEFT}" y1="{y:.1f}" x2="{LEFT + plot_w}" y2="{y:.1f}" stroke="#eee"/>')
        out.append(f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">1e{exponent}</text>')
    out.append(f'<text x="{LEFT + plot_w / 2}" y="{HEIGHT - 18}" text-anchor="middle">arithmetic intensity (FLOP/byte)</text>')
    out.append(f'<text transform="translate(18 {TOP + plot_h / 2}) rotate(-90)" text-anchor="middle">attained FLOP/s</text>')
    for bandwidth, dash in ((target.bandwidth, "6 4"), (target.memory_rate, "")):
        for precision in _precisions(report):
            peak = target.peak_flops[precision]
            ridge = peak / bandwidth
            points = [(x0, bandwidth * x0), (min(ridge, x1), min(peak, bandwidth * x1))]
            if ridge < x1:
                points.append((x1, peak))
            path = " ".join(f"{sx(x):.1f},{sy(y):.1f}" for x, y in points)
            out.append(f'<polyline points="{path}" fill="none" stroke="#555" stroke-dasharray="{dash}"/>')
            if dash:
                out.append(f'<text x="{LEFT + plot_w - 4}" y="{sy(peak) - 4:.1f}" text-anchor="end" fill="#555">'
                           f'{precision} peak {peak / 1e12:.3g} TFLOP/s</text>')
    total = report.total_s or 1.0
    for e in sorted(placed, key=lambda e: -e.seconds):
        radius = 2.5 + 30 * math.sqrt(e.seconds / total)
        tip = f"{e.kernel.op} {e.kernel.module} {e.ms:.4f} ms ({e.bound}-bound)"
        out.append(f'<circle cx="{sx(e.kernel.intensity):.1f}" cy="{sy(e.attained_flops):.1f}" r="{radius:.1f}" '
                   f'fill="{COLORS.get(e.kernel.op_class, "#000")}" fill-opacity="0.55" stroke="#222" stroke-width="0.5">'
                   f'<title>{escape(tip)}</title></circle>')
    legend_x, row = LEFT + plot_w + 16, 0
    for cls in OP_CLASSES:
        ms = sum(e.ms for e in report.estimates if e.kernel.op_class == cls)
        if not ms:
            continue
        y, row = TOP + 10 + 18 * row, row + 1
        out.append(f'<circle cx="{legend_x}" cy="{y}" r="5" fill="{COLORS[cls]}"/>')
        out.append(f'<text x="{legend_x + 10}" y="{y + 4}">{cls} ({ms:.2f} ms)</text>')
    for label, bandwidth, dash in (("peak", target.bandwidth, "6 4"), ("attained", target.memory_rate, "")):
        y, row = TOP + 20 + 18 * row, row + 1
        out.append(f'<line x1="{legend_x - 6}" y1="{y}" x2="{legend_x + 6}" y2="{y}" stroke="#555" '
                   f'stroke-dasharray="{dash}"/>')
        out.append(f'<text x="{legend_x + 10}" y="{y + 4}">{label} {bandwidth / 1e9:.4g} GB/s</text>')
    out.append(f'<text x="{LEFT}" y="{HEIGHT - 4}" fill="#555">{escape(_caption(report, placed))}</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"


def _title(report: CostReport) -> str:
    return f"{report.label or 'model'} on {report.target.name} ({report.execution}): {report.total_ms:.3f} ms"


def _caption(report: CostReport, placed: list[Estimate]) -> str:
    missing = len(report.estimates) - len(placed)
    ms = sum(e.ms for e in report.estimates if e not in placed)
    return (f"{len(placed)} kernels placed; {missing} without FLOPs not shown ({ms:.3f} ms); "
            "marker area ~ time; y includes per-kernel overhead")


def _png(report: CostReport, path: Path) -> None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise ForgeError("--plot: PNG needs matplotlib (pip install 'onnxforge[plot]'); an .svg needs nothing") from None
    placed = _placed(report)
    x0, x1, y0, y1 = _ranges(report, placed)
    target = report.target
    fig, ax = plt.subplots(figsize=(9, 6))
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    for precision in _precisions(report):
        peak = target.peak_flops[precision]
        for bandwidth, style in ((target.bandwidth, "--"), (target.memory_rate, "-")):
            ridge = peak / bandwidth
            xs = [x0, min(ridge, x1), x1]
            ax.plot(xs, [min(peak, bandwidth * x) for x in xs], style, color="#555", linewidth=1)
        ax.annotate(f"{precision} peak {peak / 1e12:.3g} TFLOP/s", (x1, peak), ha="right", va="bottom", fontsize=8)
    total = report.total_s or 1.0
    for cls in OP_CLASSES:
        chosen = [e for e in placed if e.kernel.op_class == cls]
        if chosen:
            ax.scatter([e.kernel.intensity for e in chosen], [e.attained_flops for e in chosen],
                       s=[6 + 3000 * e.seconds / total for e in chosen], color=COLORS[cls], alpha=0.55,
                       edgecolors="#222", linewidths=0.5, label=cls)
    ax.set_xlabel("arithmetic intensity (FLOP/byte)")
    ax.set_ylabel("attained FLOP/s")
    ax.set_title(_title(report), fontsize=10)
    ax.legend(fontsize=8, loc="lower right")
    fig.text(0.01, 0.01, _caption(report, placed), fontsize=7, color="#555")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
