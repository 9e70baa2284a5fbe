"""How a ``forgec`` subcommand ends: one line on stderr for every way it can fail, and its exit status.

``forgec export``, ``extract`` and ``modules`` share it: a ``ForgeError`` (bad input, a refused
request) is ``forgec: error: …`` and exit 1; Ctrl-C is exit 130; a closed stdout (``| head``) ends
quietly; anything else is a bug of ours: one line and exit 70, the traceback with ``--debug``.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable

from onnxforge.errors import ForgeError

EXIT_ERROR, EXIT_INTERRUPTED, EXIT_INTERNAL = 1, 130, 70


def subcommand_argv(argv: list[str] | None, name: str) -> list[str]:
    """The subcommand's own arguments (forgec's table passes its name first)."""
    argv = sys.argv[1:] if argv is None else list(argv)
    return argv[1:] if argv[:1] == [name] else argv


def run(body: Callable[[], int], debug: bool) -> int:
    try:
        return body()
    except ForgeError as err:
        print(f"forgec: error: {err}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("forgec: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # output into ``head``: the reader has what it wanted
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # Python's advice: no second error at exit
        return EXIT_ERROR
    except Exception as err:  # a bug of ours: one line, the traceback with --debug
        if debug:
            raise
        print(f"forgec: internal error: {type(err).__name__}: {err} (rerun with --debug for a traceback)".splitlines()[0],
              file=sys.stderr)
        return EXIT_INTERNAL
