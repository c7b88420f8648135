"""Devices: ``tf.device`` scopes, ``tf.config`` device listing and soft placement.

Mirrors TF 2's eager placement: inside ``with tf.device('/GPU:0'):`` new tensors and ops
go to the GPU (inputs that live elsewhere are copied there first), ``'/CPU:0'`` brings
them back, and ``.numpy()`` copies to the host. Outside any scope an op runs where its
inputs are: on the GPU when any input is there, else on the CPU.

Where we differ from TF: with a GPU present, TF places every op on GPU:0 by default;
tapeflow keeps new tensors on the CPU until a ``tf.device('/GPU:0')`` scope (or a GPU
input) asks for the GPU, since small eager ops are faster on the CPU. As TF does with soft
placement on (its default), a ``/GPU:N`` scope for a GPU that is not there runs on the CPU;
``tf.config.set_soft_device_placement(False)`` makes ops in it raise TF's
``InvalidArgumentError`` ("Could not satisfy device specification ...").
"""

from __future__ import annotations

import re
from typing import Any, List, NamedTuple, Optional

import numpy as np

from tapeflow import _core
from tapeflow.framework import dtypes
from tapeflow.framework import tracing as _tracing

_DEVICE_RE = re.compile(
    r"^(/job:[\w-]+)?(/replica:\d+)?(/task:\d+)?(/?(device:)?(CPU|GPU|cpu|gpu)(:\d+)?)?$")
_soft_placement = True
_FULL_PREFIX = "/job:localhost/replica:0/task:0/device:"


class PhysicalDevice(NamedTuple):
    """A device the runtime can use (``tf.config.PhysicalDevice``)."""

    name: str
    device_type: str


def _core_device(name: str) -> Optional[str]:
    """'CPU:0' / 'GPU:1' for a TF device string, None when it names no device type."""
    m = _DEVICE_RE.match(name)
    if m is None:
        raise ValueError(f"Unknown attribute: '{name}' in '{name}'")
    if m.group(6) is None:
        return None
    index = int(m.group(7)[1:]) if m.group(7) else 0
    return f"{m.group(6).upper()}:{index}"


def full_name(core_device: str) -> str:
    """TF's fully qualified name for a core device string ('GPU:0')."""
    return _FULL_PREFIX + core_device


class device:  # noqa: N801 - TF's name
    """``with tf.device('/GPU:0'):`` places new tensors and ops (see the module note)."""

    def __init__(self, device_name: Optional[str]) -> None:
        name = device_name or ""
        if callable(name):
            raise RuntimeError("tf.device does not support functions when eager execution "
                               "is enabled.")
        self._target = _core_device(name) if name else None
        self._clear = not name
        self._saved: List[Optional[str]] = []

    def __enter__(self) -> None:
        previous = _core.default_device()
        self._saved.append(previous)
        target = self._target
        if self._clear:
            target = None
        elif target is None:  # '/job:localhost' and the like: the device is unchanged
            target = previous
        elif (target.startswith("GPU") and _soft_placement
              and int(target[4:]) >= _core.cuda_device_count()):
            target = "CPU:0"
        _core.set_default_device(target)

    def __exit__(self, *exc: Any) -> None:
        _core.set_default_device(self._saved.pop())


def list_physical_devices(device_type: Optional[str] = None) -> List[PhysicalDevice]:
    """Devices of a type ('CPU', 'GPU') or all (``tf.config.list_physical_devices``)."""
    found = [PhysicalDevice("/physical_device:CPU:0", "CPU")]
    for i in range(_core.cuda_device_count()):
        found.append(PhysicalDevice(f"/physical_device:GPU:{i}", "GPU"))
    if device_type is None:
        return found
    return [d for d in found if d.device_type == device_type.upper()]


def list_logical_devices(device_type: Optional[str] = None) -> List[Any]:
    """``tf.config.list_logical_devices``: one logical device per physical one."""
    return [PhysicalDevice(d.name.replace("physical_device", "device"), d.device_type)
            for d in list_physical_devices(device_type)]


def set_soft_device_placement(enabled: bool) -> None:
    """``tf.config.set_soft_device_placement``: off, a scope for a missing GPU raises."""
    global _soft_placement
    _soft_placement = bool(enabled)


def get_soft_device_placement() -> bool:
    return _soft_placement


_INTEGER_OR_BOOL = frozenset(d._index for d in (dtypes.int32, dtypes.int64, dtypes.bool))


def to_host(a: Any) -> Any:
    """A core Array on the CPU (itself when it is there), for numpy and printing.

    Inside a ``tf.function`` trace, a value the graph computes has no number yet for
    Python to read (TF raises too): NotImplementedError, naming the way out."""
    if _tracing.stack and _tracing.is_symbolic(a):
        raise NotImplementedError(
            "Cannot convert a symbolic tf.Tensor to a numpy array: inside a tf.function "
            "its value is computed each time the graph runs. Keep the computation in "
            "tapeflow ops, or run this code eagerly (outside tf.function, or "
            "tf.config.run_functions_eagerly(True)).")
    return a if a.device == "CPU:0" else _core.to_device(a, "CPU:0")


def host_value(a: Any) -> Any:
    """The value of a core Array that Python uses as a size, count or index (numpy).

    Inside a ``tf.function`` trace, an integer or bool value the graph computes (at most
    64 elements: a loop count for ``tf.range``, a shape from ``tf.shape``) is read as
    it is now and guarded: the graph checks at every run that it computes the same, and
    a run where it differs traces again (see tracing.read_value). Other symbolic values
    raise as ``to_host`` does."""
    if (_tracing.stack and a.dtype_index in _INTEGER_OR_BOOL and a.size <= 64
            and _tracing.stack[-1].autograph and _tracing.is_symbolic(a)):
        return np.asarray(_tracing.read_value(a))
    return np.asarray(to_host(a))
