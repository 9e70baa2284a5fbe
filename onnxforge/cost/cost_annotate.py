"""``cost-annotate``: lower onnx/nn IR into the ``cost`` dialect, with roofline estimates for a target.

The module's ``onnx.model`` becomes a ``cost.model`` of ``cost.kernel`` ops:
one per kernel the execution model launches (``onnxforge/cost/execution.py``),
each with its FLOPs, multiply-accumulates, bytes read/written, weight bytes,
arithmetic intensity, op class and source module; with ``target`` also the
precision, the time of each roof, the roof that binds and the estimated time,
and the model's total. Symbolic dims are bound from ``dims``
(``"batch=1,sequence=128"``), else from documented defaults (reported in
``cost.model``'s ``dims``).

It is a lowering: the result is no longer an ONNX graph (print it with
``--emit=ir``; ``forgec --emit=cost`` runs it for you). On IR that is
already ``cost`` (a second run, or a parsed dump) it only re-estimates the
kernels for ``target``, so a dump can be priced on another target. Nothing
it produces is executed, hence accuracy class 0.

    forgec model.onnx --passes='cost-annotate{target=orin-agx-50w execution=eager dims="batch=1,sequence=128"}' --emit=ir
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.dialects.builtin import ModuleOp

from onnxforge.errors import ForgeError
from onnxforge.passmanager import Accuracy, ForgePass, RunState


def parse_dims(text: str) -> dict[str, int]:
    """``"batch=1,sequence=128"`` → ``{"batch": 1, "sequence": 128}``."""
    dims: dict[str, int] = {}
    for item in (t.strip() for t in text.split(",")):
        if not item:
            continue
        name, _, value = item.partition("=")
        if not name or not value.strip().lstrip("-").isdigit():
            raise ForgeError(f"cost-annotate: dims expects NAME=INTEGER pairs, got {item!r}")
        dims[name.strip()] = int(value)
    return dims


@dataclass(frozen=True)
class CostAnnotatePass(ForgePass):
    name = "cost-annotate"
    summary = "lower to the cost dialect: kernels with FLOPs, bytes, roof and estimated time on a target"
    accuracy = Accuracy.LOSSLESS

    target: str = ""
    """Target name (``orin-agx-50w``, ``host``) or ``.json`` file; empty: counts only, no times."""
    execution: str = ""
    """``eager``, ``fused`` or ``ort``; empty: the target's (``fused`` without a target)."""
    dims: str = ""
    """Symbolic dim bindings, ``"batch=1,sequence=128"``."""

    def run(self, module: ModuleOp, state: RunState) -> None:
        from onnxforge.cost.hardware import load_target
        from onnxforge.cost.lower import lower_to_cost, retarget
        from onnxforge.dialects.cost import CostModelOp

        target = load_target(self.target) if self.target else None
        lowered = [op for op in module.ops if isinstance(op, CostModelOp)]
        if lowered:  # already cost IR (a second run, or a parsed dump): only (re)estimate
            for model in lowered:
                if self.execution and self.execution != model.execution.data:
                    raise ForgeError(f"cost-annotate: the IR was lowered with execution {model.execution.data!r}; "
                                     f"re-lower the ONNX model for {self.execution!r}")
                if target is not None and target.name != model.target.data:
                    retarget(model, target)
                    state.changed = True
            return
        model = lower_to_cost(module, target, parse_dims(self.dims), self.execution or None)
        state.statistics[f"{self.name}/kernels"] += len(model.kernels)
        state.changed = True
