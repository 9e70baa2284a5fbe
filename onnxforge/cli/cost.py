"""``forgec --cost=TARGET``: the estimated latency of a model on a target, before and after the pipeline.

    forgec MODEL.onnx --cost=orin-agx-50w                          # terminal report
    forgec MODEL.onnx --cost=orin-agx-50w --pipeline=transformer   # before / after and the saving
    forgec MODEL.onnx --cost=host --report=json                    # one JSON object on stdout
    forgec MODEL.onnx --cost=orin-agx-maxn --plot=roofline.svg     # roofline plot (.png needs matplotlib)
    forgec MODEL.onnx --emit=cost [--cost=TARGET]                  # the cost-dialect IR

``--dim NAME=VALUE`` binds symbolic dims (defaults: batch=1, sequence=128,
reported); ``--cost-execution`` overrides the target's execution model.
With ``-o OUT.onnx`` the optimised model is written as well.
"""

from __future__ import annotations

import argparse
import functools
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from onnxforge.errors import ForgeError

if TYPE_CHECKING:
    from xdsl.dialects.builtin import ModuleOp

REPORTS = ("table", "md", "json")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from onnxforge.cost.execution import EXECUTION_MODELS

    group = parser.add_argument_group("cost model (docs/cost-model.md)")
    group.add_argument("--cost", metavar="TARGET",
                       help="estimate the latency on TARGET (orin-agx-15w/30w/50w/maxn, host, or a target .json): "
                            "per kernel, module and op class; with a pipeline, before and after")
    group.add_argument("--report", choices=REPORTS, help="report format: terminal table (default), Markdown, JSON; the cost report with --cost, "
                            "else the run summary (on stdout, or in --report-file)")
    group.add_argument("--plot", type=Path, metavar="FILE.svg|FILE.png", help="write the roofline plot")
    group.add_argument("--cost-execution", choices=list(EXECUTION_MODELS),
                       help="execution model (default: the target's): eager = PyTorch eager kernels, "
                            "fused = one kernel per node / nn op, ort = onnxruntime CPU")
    group.add_argument("--cost-depth", type=int, metavar="N", help="module depth of the per-module report (default: auto)")
    group.add_argument("--cost-top", type=int, default=15, metavar="N", help="kernels listed in the report (default 15)")


def wanted(args: argparse.Namespace) -> bool:
    """Whether this forgec run costs the model (and so needs no -o)."""
    return args.cost is not None or args.emit == "cost"


def check(args: argparse.Namespace) -> None:
    """Reject cost options that cannot work, before any work is done."""
    if args.cost is None and (args.plot or args.cost_depth is not None):
        raise ForgeError("--plot and --cost-depth need --cost=TARGET")
    if args.cost is not None and args.emit == "ir" and args.output is None:
        raise ForgeError("--cost prints its report on stdout: give -o FILE for the IR of --emit=ir")
    if args.plot is not None and args.plot.suffix.lower() not in (".svg", ".png"):
        raise ForgeError(f"--plot: {args.plot.name}: give a .svg or .png file")
    if args.cost is not None:
        _target(args.cost)


@functools.lru_cache(maxsize=4)
def _target(name: str):  # type: ignore[no-untyped-def]
    from onnxforge.cost.hardware import load_target

    return load_target(name)


def _dims(args: argparse.Namespace) -> dict[str, int]:
    from onnxforge.cost.cost_annotate import parse_dims

    return parse_dims(",".join(args.dim))


def _changes_model(args: argparse.Namespace) -> bool:
    return bool(args.passes) or (args.passes is None and args.pipeline not in (None, "", "none"))


def _label(args: argparse.Namespace, source: Path, after: bool) -> str:
    if not after or not _changes_model(args):
        return source.name
    return f"{source.name} after {'--passes=' + args.passes if args.passes else '--pipeline=' + args.pipeline}"


def before(args: argparse.Namespace, module: ModuleOp, source: Path):  # type: ignore[no-untyped-def]
    """The report of the model as given, when a pipeline is about to change it (else None)."""
    if args.cost is None or args.emit == "cost" or not _changes_model(args):
        return None
    from onnxforge.cost.model import report_for

    return report_for(module, _target(args.cost), _dims(args), args.cost_execution, label=source.name)


def run(args: argparse.Namespace, module: ModuleOp, before_report, source: Path, output: Path | None) -> None:  # type: ignore[no-untyped-def]
    """Print the cost report (or write the cost IR for ``--emit=cost``) of the optimised module."""
    target = _target(args.cost) if args.cost is not None else None
    if args.emit == "cost":
        from onnxforge.cost.lower import lower_to_cost
        from onnxforge.ir.text import print_ir
        from onnxforge.onnxio.writer import write_text

        lower_to_cost(module, target, _dims(args), args.cost_execution)
        text = print_ir(module)
        if output is None:
            sys.stdout.write(text)
        else:
            write_text(output, text)
        return
    from onnxforge.cost.model import report_for
    from onnxforge.cost.report import render_markdown, render_table, to_json

    report = report_for(module, target, _dims(args), args.cost_execution, label=_label(args, source, after=True))
    kind = args.report or "table"
    if kind == "json":
        import json

        sys.stdout.write(json.dumps(to_json(report, args.cost_depth, before_report), indent=1) + "\n")
    elif kind == "md":
        sys.stdout.write(render_markdown(report, args.cost_depth, args.cost_top, before_report))
    else:
        sys.stdout.write(render_table(report, args.cost_depth, args.cost_top, before_report))
    if args.plot is not None:
        from onnxforge.cost.plot import write_plot

        written = write_plot(report, args.plot)
        print(f"forgec: wrote roofline plot {written}", file=sys.stderr)
