"""The xDSL context with every onnxforge dialect registered, and parsing textual IR in it."""

from __future__ import annotations

from pathlib import Path

from xdsl.context import Context
from xdsl.dialects.builtin import Builtin, ModuleOp
from xdsl.parser import Parser
from xdsl.utils.exceptions import ParseError, VerifyException

from onnxforge.dialects.cost import COST
from onnxforge.dialects.nn import NN
from onnxforge.dialects.onnx import ONNX
from onnxforge.errors import ForgeError


def make_context() -> Context:
    """A fresh context that knows builtin and all onnxforge dialects."""
    ctx = Context()
    ctx.load_dialect(Builtin)
    ctx.load_dialect(ONNX)
    ctx.load_dialect(NN)
    ctx.load_dialect(COST)
    return ctx


def read_ir_text(path: Path) -> str:
    """The text of an ``.mlir`` file; a missing file or bytes that are not UTF-8 are a ``ForgeError``."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ForgeError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise ForgeError(f"{path}: is a directory, not a textual IR file") from None
    except OSError as err:
        raise ForgeError(f"{path}: cannot read: {err.strerror}") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise ForgeError(f"{path}: not valid UTF-8 text (byte {err.start})") from None


def parse_ir(text: str, source: str = "<ir>") -> ModuleOp:
    """Textual IR (MLIR generic syntax) → a module; any problem is one ``ForgeError`` line naming the place.

    Besides xDSL's parse errors, building an attribute can raise while parsing (an ``i64`` literal
    out of range, a dimension too big for a shape), and deeply nested text exhausts Python's
    recursion limit (the parser is recursive descent): all of these are bad input, not crashes.
    """
    parser = Parser(make_context(), text, source)
    try:
        return parser.parse_module()
    except ParseError as err:
        lines = [line for line in str(err).strip().splitlines() if line.strip()]
        where, reason = lines[0], lines[-1].strip()
        raise ForgeError(f"{source}: cannot parse IR: {where}: {reason}" if reason != where else f"{source}: cannot parse IR: {where}") from None
    except RecursionError:
        problem = "nested too deeply"
    except (VerifyException, ValueError, OverflowError) as err:
        problem = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
    position = parser.pos
    line = text.count("\n", 0, position) + 1
    column = position - text.rfind("\n", 0, position)
    raise ForgeError(f"{source}: cannot parse IR: {source}:{line}:{column}: {problem}")
