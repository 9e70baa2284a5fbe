"""Code lines of Python files: lines holding code, not blank, comment or docstring lines.

    python tools/code_lines.py onnxforge/transforms/nn_fuse_*.py

The measure behind "the smallest complete fusion is about 40-50 lines": docstrings say why,
and do not count against a module's size.
"""

from __future__ import annotations

import ast
import io
import sys
import tokenize
from pathlib import Path

_LAYOUT = (tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT, tokenize.ENDMARKER)


def _docstring_lines(tree: ast.AST) -> set[int]:
    """Lines of string statements: module, class and function docstrings, and attribute docstrings."""
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
            lines.update(range(node.lineno, (node.end_lineno or node.lineno) + 1))
    return lines


def code_lines(path: Path) -> int:
    source = path.read_text()
    docs = _docstring_lines(ast.parse(source))
    lines: set[int] = set()
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type not in _LAYOUT:
            lines.update(line for line in range(token.start[0], token.end[0] + 1) if line not in docs)
    return len(lines)


def main(paths: list[str]) -> int:
    for path in paths:
        print(f"{code_lines(Path(path)):5d}  {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
