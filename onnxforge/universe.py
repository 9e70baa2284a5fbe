"""The ``xdsl.universe`` entry point: lets plain ``xdsl-opt`` read our IR and run our passes."""

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
    from onnxforge.passmanager.registry import all_passes

    return {name: (lambda p=p: p) for name, p in all_passes().items()}


UNIVERSE = Universe(all_dialects={"onnx": _onnx_dialect, "nn": _nn_dialect, "cost": _cost_dialect}, all_passes=_passes())
