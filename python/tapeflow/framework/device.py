"""Devices: ``tf.device`` scopes and ``tf.config`` device listing.

This build runs every op on the CPU. As TF does with soft placement, a ``/GPU:0`` scope
without a GPU runs on the CPU rather than failing; malformed device strings raise.
"""

from __future__ import annotations

import re
from typing import Any, List, NamedTuple, Optional

from tapeflow import _core

_DEVICE_RE = re.compile(
    r"^(/job:[\w-]+)?(/replica:\d+)?(/task:\d+)?(/(device:)?(CPU|GPU|cpu|gpu)(:\d+)?)?$")
_stack: List[str] = []


class PhysicalDevice(NamedTuple):
    """A device the runtime can use (``tf.config.PhysicalDevice``)."""

    name: str
    device_type: str


class device:  # noqa: N801 - TF's name
    """``with tf.device('/CPU:0'):`` places ops; see the module note on GPUs."""

    def __init__(self, device_name: Optional[str]) -> None:
        name = device_name or ""
        if name and not _DEVICE_RE.match(name):
            raise ValueError(f"Unknown attribute: '{name}' in '{name}'")
        self._name = name

    def __enter__(self) -> None:
        _stack.append(self._name)

    def __exit__(self, *exc: Any) -> None:
        _stack.pop()


def list_physical_devices(device_type: Optional[str] = None) -> List[PhysicalDevice]:
    """Devices of a type ('CPU', 'GPU') or all (``tf.config.list_physical_devices``)."""
    found = [PhysicalDevice("/physical_device:CPU:0", "CPU")]
    if _core.cuda_available():
        found.append(PhysicalDevice("/physical_device:GPU:0", "GPU"))
    if device_type is None:
        return found
    return [d for d in found if d.device_type == device_type.upper()]


def list_logical_devices(device_type: Optional[str] = None) -> List[Any]:
    return [PhysicalDevice(d.name.replace("physical_device", "device"), d.device_type)
            for d in list_physical_devices(device_type)]
