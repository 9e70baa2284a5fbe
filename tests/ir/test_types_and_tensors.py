"""Value types and dense tensors print and parse back exactly; weights stay raw bytes."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from onnx import TensorProto
from xdsl.parser import Parser

from onnxforge.dialects.context import make_context
from onnxforge.ir.tensor import DenseAttr, TensorValue, printing_weights
from onnxforge.ir.types import ELEM_CODES, TensorType, tensor_type


def _round_trip(attr):  # type: ignore[no-untyped-def]
    text = str(attr)
    parsed = Parser(make_context(), text).parse_attribute()
    assert parsed == attr, text
    return text


dims = st.one_of(
    st.integers(0, 2**40),
    st.none(),
    st.sampled_from(["batch", "seq", "batch_size", "a b", "2*seq", "Addoutput_dim_1", "f32", "?", '"q"']),
)


@given(elem=st.sampled_from(sorted(ELEM_CODES.values())), shape=st.one_of(st.none(), st.lists(dims, max_size=5)))
def test_tensor_types_round_trip(elem: int, shape: list | None) -> None:  # type: ignore[type-arg]
    _round_trip(tensor_type(elem, None if shape is None else tuple(shape)))


def test_symbolic_dims_print_as_written() -> None:
    assert str(tensor_type(TensorProto.FLOAT, ("batch", "seq", 768))) == "!onnx.tensor<[batch, seq, 768], f32>"
    assert str(tensor_type(TensorProto.INT64, ("batch size", None))) == '!onnx.tensor<["batch size", ?], i64>'
    assert str(tensor_type(TensorProto.BOOL, None)) == "!onnx.tensor<*, bool>"


def test_tensor_types_are_interned() -> None:
    assert tensor_type(1, (2, "s")) is tensor_type(1, (2, "s"))
    assert isinstance(tensor_type(1, (2,)), TensorType)


@pytest.mark.parametrize(
    "array",
    [
        np.array([1.5, -0.0, 3e-8], dtype=np.float32),
        np.array([[1, -2], [3, 4]], dtype=np.int64),
        np.array([True, False]),
        np.array([1.0, np.nan, np.inf], dtype=np.float16),
        np.arange(40, dtype=np.float32).reshape(4, 10),
        np.array(7, dtype=np.uint8),
    ],
)
def test_dense_round_trip(array: np.ndarray) -> None:
    attr = DenseAttr(TensorValue.from_numpy(array))
    with printing_weights():
        _round_trip(attr)
    small = array.size <= 16
    text = str(attr)
    assert ("elided" in text) != small


def test_string_tensors_round_trip() -> None:
    value = TensorValue(TensorProto.STRING, (3,), strings=(b"a", b"\xff\xfe", b""))
    _round_trip(DenseAttr(value))


def test_weights_are_zero_copy_views() -> None:
    buffer = bytearray(np.arange(6, dtype=np.float32).tobytes())
    value = TensorValue(TensorProto.FLOAT, (2, 3), raw=memoryview(buffer))
    array = value.numpy()
    buffer[0:4] = np.float32(42).tobytes()
    assert array[0, 0] == 42  # the array is a view on the same memory, not a copy
