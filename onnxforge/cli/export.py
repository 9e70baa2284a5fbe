"""``forgec export FACTORY -o OUT.onnx``: a PyTorch model that a Python factory builds, exported with every
node tagged with its module (``onnxforge.export``; needs the ``models`` extra).

    forgec export mypkg.models:make_model -o model.onnx
    forgec export ./build.py:tiny_bert -o bert.onnx --pipeline=transformer --target=ort --verify
    forgec export mypkg.models:make_model -o m.onnx --require-coverage=100 --report=json

FACTORY is ``module.path:callable`` or ``file.py:callable`` (the file's folder is put on ``sys.path``).
The callable takes no arguments and returns ``(module, args)``, ``(module, args, kwargs)`` or a dict
with ``module``, ``args``, ``kwargs`` and ``dynamic_shapes`` (torch.export's). Errors are one
``forgec: error:`` line and exit 1; nothing is written then.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import json
import sys
from pathlib import Path
from typing import Any

from onnxforge.cli.command import run, subcommand_argv
from onnxforge.errors import ForgeError
from onnxforge.frontend.torch_export import EXPORTERS
from onnxforge.targets import TARGET_KINDS


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="forgec export", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("factory", metavar="FACTORY", help="module.path:callable or file.py:callable")
    parser.add_argument("-o", "--output", type=Path, required=True, help="the .onnx file to write")
    parser.add_argument("--exporter", choices=EXPORTERS, default="auto",
                        help="auto (default): dynamo, TorchScript when torch.export cannot capture the model")
    parser.add_argument("--pipeline", default="auto", help="forgec pipeline run on the tagged export (none: as exported)")
    parser.add_argument("--target", choices=list(TARGET_KINDS), default="standard")
    parser.add_argument("--opset", type=int, metavar="N", help="the exporter's opset")
    parser.add_argument("--verify", action="store_true", help="compare onnxruntime with PyTorch on the example inputs")
    parser.add_argument("--require-coverage", type=float, metavar="PCT",
                        help="fail unless at least PCT %% of the nodes carry a module tag from the exporter itself")
    parser.add_argument("--report", choices=["text", "json"], default="text", help="report on stderr (json: stdout)")
    parser.add_argument("--debug", action="store_true", help="show tracebacks of internal errors")
    return parser


def load_factory(spec: str) -> Any:
    """The callable named by ``module.path:callable`` or ``file.py:callable``."""
    target, sep, name = spec.rpartition(":")
    if not sep or not target or not name.isidentifier():
        raise ForgeError(f"{spec}: give FACTORY as module.path:callable or file.py:callable")
    if target.endswith(".py"):
        path = Path(target)
        if not path.is_file():
            raise ForgeError(f"{target}: no such file")
        sys.path.insert(0, str(path.resolve().parent))
        module_spec = importlib.util.spec_from_file_location(path.stem, path)
        if module_spec is None or module_spec.loader is None:
            raise ForgeError(f"{target}: cannot be imported")
        module = importlib.util.module_from_spec(module_spec)
        sys.modules[path.stem] = module
        module_spec.loader.exec_module(module)
    else:
        try:
            module = importlib.import_module(target)
        except ImportError as err:
            raise ForgeError(f"{spec}: cannot import {target}: {err}") from err
    factory = getattr(module, name, None)
    if not callable(factory):
        raise ForgeError(f"{spec}: {target} has no callable {name!r}")
    return factory


def _unpack(made: Any, spec: str) -> tuple[Any, tuple, dict, Any]:  # type: ignore[type-arg]
    if isinstance(made, dict):
        if "module" not in made:
            raise ForgeError(f"{spec}: the dict it returned has no 'module'")
        args = made.get("args", ())
        return made["module"], tuple(args) if isinstance(args, (tuple, list)) else (args,), \
            dict(made.get("kwargs") or {}), made.get("dynamic_shapes")
    if isinstance(made, tuple) and len(made) in (2, 3):
        args = made[1] if isinstance(made[1], (tuple, list)) else (made[1],)
        return made[0], tuple(args), dict(made[2]) if len(made) == 3 else {}, None
    raise ForgeError(f"{spec}: return (module, args), (module, args, kwargs) or a dict with 'module'")


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(subcommand_argv(argv, "export"))
    return run(lambda: _main(args), args.debug)


def _main(args: argparse.Namespace) -> int:
    if args.output.exists() and args.output.is_dir():
        raise ForgeError(f"{args.output}: is a directory")
    try:
        import torch
    except ImportError as err:
        raise ForgeError("forgec export needs PyTorch: pip install 'onnxforge[models]'") from err
    from onnxforge.frontend.torch_export import export

    made = load_factory(args.factory)()
    module, inputs, kwargs, dynamic_shapes = _unpack(made, args.factory)
    if not isinstance(module, torch.nn.Module):
        raise ForgeError(f"{args.factory}: returned a {type(module).__name__}, not a torch.nn.Module")
    report = export(module, inputs, args.output, kwargs=kwargs, dynamic_shapes=dynamic_shapes,
                    exporter=args.exporter, pipeline=None if args.pipeline == "none" else args.pipeline,
                    target=args.target, opset=args.opset, verify=args.verify)
    if args.report == "json":
        print(json.dumps(report.as_json(), indent=1))
    else:
        print(f"forgec: {report.summary()}", file=sys.stderr)
    from_exporter = report.coverage.by_source["exporter"] + report.coverage.by_source["functional"]
    share = 100.0 * from_exporter / report.coverage.total if report.coverage.total else 100.0
    if args.require_coverage is not None and share < args.require_coverage:
        args.output.unlink(missing_ok=True)
        raise ForgeError(f"{args.output}: {share:.1f} % of the nodes tagged by the exporter, under the "
                         f"required {args.require_coverage:g} % (inherited: {report.coverage.by_source['inherited']})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
