"""Random valid graphs: a seed → one ONNX model that the onnx checker and onnxruntime both accept.

Inputs get symbolic dims (``batch``, ``seq``, ``N``) most of the time, so the symbolic shape machinery is
exercised, and occasionally a fully static shape. Then a few recipes (``recipes.RECIPES``) grow the graph;
the outputs are the values nothing reads (up to four), so little of the graph is dead. A model that fails
the checker or that onnxruntime cannot load or run at typical dims is thrown away and the next sub-seed
tried: the generator's shape bookkeeping may be wrong, but a finding is only ever reported on a model both
tools accept.
"""

from __future__ import annotations

import numpy as np
import onnx
from onnx import ModelProto

from .builder import FLOAT, INT64, Builder
from .recipes import RECIPES

ATTEMPTS = 20


def _inputs(b: Builder) -> None:
    sym = b.rng.random() < 0.8
    batch = "batch" if sym else int(b.rng.choice([1, 2]))
    kind = int(b.rng.choice(4, p=[0.45, 0.15, 0.25, 0.15]))
    if kind == 0:  # a sequence of feature vectors
        b.input(FLOAT, (batch, "seq" if sym else 3, int(b.rng.choice([4, 8]))))
    elif kind == 1:
        b.input(FLOAT, (batch, int(b.rng.choice([4, 8]))))
    elif kind == 2:  # an image batch
        b.input(FLOAT, ("N" if sym else 1, int(b.rng.choice([2, 3])), int(b.rng.choice([5, 6])), 6))
    else:  # token ids
        b.input(INT64, (batch, "seq" if sym else 3))
    if b.rng.random() < 0.3:
        first = b.pool[0]
        b.input(first.dtype, first.shape)


def build(seed: int) -> ModelProto:
    """The valid model of ``seed`` (deterministic: the same seed gives the same bytes)."""
    for attempt in range(ATTEMPTS):
        model = _candidate(np.random.default_rng([seed, attempt]))
        if model is not None and valid(model):
            return model
    raise RuntimeError(f"seed {seed}: no valid graph in {ATTEMPTS} attempts")


def _candidate(rng: np.random.Generator) -> ModelProto | None:
    b = Builder(rng, int(rng.choice([17, 18])))
    _inputs(b)
    names = list(RECIPES)
    weights = np.array([RECIPES[n][1] for n in names], dtype=np.float64)
    steps = int(rng.integers(2, 9))
    made = 0
    for _ in range(steps * 3):
        recipe = RECIPES[names[int(rng.choice(len(names), p=weights / weights.sum()))]][0]
        if recipe(b):
            made += 1
        if made == steps:
            break
    produced = [v for v in b.pool if not v.name.startswith("in_")]
    if not produced:
        return None
    read = {i for node in b.nodes for i in node.input}
    leaves = [v for v in produced if v.name not in read]  # every value nothing reads: the whole graph is live
    outputs = leaves[-4:] if leaves else [produced[-1]]
    return b.model(outputs)


def valid(model: ModelProto) -> bool:
    """The onnx checker (with strict shape inference) and one onnxruntime run at typical dims accept it."""
    from onnxforge.runtime import make_inputs, run

    try:
        onnx.checker.check_model(model, full_check=True)
        run(model, make_inputs(model, 0)[0], threads=1)
    except Exception:
        return False
    return True
