"""The shape rules, one module per op family; importing this package registers them all."""

from onnxforge.analysis.shapes.rules import (  # noqa: F401
    conv,
    elementwise,
    indexing,
    matmul,
    misc,
    ml,
    nn,
    normalization,
    reduce,
    shape_ops,
)
