"""Describing an op before it exists, so that a rewrite can be checked before anything is built.

A ``Build`` holds what ``Op.create`` takes (class, operands, result types,
properties) and reads like the op it describes (``build.input``,
``build.epsilon``, ``build.output``). Its results are ``Pending`` values: later
builds may take them as operands, and the IR queries (``dims_of``, ``elem_of``,
``is_absent``) read their type as they read a real value's. A declined rewrite
just drops its builds: no op was made, so none reads the matched values.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence

from xdsl.ir import Attribute, SSAValue
from xdsl.irdl import IRDLOperation


class Pending:
    """A result of a ``Build``: what the IR queries read of a value (its type, its owner) before the op exists."""

    __slots__ = ("index", "owner", "type")
    uses = ()

    def __init__(self, owner: Build, index: int, type_: Attribute) -> None:
        self.owner, self.index, self.type = owner, index, type_


Value = SSAValue | Pending


@functools.cache
def _fields(op: type[IRDLOperation]) -> tuple[dict[str, int], dict[str, int], frozenset[str]]:
    definition = op.get_irdl_definition()
    return ({name: i for i, (name, _) in enumerate(definition.operands)},
            {name: i for i, (name, _) in enumerate(definition.results)},
            frozenset(definition.properties))


class Build:
    """An op to create: its class, operands, result types and properties, readable by field name like the op
    itself (``build.input``, ``build.epsilon``, ``build.output``), so a lowering's ``check`` reads either.

    ``name`` gives the new node a name of its own (else ``replace`` names it after the anchor).
    """

    def __init__(self, op: type[IRDLOperation], operands: Sequence[Value], result_types: Sequence[Attribute],
                 properties: Mapping[str, Attribute] | None = None, name: str | None = None) -> None:
        self.op = op
        self.operands = list(operands)
        self.properties = dict(properties or {})
        self.results = [Pending(self, i, t) for i, t in enumerate(result_types)]
        self.name = name

    def __getattr__(self, field: str) -> object:
        operands, results, properties = _fields(self.op)
        if field in operands:
            return self.operands[operands[field]]
        if field in results:
            return self.results[results[field]]
        if field in properties:
            return self.properties.get(field)
        raise AttributeError(f"{self.op.name} has no field {field!r}")


    def create(self, operands: Sequence[SSAValue]) -> IRDLOperation:
        """The op itself, over ``operands`` (the builds' own ones, made real)."""
        return self.op.create(operands=list(operands), result_types=[r.type for r in self.results],
                              properties=self.properties)
