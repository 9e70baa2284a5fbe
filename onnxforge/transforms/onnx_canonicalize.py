"""``onnx-canonicalize``: the onnx dialect's canonicalization patterns, to a fixed point.

Identities (Identity, inference Dropout, same-type Cast, identity Transpose,
one-input Concat, one-output Split, and Reshape/Expand/Squeeze/Unsqueeze/
Slice/Pad proved not to change the tensor), exact neutral elements, composed
Transposes, Reshape of a reshape, value-preserving Cast pairs, and convolution
padding made explicit. Each pattern lives in
``onnxforge/dialects/onnx/canonicalization.py`` with the identity it relies on,
and is attached to the op classes it roots on (for xDSL's ``canonicalize``); this
pass runs the same patterns on our pattern driver (statistics per pattern, the
rewrite budget, opt-bisect). Every pattern is bit-exact: accuracy class 0.
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.pattern_rewriter import RewritePattern

from onnxforge.dialects.onnx.canonicalization import canonicalization_patterns
from onnxforge.passmanager import Accuracy, PatternPass


@dataclass(frozen=True)
class CanonicalizePass(PatternPass):
    name = "onnx-canonicalize"
    summary = "local lossless rewrites the onnx ops carry: identities, neutral elements, transposes, reshapes, casts, padding"
    accuracy = Accuracy.LOSSLESS

    def patterns(self) -> list[RewritePattern]:
        return canonicalization_patterns()
