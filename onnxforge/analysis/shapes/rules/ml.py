"""Classic-ML ops of ``ai.onnx.ml`` (skl2onnx, onnxmltools): the types and shapes of their results.

ONNX-ML semantics relied on: a classifier (TreeEnsembleClassifier, LinearClassifier, SVMClassifier)
returns the label per row — int64 when its class labels are integers (``classlabels_int64s`` /
``classlabels_ints``), strings otherwise — and a float score per row and class; a regressor
(TreeEnsembleRegressor, LinearRegressor, SVMRegressor) a float per row and target. Rows are the input's
first dim (a 1-D input is one row). Knowing the label's type lets a converter's ``Cast(label, int64)``
go (``onnx-canonicalize``).
"""

from __future__ import annotations

from onnx import TensorProto

from onnxforge.analysis.shapes.context import Ctx
from onnxforge.analysis.shapes.dims import Dim
from onnxforge.analysis.shapes.registry import rule
from onnxforge.analysis.shapes.rules.common import FLOAT, INT64

_INT_LABELS = ("classlabels_int64s", "classlabels_ints")
_STRING_LABELS = ("classlabels_strings",)


def _rows(ctx: Ctx) -> Dim | None:
    shape = ctx.shape(0)
    if shape is None:
        return None
    return shape[0] if len(shape) == 2 else 1 if len(shape) == 1 else None


@rule("ai.onnx.ml.TreeEnsembleClassifier", "ai.onnx.ml.LinearClassifier", "ai.onnx.ml.SVMClassifier")
def classifier(ctx: Ctx) -> None:
    """Label [rows] (int64 or string), scores [rows, ?] float (binary classifiers differ in score columns)."""
    props = ctx.op.properties
    elem = INT64 if any(n in props for n in _INT_LABELS) else TensorProto.STRING if any(
        n in props for n in _STRING_LABELS) else None
    rows = _rows(ctx)
    ctx.set(0, elem=elem, shape=None if rows is None else (rows,))
    ctx.set(1, elem=FLOAT, shape=None if rows is None else (rows, None))


@rule("ai.onnx.ml.TreeEnsembleRegressor", "ai.onnx.ml.LinearRegressor", "ai.onnx.ml.SVMRegressor")
def regressor(ctx: Ctx) -> None:
    """Values [rows, ?] float."""
    rows = _rows(ctx)
    ctx.set(0, elem=FLOAT, shape=None if rows is None else (rows, None))
