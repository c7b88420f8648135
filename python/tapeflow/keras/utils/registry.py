"""Keras's registries and lookups by name: its built-in classes by kind, the objects users
register (``keras.saving.register_keras_serializable``), and name-or-dict lookup shared by
losses and metrics."""

from __future__ import annotations

import inspect
from typing import Any, Callable, Dict, Iterable, Optional

# Classes and functions registered by users (``register_keras_serializable``), by
# ``"package>name"`` and by name.
_CUSTOM: Dict[str, Any] = {}

# Keras's own classes, by kind ("layer", "optimizer", "schedule", "loss", "metric",
# "initializer", "regularizer") and class name: what Keras 3 exports under
# ``keras.layers``, ``keras.optimizers`` ... Each namespace registers its classes once, as
# it is imported (``register_builtins``, the role of Keras's ``keras_export``); saving
# finds classes here and nowhere else.
BUILTINS: Dict[str, Dict[str, type]] = {}
_KIND_OF: Dict[type, str] = {}


def register_builtins(kind: str, classes: Iterable[Any]) -> None:
    """Registers tapeflow's implementations of Keras built-in classes of one kind under
    their class names (anything that is not a class is skipped)."""
    table = BUILTINS.setdefault(kind, {})
    for cls in classes:
        if inspect.isclass(cls):
            table[cls.__name__] = cls
            _KIND_OF.setdefault(cls, kind)


def builtin_kind(cls: Any) -> Optional[str]:
    """The kind of a registered built-in class (None for user classes, subclasses too)."""
    return _KIND_OF.get(cls)


def register_keras_serializable(package: str = "Custom", name: Optional[str] = None) -> Any:
    """Decorator registering a custom class for loading (``keras.saving.register_
    keras_serializable``)."""

    def decorator(cls: Any) -> Any:
        key = f"{package}>{name or cls.__name__}"
        _CUSTOM[key] = cls
        _CUSTOM[name or cls.__name__] = cls
        cls._registered_name = key
        return cls

    return decorator


def deserialize_object(config: Any, objects: Dict[str, Any], kind: str,
                       deserialize_function: Callable[[str], Any],
                       custom_objects: Optional[Dict[str, Any]] = None) -> Any:
    """The object a name or ``{"class_name", "config", ...}`` dict describes.

    `objects` maps names to classes or functions; `kind` names the family in errors
    ("loss", "metric"); ``{"class_name": "function"}`` entries go through
    `deserialize_function` unless `custom_objects` provides them.
    """
    objects = {**objects, **(custom_objects or {})}
    if isinstance(config, str):
        if config not in objects:
            raise ValueError(f"Could not interpret {kind} identifier: {config}")
        return objects[config]
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(f"Could not interpret {kind} identifier: {config}")
    if config["class_name"] == "function":
        name = config["config"]
        if custom_objects and name in custom_objects:
            return custom_objects[name]
        return deserialize_function(name)
    cls = objects.get(config["class_name"]) or objects.get(config.get("registered_name") or "")
    if cls is None or not inspect.isclass(cls):
        raise ValueError(f"Could not interpret {kind} identifier: {config}")
    return cls.from_config(config.get("config") or {})
