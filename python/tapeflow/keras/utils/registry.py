"""Looking Keras objects up by name or serialized dict, shared by losses and metrics."""

from __future__ import annotations

import inspect
from typing import Any, Callable, Dict, Optional


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
