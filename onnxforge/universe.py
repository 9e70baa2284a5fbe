"""The ``xdsl.universe`` entry point: lets plain ``xdsl-opt`` read our IR and run our passes.

Dialects and passes are named here and imported on first use, so ``xdsl-opt``
pays for what a run uses: ``xdsl-opt -p 'nn-fuse-attention{target=ort}'``.
"""

from xdsl.universe import Universe


def _onnx_dialect():  # type: ignore[no-untyped-def]
    from onnxforge.dialects.onnx import ONNX

    return ONNX


def _nn_dialect():  # type: ignore[no-untyped-def]
    from onnxforge.dialects.nn import NN

    return NN


def _cost_dialect():  # type: ignore[no-untyped-def]
    from onnxforge.dialects.cost import COST

    return COST


def _passes() -> dict:  # type: ignore[type-arg]
    from onnxforge.passes import BUILTIN, get_pass

    return {name: (lambda name=name: get_pass(name)) for names in BUILTIN.values() for name in names}


UNIVERSE = Universe(all_dialects={"onnx": _onnx_dialect, "nn": _nn_dialect, "cost": _cost_dialect}, all_passes=_passes())
