"""``keras.optimizers``: SGD, RMSprop, Adam, AdamW, Adagrad and learning-rate schedules.

The update rules are Keras 3's, operation for operation, so trajectories match Keras
step for step in float32. ``get`` resolves names ("adam"), config dicts and instances.
"""

from __future__ import annotations

from typing import Any, Dict, Optional

from tapeflow.keras.utils.registry import register_builtins
from tapeflow.keras.optimizers import schedules
from tapeflow.keras.optimizers.adagrad import Adagrad
from tapeflow.keras.optimizers.adam import Adam, AdamW
from tapeflow.keras.optimizers.base_optimizer import Optimizer
from tapeflow.keras.optimizers.rmsprop import RMSprop
from tapeflow.keras.optimizers.sgd import SGD

__all__ = ["Adagrad", "Adam", "AdamW", "Optimizer", "RMSprop", "SGD", "deserialize",
           "get", "schedules", "serialize"]

ALL_OBJECTS = {Optimizer, SGD, RMSprop, Adam, AdamW, Adagrad}
ALL_OBJECTS_DICT = {cls.__name__.lower(): cls for cls in ALL_OBJECTS}
register_builtins("optimizer", ALL_OBJECTS)


def serialize(optimizer: Optimizer) -> Dict[str, Any]:
    """The optimizer as Keras's ``{"module", "class_name", "config",
    "registered_name"}`` dict."""
    cls = type(optimizer)
    builtin = ALL_OBJECTS_DICT.get(cls.__name__.lower()) is cls
    return {"module": "keras.optimizers" if builtin else cls.__module__,
            "class_name": cls.__name__, "config": optimizer.get_config(),
            "registered_name": None if builtin else cls.__name__}


def deserialize(config: Dict[str, Any], custom_objects: Optional[Dict[str, Any]] = None
                ) -> Optimizer:
    """An optimizer from ``serialize``'s dict; built-in class names are
    case-insensitive, ``custom_objects`` maps other names to classes."""
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(f"Could not interpret optimizer identifier: {config}")
    custom_objects = custom_objects or {}
    name = config["class_name"]
    cls = (custom_objects.get(config.get("registered_name") or name)
           or custom_objects.get(name) or ALL_OBJECTS_DICT.get(str(name).lower()))
    if cls is None:
        raise ValueError(f"Could not interpret optimizer identifier: {name}")
    inner = dict(config.get("config") or {})
    if ALL_OBJECTS_DICT.get(cls.__name__.lower()) is cls:
        return cls.from_config(inner, custom_objects=custom_objects)
    return cls.from_config(inner)


def get(identifier: Any) -> Optional[Optimizer]:
    """An optimizer from a name ("adam", "SGD", ...), a config dict or an instance."""
    if identifier is None:
        return None
    if isinstance(identifier, dict):
        obj = deserialize(identifier)
    elif isinstance(identifier, str):
        obj = deserialize({"class_name": identifier, "config": {}})
    else:
        obj = identifier
    if isinstance(obj, Optimizer):
        return obj
    raise ValueError(f"Could not interpret optimizer identifier: {identifier}")
