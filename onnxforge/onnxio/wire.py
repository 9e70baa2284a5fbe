"""The protobuf wire format, as far as ONNX files need it without protobuf's Python API.

The loader scans a mapped model for each main-graph initializer's ``raw_data``
and parses only the rest (the skeleton); the writer emits the same fields
around weights it streams from their buffers. Both need only varints, field
keys and length-delimited fields, which are here.
"""

from __future__ import annotations

from google.protobuf.message import DecodeError

_MODEL_GRAPH = 7
_GRAPH_INITIALIZER = 5
_TENSOR_RAW_DATA = 9
_LEN = 2


def read_varint(buf: memoryview, pos: int, end: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        if pos >= end or shift > 63:
            raise DecodeError("truncated varint")
        byte = buf[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if byte < 0x80:
            return result, pos
        shift += 7


def encode_varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def field_key(number: int, wire_type: int) -> bytes:
    return encode_varint((number << 3) | wire_type)


def fields(buf: memoryview, start: int, end: int):
    """Yield (field number, wire type, value start, value end, field start) of one message."""
    pos = start
    while pos < end:
        field_start = pos
        key, pos = read_varint(buf, pos, end)
        number, wire_type = key >> 3, key & 7
        if wire_type == 0:
            _, value_end = read_varint(buf, pos, end)
        elif wire_type == 1:
            value_end = pos + 8
        elif wire_type == 5:
            value_end = pos + 4
        elif wire_type == _LEN:
            length, pos = read_varint(buf, pos, end)
            value_end = pos + length
        else:
            raise DecodeError(f"unsupported wire type {wire_type}")
        if value_end > end or number == 0:
            raise DecodeError("truncated message")
        yield number, wire_type, pos, value_end, field_start
        pos = value_end


def _strip_tensor(buf: memoryview, start: int, end: int) -> tuple[bytes, tuple[int, int] | None]:
    out, span = bytearray(), None
    for number, wire_type, vstart, vend, fstart in fields(buf, start, end):
        if number == _TENSOR_RAW_DATA and wire_type == _LEN:
            span = (vstart, vend)
        else:
            out += buf[fstart:vend]
    return bytes(out), span


def _strip_graph(buf: memoryview, start: int, end: int, spans: list[tuple[int, int] | None]) -> bytes:
    out = bytearray()
    for number, wire_type, vstart, vend, fstart in fields(buf, start, end):
        if number == _GRAPH_INITIALIZER and wire_type == _LEN:
            tensor, span = _strip_tensor(buf, vstart, vend)
            spans.append(span)
            out += field_key(number, _LEN) + encode_varint(len(tensor)) + tensor
        else:
            out += buf[fstart:vend]
    return bytes(out)


def strip_initializer_data(buf: memoryview) -> tuple[bytes, list[tuple[int, int] | None]]:
    """The model without main-graph initializer raw_data, and where each one's bytes are."""
    out, spans = bytearray(), []
    graphs = 0
    for number, wire_type, vstart, vend, fstart in fields(buf, 0, len(buf)):
        if number == _MODEL_GRAPH and wire_type == _LEN and graphs == 0:
            graphs += 1
            graph = _strip_graph(buf, vstart, vend, spans)
            out += field_key(number, _LEN) + encode_varint(len(graph)) + graph
        else:
            out += buf[fstart:vend]
    return bytes(out), spans
