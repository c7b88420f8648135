"""``keras.config``: global Keras settings. Only what tapeflow needs so far:
``enable_unsafe_deserialization`` (see ``keras.layers.Lambda``)."""

from tapeflow.keras.saving.serialization_lib import (  # noqa: F401
    enable_unsafe_deserialization,
)

__all__ = ["enable_unsafe_deserialization"]
