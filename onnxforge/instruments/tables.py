"""Instrument output: tables for the terminal, Markdown and CSV; plain data for JSON.

Every instrument result has ``tables() -> list[Table]`` and ``to_json()``.
Numbers are formatted once here: small differences in scientific notation
(``3.1e-07``), other floats to four significant digits, absent values as
``-``. JSON keeps full precision; non-finite floats become the strings
``"inf"``/``"nan"`` (JSON has no such numbers).
"""

from __future__ import annotations

import csv
import dataclasses
import enum
import io
import json
import math
from dataclasses import dataclass, field
from pathlib import Path

FORMATS = ("text", "markdown", "csv", "json")


@dataclass
class Table:
    title: str
    columns: list[str]
    rows: list[list[object]]
    notes: list[str] = field(default_factory=list)


def cell(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            return str(value)
        if value == 0:
            return "0"
        if abs(value) < 1e-3 or abs(value) >= 1e6:
            return f"{value:.2e}"
        return f"{value:.4g}"
    return str(value)


def render(tables: list[Table], fmt: str) -> str:
    if fmt == "text":
        return "\n".join(_text(t) for t in tables)
    if fmt == "markdown":
        return "\n".join(_markdown(t) for t in tables)
    if fmt == "csv":
        return "\n".join(_csv(t) for t in tables)
    raise ValueError(f"unknown table format {fmt!r}")


def _text(table: Table) -> str:
    cells = [[cell(v) for v in row] for row in table.rows]
    widths = [max([len(c)] + [len(r[i]) for r in cells]) for i, c in enumerate(table.columns)]
    numeric = [_numeric_column(table, i) for i in range(len(table.columns))]

    def line(values: list[str]) -> str:
        parts = [v.rjust(w) if n else v.ljust(w) for v, w, n in zip(values, widths, numeric)]
        return "  ".join(parts).rstrip()

    out = [table.title, "=" * len(table.title), line(table.columns), line(["-" * w for w in widths])]
    out += [line(r) for r in cells]
    out += [f"note: {n}" for n in table.notes]
    return "\n".join(out) + "\n"


def _numeric(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _numeric_column(table: Table, index: int) -> bool:
    """Right-aligned: numbers (absent values allowed), at least one."""
    values = [row[index] for row in table.rows]
    return any(_numeric(v) for v in values) and all(v is None or _numeric(v) for v in values)


def _markdown(table: Table) -> str:
    def line(values: list[str]) -> str:
        return "| " + " | ".join(v.replace("|", "\\|") for v in values) + " |"

    aligns = ["---:" if _numeric_column(table, i) else "---" for i in range(len(table.columns))]
    out = [f"### {table.title}", "", line(table.columns), "|" + "|".join(aligns) + "|"]
    out += [line([cell(v) for v in row]) for row in table.rows]
    if table.notes:
        out += [""] + [f"*{n}*" for n in table.notes]
    return "\n".join(out) + "\n"


def _csv(table: Table) -> str:
    buffer = io.StringIO()
    buffer.write(f"# {table.title}\n")
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(table.columns)
    writer.writerows([["" if v is None else _plain(v) for v in row] for row in table.rows])
    return buffer.getvalue()


def _plain(value: object) -> object:
    """CSV cells keep full precision (``repr`` of floats), unlike the display formats."""
    return repr(value) if isinstance(value, float) else value


def jsonable(value: object) -> object:
    """Dataclasses, enums, paths, tuples and non-finite floats as plain JSON data."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        if hasattr(value, "to_json"):
            return jsonable(value.to_json())
        return {f.name: jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return value


def dumps(value: object) -> str:
    return json.dumps(jsonable(value), indent=2) + "\n"
