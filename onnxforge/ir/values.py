"""Small IR mutations xDSL keeps private, in one place so an xDSL upgrade touches one file."""

from __future__ import annotations

from xdsl.ir import Attribute, SSAValue


def set_type(value: SSAValue, new_type: Attribute) -> None:
    """Change a value's type in place.

    xDSL 0.74 has no public setter; its rewriter would make a new value and
    walk the use list, for no benefit when only the (more precise) type changes.
    """
    value._type = new_type
