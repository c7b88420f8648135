"""Layer (de)serialization by Keras 3's {"module", "class_name", "config"} dicts."""

from __future__ import annotations

from typing import Any, Dict, Optional

_CUSTOM: Dict[str, Any] = {}


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


def deserialize_layer(entry: Dict[str, Any], custom_objects: Optional[Dict[str, Any]] = None) -> Any:
    from tapeflow.keras import layers as layers_module
    from tapeflow.keras import models as models_module

    name = entry["class_name"]
    cls = (custom_objects or {}).get(name) or _CUSTOM.get(entry.get("registered_name") or "") \
        or _CUSTOM.get(name) or getattr(layers_module, name, None) or \
        getattr(models_module, name, None)
    if cls is None:
        raise ValueError(f"Could not locate class '{name}'. Make sure custom classes are "
                         "decorated with `@keras.saving.register_keras_serializable()` or "
                         "passed in `custom_objects`.")
    if hasattr(cls, "from_config"):
        return cls.from_config(entry["config"])
    return cls(**entry["config"])
