"""``forgec calibrate`` and ``forgec cost-validate``: measure this host, and score a target against measurements.

    forgec calibrate -o host.json [--quick]            micro-benchmarks -> a target file (execution "ort")
    forgec cost-validate --target orin-agx-50w --measured orin.csv --models benchmarks/models/tv
                         [--fit efficiency:conv,overhead_s] [-o fitted.json] [--report md|json]

``main(argv)`` takes the subcommand name first (``main(["calibrate", "-o", "host.json"])``);
``calibrate_main`` and ``validate_main`` take only their own arguments.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from onnxforge.errors import ForgeError


def _calibrate_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="forgec calibrate",
                                     description="Measure this host with onnxruntime micro-benchmarks and write a cost target.")
    parser.add_argument("-o", "--output", type=Path, required=True, help="target file to write (.json)")
    parser.add_argument("--name", default="host", help="target name (default host)")
    parser.add_argument("--quick", action="store_true", help="one small size per benchmark, few repeats (about a second)")
    parser.add_argument("--threads", type=int, default=2, help="onnxruntime intra-op threads (default 2)")
    parser.add_argument("--no-pin", action="store_true", help="do not pin the threads to cores")
    parser.add_argument("--repeats", type=int, help="timed runs per benchmark (default 20, quick 5)")
    return parser


def calibrate_main(argv: list[str] | None = None) -> int:
    from onnxforge.cost.calibrate import Protocol, calibrate, write

    args = _calibrate_parser().parse_args(argv)
    protocol = Protocol(threads=args.threads, pin=not args.no_pin, warmup=2 if args.quick else 3,
                        repeats=args.repeats or (5 if args.quick else 20), budget_s=1.0 if args.quick else 5.0)
    start = time.perf_counter()
    target, measurements = calibrate(args.quick, protocol, args.name)
    write(target, measurements, protocol, args.output)
    for m in measurements:
        rate = f"{m.flops_per_s / 1e9:8.1f} GFLOP/s" if m.flops else (f"{m.bytes_per_s / 1e9:8.1f} GB/s" if m.bytes else "")
        print(f"  {m.kind:9s} {m.name:34s} {m.seconds * 1e6:10.1f} µs {rate}")
    print(f"{target.summary()}\n  efficiency matmul {target.efficiency['matmul']:.3f}, conv {target.efficiency['conv']:.3f}, "
          f"bandwidth {target.bandwidth_efficiency:.3f}\n  protocol: {protocol.describe()}\n"
          f"wrote {args.output} in {time.perf_counter() - start:.1f} s")
    return 0


def _validate_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="forgec cost-validate",
        description="Score a cost target against measured latencies: prior, in-sample fit, and held-out "
                    "(leave-one-family-out) error per model.")
    parser.add_argument("--target", required=True, help="target name (orin-agx-50w, host) or .json file")
    parser.add_argument("--measured", required=True, type=Path,
                        help="CSV with model, family, meas_ms columns (optional path, meas_min_ms, meas_max_ms)")
    parser.add_argument("--models", type=Path, default=Path("."), help="directory of <model>.onnx (default .)")
    parser.add_argument("--execution", help="execution model (default: the target's)")
    parser.add_argument("--pipeline", help="pipeline to run on each model before costing (default none)")
    parser.add_argument("--dim", action="append", default=[], metavar="NAME=VALUE", help="bind a symbolic dim")
    parser.add_argument("--fit", metavar="PARAM,...",
                        help="constants to fit (efficiency:<class>, bandwidth_efficiency, overhead_s); "
                             "default: the classes that matter on the data, bandwidth efficiency, overhead")
    parser.add_argument("--prior-weight", type=float, help="pull toward the target's values (default 0.001)")
    parser.add_argument("-o", "--output", type=Path, help="write the target fitted on all models here")
    parser.add_argument("--report", choices=["md", "json"], default="md", help="print a Markdown table or JSON")
    return parser


def _dims(pairs: list[str]) -> dict[str, int]:
    dims = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not value.lstrip("-").isdigit():
            raise ForgeError(f"--dim {pair!r}: expected NAME=INTEGER")
        dims[name] = int(value)
    return dims


def validate_main(argv: list[str] | None = None) -> int:
    from onnxforge.cost.fit import DEFAULT_PRIOR_WEIGHT
    from onnxforge.cost.hardware import load_target, save_target
    from onnxforge.cost.validate import read_measurements, samples_for, validate

    args = _validate_parser().parse_args(argv)
    target = load_target(args.target)
    execution = args.execution or target.execution
    dims = _dims(args.dim)
    from onnxforge.compiler import load_ir

    samples = samples_for(read_measurements(args.measured), args.models, execution,
                          lambda path: load_ir(path, args.pipeline), dims or None)
    params = [p for p in args.fit.split(",") if p] if args.fit else None
    prior_weight = DEFAULT_PRIOR_WEIGHT if args.prior_weight is None else args.prior_weight
    conditions = {"measured": str(args.measured), "execution": execution, "dims": dims, "pipeline": args.pipeline,
                  "prior_weight": prior_weight}
    try:
        result = validate(samples, target, params, prior_weight, conditions)
    except ValueError as err:
        raise ForgeError(str(err)) from None
    if args.output:
        save_target(result.fitted.target, args.output)
    if args.report == "json":
        print(json.dumps(result.to_json(), indent=2))
    else:
        print(result.markdown(f"{target.name}: {len(samples)} models, execution {execution}"), end="")
    return 0


COMMANDS = {"calibrate": calibrate_main, "cost-validate": validate_main}


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] not in COMMANDS:
        print(f"usage: forgec {{{','.join(COMMANDS)}}} ...", file=sys.stderr)
        return 2
    try:
        return COMMANDS[argv[0]](argv[1:])
    except ForgeError as err:
        print(f"forgec {argv[0]}: error: {err}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
