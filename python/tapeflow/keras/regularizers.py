"""``keras.regularizers``: weight penalties added to the training loss."""

from __future__ import annotations

from typing import Any, Dict

import tapeflow as tf
from tapeflow.keras.utils.registry import register_builtins


class Regularizer:
    def __call__(self, x: Any) -> Any:
        return tf.constant(0.0)

    def get_config(self) -> Dict[str, Any]:
        return {}


class L1L2(Regularizer):
    """l1 * sum(|x|) + l2 * sum(x^2)."""

    def __init__(self, l1: float = 0.0, l2: float = 0.0) -> None:
        self.l1, self.l2 = float(l1), float(l2)

    def __call__(self, x: Any) -> Any:
        out = tf.constant(0.0, dtype=x.dtype)
        if self.l1:
            out = out + self.l1 * tf.reduce_sum(tf.abs(x))
        if self.l2:
            out = out + self.l2 * tf.reduce_sum(tf.square(x))
        return out

    def get_config(self) -> Dict[str, Any]:
        return {"l1": self.l1, "l2": self.l2}


class L1(L1L2):
    def __init__(self, l1: float = 0.01) -> None:
        super().__init__(l1=l1)

    def get_config(self) -> Dict[str, Any]:
        return {"l1": self.l1}


class L2(L1L2):
    def __init__(self, l2: float = 0.01) -> None:
        super().__init__(l2=l2)

    def get_config(self) -> Dict[str, Any]:
        return {"l2": self.l2}


l1, l2, l1_l2 = L1, L2, L1L2
_ALIASES = {"l1": L1, "l2": L2, "l1_l2": L1L2, "L1": L1, "L2": L2, "L1L2": L1L2}


def get(identifier: Any) -> Any:
    if identifier is None:
        return None
    if isinstance(identifier, str):
        if identifier not in _ALIASES:
            raise ValueError(f"Could not interpret regularizer identifier: {identifier}")
        return _ALIASES[identifier]()
    if isinstance(identifier, dict):
        return _ALIASES[identifier["class_name"]](**identifier.get("config", {}))
    if callable(identifier):
        return identifier
    raise ValueError(f"Could not interpret regularizer identifier: {identifier}")


def serialize(reg: Any) -> Any:
    if reg is None:
        return None
    return {"module": "keras.regularizers", "class_name": type(reg).__name__,
            "config": reg.get_config(), "registered_name": None}


register_builtins("regularizer", set(_ALIASES.values()))
