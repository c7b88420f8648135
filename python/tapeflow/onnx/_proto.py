"""A minimal protobuf writer for the ONNX messages tapeflow.onnx emits (onnx.proto3,
IR version 8): enough of ModelProto, GraphProto, NodeProto, AttributeProto,
TensorProto and ValueInfoProto to write a model without the ``onnx`` package.

Each message is built as bytes from (field number, value) pairs; field numbers are
onnx.proto's. Only what the exporter needs is here.
"""

from __future__ import annotations

import struct
from typing import Iterable, List, Optional, Sequence, Union

import numpy as np

# TensorProto.DataType
FLOAT, INT32, INT64, BOOL, DOUBLE = 1, 6, 7, 9, 11
_ELEM_TYPES = {np.dtype(np.float32): FLOAT, np.dtype(np.int32): INT32,
               np.dtype(np.int64): INT64, np.dtype(np.bool_): BOOL,
               np.dtype(np.float64): DOUBLE}
# AttributeProto.AttributeType
_A_FLOAT, _A_INT, _A_STRING, _A_TENSOR, _A_GRAPH, _A_FLOATS, _A_INTS = 1, 2, 3, 4, 5, 6, 7


def elem_type(dtype: np.dtype) -> int:
    try:
        return _ELEM_TYPES[np.dtype(dtype)]
    except KeyError:
        raise ValueError(f"tapeflow.onnx: no ONNX element type for {dtype}") from None


def _varint(n: int) -> bytes:
    if n < 0:
        n += 1 << 64  # int64 as two's complement, ten bytes
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def _key(field: int, wire: int) -> bytes:
    return _varint((field << 3) | wire)


def int_field(field: int, value: int) -> bytes:
    return _key(field, 0) + _varint(int(value))


def bytes_field(field: int, value: Union[bytes, str]) -> bytes:
    data = value.encode("utf-8") if isinstance(value, str) else value
    return _key(field, 2) + _varint(len(data)) + data


def float_field(field: int, value: float) -> bytes:
    return _key(field, 5) + struct.pack("<f", value)


def packed_ints(field: int, values: Iterable[int]) -> bytes:
    return bytes_field(field, b"".join(_varint(int(v)) for v in values))


def packed_floats(field: int, values: Iterable[float]) -> bytes:
    return bytes_field(field, b"".join(struct.pack("<f", v) for v in values))


def tensor(name: str, value: np.ndarray) -> bytes:
    """TensorProto: dims (1), data_type (2), name (8), raw_data (9, little endian)."""
    value = np.ascontiguousarray(value)
    out = b"".join(int_field(1, d) for d in value.shape)
    out += int_field(2, elem_type(value.dtype)) + bytes_field(8, name)
    return out + bytes_field(9, value.astype(value.dtype.newbyteorder("<")).tobytes())


def attribute(name: str, value: Union[int, float, str, bytes, Sequence[int], Sequence[float]],
              kind: Optional[str] = None) -> bytes:
    """AttributeProto: name (1), f (2), i (3), s (4), t (5), g (6), floats (7), ints (8),
    type (20). ``kind``: "tensor" or "graph" for message values (bytes)."""
    out = bytes_field(1, name)
    if kind == "tensor":
        return out + bytes_field(5, value) + int_field(20, _A_TENSOR)
    if kind == "graph":
        return out + bytes_field(6, value) + int_field(20, _A_GRAPH)
    if isinstance(value, bool) or isinstance(value, (int, np.integer)):
        return out + int_field(3, int(value)) + int_field(20, _A_INT)
    if isinstance(value, float):
        return out + float_field(2, value) + int_field(20, _A_FLOAT)
    if isinstance(value, (str, bytes)):
        return out + bytes_field(4, value) + int_field(20, _A_STRING)
    values = list(value)
    if values and all(isinstance(v, float) for v in values):
        return out + packed_floats(7, values) + int_field(20, _A_FLOATS)
    return out + packed_ints(8, values) + int_field(20, _A_INTS)


def node(op_type: str, inputs: Sequence[str], outputs: Sequence[str], name: str = "",
         attributes: Sequence[bytes] = ()) -> bytes:
    """NodeProto: input (1), output (2), name (3), op_type (4), attribute (5)."""
    out = b"".join(bytes_field(1, i) for i in inputs)
    out += b"".join(bytes_field(2, o) for o in outputs)
    if name:
        out += bytes_field(3, name)
    out += bytes_field(4, op_type)
    return out + b"".join(bytes_field(5, a) for a in attributes)


def value_info(name: str, elem: int, shape: Optional[Sequence[Optional[Union[int, str]]]]
               ) -> bytes:
    """ValueInfoProto name (1), type (2): TypeProto.tensor_type (1) = {elem_type (1),
    shape (2): TensorShapeProto {dim (1): {dim_value (1) | dim_param (2)}}}."""
    tensor_type = int_field(1, elem)
    if shape is not None:
        dims = b""
        for d in shape:
            if d is None:
                dims += bytes_field(1, b"")
            elif isinstance(d, str):
                dims += bytes_field(1, bytes_field(2, d))
            else:
                dims += bytes_field(1, int_field(1, d))
        tensor_type += bytes_field(2, dims)
    return bytes_field(1, name) + bytes_field(2, bytes_field(1, tensor_type))


def graph(name: str, nodes: List[bytes], inputs: List[bytes], outputs: List[bytes],
          initializers: List[bytes] = ()) -> bytes:
    """GraphProto: node (1), name (2), initializer (5), input (11), output (12)."""
    out = b"".join(bytes_field(1, n) for n in nodes) + bytes_field(2, name)
    out += b"".join(bytes_field(5, t) for t in initializers)
    out += b"".join(bytes_field(11, i) for i in inputs)
    return out + b"".join(bytes_field(12, o) for o in outputs)


def model(graph_bytes: bytes, opset: int, ir_version: int, producer: str,
          version: str) -> bytes:
    """ModelProto: ir_version (1), producer_name (2), producer_version (3), graph (7),
    opset_import (8): OperatorSetIdProto {domain (1) = "", version (2)}."""
    return (int_field(1, ir_version) + bytes_field(2, producer) + bytes_field(3, version)
            + bytes_field(7, graph_bytes) + bytes_field(8, int_field(2, opset)))
