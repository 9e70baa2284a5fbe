#!/usr/bin/env python3
"""Generate ``onnxforge/dialects/onnx/generated.py`` from the installed ``onnx.defs`` schemas.

One op class per operator *signature*: the newest signature of an operator is
``onnx.<Op>``; an older opset whose inputs, outputs or attributes differ (e.g.
Squeeze before 13, with ``axes`` as an attribute) gets its own class
``onnx.<Op>_v<since>`` so that an imported node's operands always mean what
their names say. An operator with several signatures also gets a *family* class
``<Op>Family`` that every one of its op classes derives from, so a rewrite that
holds for every opset form roots on the family instead of listing versions.
Only structure and effects are generated (every op is ``Pure`` but the random
ops and Dropout, whose effect traits live in ``effects.py``); behaviour
(canonicalization, shape rules, verifiers) lives beside it, keyed by class.

    python tools/gen_onnx_dialect.py           # rewrite the committed file
    python tools/gen_onnx_dialect.py --check   # exit 1 if it drifted from the schemas
"""

from __future__ import annotations

import argparse
import keyword
import sys
import textwrap
from collections import defaultdict
from pathlib import Path

import onnx
from onnx.defs import OpSchema, get_all_schemas_with_history

TARGET = Path(__file__).resolve().parent.parent / "onnxforge" / "dialects" / "onnx" / "generated.py"
DOMAINS = {"": "", "ai.onnx.ml": "ml."}
"""Domains with generated ops, and their op-name prefix inside the onnx dialect."""

_ARITY = {
    OpSchema.FormalParameterOption.Single: "SINGLE",
    OpSchema.FormalParameterOption.Optional: "OPTIONAL",
    OpSchema.FormalParameterOption.Variadic: "VARIADIC",
}
RANDOM_OPS = frozenset({"RandomNormal", "RandomUniform", "RandomNormalLike", "RandomUniformLike", "Multinomial",
                        "Bernoulli"})
"""Each run draws new values: they may be dropped when unused but never merged (``effects.RandomDraw``)."""
EFFECTS = {**dict.fromkeys(RANDOM_OPS, "RandomDraw()"), "Dropout": "DropoutEffects()"}
"""Op types whose effect trait is not ``Pure()``."""
_RESERVED = {"name", "SIGNATURE", "irdl_options", "traits", "assembly_format"} | {
    n for n in dir(__import__("xdsl.irdl", fromlist=["IRDLOperation"]).IRDLOperation) if not n.startswith("__")
}


def signature_key(schema: OpSchema) -> tuple:
    return (
        tuple((p.name, _ARITY[p.option]) for p in schema.inputs),
        tuple((p.name, _ARITY[p.option]) for p in schema.outputs),
        tuple((a.name, int(a.type), bool(a.required)) for a in sorted(schema.attributes.values(), key=lambda a: a.name)),
    )


def grouped_schemas() -> list[tuple[str, str, list[list[OpSchema]]]]:
    """(domain, op type, groups of consecutive versions sharing one signature), oldest group first."""
    by_op: dict[tuple[str, str], list[OpSchema]] = defaultdict(list)
    for schema in get_all_schemas_with_history():
        if schema.domain in DOMAINS:
            by_op[(schema.domain, schema.name)].append(schema)
    result = []
    for (domain, op_type), schemas in sorted(by_op.items()):
        schemas.sort(key=lambda s: s.since_version)
        groups: list[list[OpSchema]] = []
        for schema in schemas:
            if groups and signature_key(groups[-1][-1]) == signature_key(schema):
                groups[-1].append(schema)
            else:
                groups.append([schema])
        result.append((domain, op_type, groups))
    return result


def _identifier(name: str, used: set[str], suffix: str) -> str:
    ident = "".join(c if c.isalnum() or c == "_" else "_" for c in name) or "_"
    if ident[0].isdigit():
        ident = "_" + ident
    if keyword.iskeyword(ident) or ident in _RESERVED or ident in used:
        ident += suffix
    while ident in used:
        ident += "_"
    used.add(ident)
    return ident


def _summary(doc: str | None) -> str:
    text = " ".join((doc or "").strip().split("\n\n")[0].split())
    if len(text) > 400:
        text = text[:397].rsplit(" ", 1)[0] + "..."
    return text.replace("\\", "\\\\").replace('"""', "'''")


def family_name(domain: str, op_type: str) -> str:
    return ("Ml" if DOMAINS[domain] else "") + op_type + "Family"


def render_family(domain: str, op_type: str, groups: list[list[OpSchema]]) -> str:
    versions = ", ".join(f"{g[0].since_version}" for g in groups)
    where = f" (domain ``{domain}``)" if domain else ""
    return (f"class {family_name(domain, op_type)}(OnnxOp):\n"
            f'    """Every opset form of ONNX ``{op_type}``{where} (signatures since {versions}): '
            'what holds for all of them roots here."""')


def render_class(domain: str, op_type: str, group: list[OpSchema], newest: bool, family: str | None) -> str:
    first, last = group[0], group[-1]
    versioned = "" if newest else f"_v{first.since_version}"
    prefix = DOMAINS[domain]
    class_name = ("Ml" if prefix else "") + op_type + (f"V{first.since_version}" if not newest else "") + "Op"
    versions = ", ".join(str(s.since_version) for s in group)
    doc = _summary(last.doc)
    lines = [
        "@irdl_op_definition",
        f"class {class_name}({family or 'OnnxOp'}):",
        '    """' + (doc + "\n\n    " if doc else ""),
    ]
    lines[-1] = lines[-1].rstrip()
    head = f"    ONNX ``{op_type}``" + (f" (domain ``{domain}``)" if domain else "") + f", opset versions {versions}."
    if doc:
        wrapped = textwrap.fill(doc, width=88, initial_indent="    ", subsequent_indent="    ")
        lines[-1] = '    """' + wrapped.lstrip()
        lines.append("")
        lines.append(head)
    else:
        lines[-1] = '    """' + head.lstrip()
    if last.deprecated:
        lines.append("    Deprecated in this opset range.")
    lines.append('    """')
    lines.append("")
    lines.append(f'    name = "onnx.{prefix}{op_type}{versioned}"')
    params_in = ", ".join(f'Param("{p.name}", Arity.{_ARITY[p.option]})' for p in first.inputs)
    params_out = ", ".join(f'Param("{p.name}", Arity.{_ARITY[p.option]})' for p in first.outputs)
    attrs = sorted(first.attributes.values(), key=lambda a: a.name)
    attr_specs = ", ".join(
        f'AttrSpec("{a.name}", AttrKind.{onnx.AttributeProto.AttributeType.Name(a.type)}, {bool(a.required)})'
        for a in attrs
    )
    lines.append(
        f'    SIGNATURE: ClassVar[Signature] = Signature("{domain}", "{op_type}", ({versions}{"," if len(group) == 1 else ""}), ({params_in}{"," if len(first.inputs) == 1 else ""}), '
        f'({params_out}{"," if len(first.outputs) == 1 else ""}), ({attr_specs}{"," if len(attrs) == 1 else ""}))'
    )
    used: set[str] = set()
    for param in first.inputs:
        kind = "var_operand_def" if _ARITY[param.option] == "VARIADIC" else "operand_def"
        lines.append(f"    {_identifier(param.name, used, '_in')} = {kind}()")
    for param in first.outputs:
        kind = "var_result_def" if _ARITY[param.option] == "VARIADIC" else "result_def"
        lines.append(f"    {_identifier(param.name, used, '_out')} = {kind}()")
    for attr in attrs:
        ident = _identifier(attr.name, used, "_attr")
        kind_name = onnx.AttributeProto.AttributeType.Name(attr.type)
        if kind_name == "GRAPH":
            lines.append(f"    {ident} = {'region_def' if attr.required else 'opt_region_def'}()")
        else:
            definer = "prop_def" if attr.required else "opt_prop_def"
            lines.append(f'    {ident} = {definer}(PROPERTY_CONSTRAINTS[AttrKind.{kind_name}], prop_name="{attr.name}")')
    traits = [EFFECTS.get(op_type, "Pure()") if not domain else "Pure()"]
    if any(onnx.AttributeProto.AttributeType.Name(a.type) == "GRAPH" for a in attrs):
        traits.insert(0, "NoTerminator()")  # each region holds one onnx.graph
    lines.append(f"    traits = traits_def({', '.join(traits)})")
    return "\n".join(lines)


def render() -> str:
    classes, names = [], []
    families = []
    for domain, op_type, groups in grouped_schemas():
        family = family_name(domain, op_type) if len(groups) > 1 else None
        if family is not None:
            classes.append(render_family(domain, op_type, groups))
            families.append(family)
        for index, group in enumerate(groups):
            text = render_class(domain, op_type, group, newest=index == len(groups) - 1, family=family)
            classes.append(text)
            names.append(text.split("class ", 1)[1].split("(", 1)[0])
    header = f'''# Generated by tools/gen_onnx_dialect.py from onnx {onnx.__version__} schemas: do not edit.
# Regenerate with `python tools/gen_onnx_dialect.py`; `--check` fails when this file drifts.
"""The ONNX operators as xDSL ops: structure only (operands, results, properties, regions)."""

# ruff: noqa

from typing import ClassVar

from xdsl.irdl import (
    irdl_op_definition,
    operand_def,
    opt_prop_def,
    opt_region_def,
    prop_def,
    region_def,
    result_def,
    traits_def,
    var_operand_def,
    var_result_def,
)

from xdsl.traits import NoTerminator, Pure

from onnxforge.dialects.onnx.base import PROPERTY_CONSTRAINTS, Arity, AttrKind, AttrSpec, OnnxOp, Param, Signature
from onnxforge.dialects.onnx.effects import DropoutEffects, RandomDraw
'''
    listing = "GENERATED_OPS: tuple[type[OnnxOp], ...] = (\n" + "".join(f"    {n},\n" for n in names) + ")\n"
    listing += "FAMILIES: tuple[type[OnnxOp], ...] = (\n" + "".join(f"    {n},\n" for n in families) + ")\n"
    return header + "\n\n" + "\n\n\n".join(classes) + "\n\n\n" + listing


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="fail if the committed file differs from the schemas")
    parser.add_argument("--output", type=Path, default=TARGET)
    args = parser.parse_args()
    text = render()
    if args.check:
        current = args.output.read_text() if args.output.exists() else ""
        if current != text:
            print(f"{args.output}: out of date with onnx {onnx.__version__}; run tools/gen_onnx_dialect.py", file=sys.stderr)
            return 1
        print(f"{args.output}: up to date with onnx {onnx.__version__}")
        return 0
    args.output.write_text(text)
    print(f"wrote {args.output} ({text.count('@irdl_op_definition')} ops)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
